#!/bin/bash
# Run by the postgres image on its first start (an empty data volume): one database per
# service, each owned by a role of its own that can reach only that database.
set -euo pipefail

for service in tickets contracts notify; do
  password_variable="${service^^}_DB_PASSWORD"
  psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v name="careplane_${service}" -v password="${!password_variable}" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
done
