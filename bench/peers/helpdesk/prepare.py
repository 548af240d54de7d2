"""Give the peer a fresh database and what a bench client needs, then print it as JSON.

Run with the peer's virtualenv interpreter, from this folder, by
bench/peers/helpdesk_peer.py, with the settings' environment plus
``HELPDESK_PEER_MAINTENANCE_URL`` (a database on the same server to connect to while
``bench_helpdesk`` is dropped and created). Steps: drop and create the database, apply
every migration (helpdesk's own load its e-mail templates, so new-ticket mail is really
rendered), create one staff superuser with a DRF token and no usable password, and one
queue. Prints ``{"token": ..., "queue_id": ...}`` as its last line.
"""

import json
import os

import django
import psycopg
from django.conf import settings
from django.core.management import call_command
from psycopg import sql


def recreate_database() -> None:
    name = settings.DATABASES["default"]["NAME"]
    with psycopg.connect(os.environ["HELPDESK_PEER_MAINTENANCE_URL"], autocommit=True) as conn:
        # FORCE: a peer left running by an interrupted run must not keep the old one alive.
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def seed() -> dict[str, object]:
    from django.contrib.auth import get_user_model
    from helpdesk.models import Queue
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_superuser(
        username="bench", email="bench@example.com", password=None
    )
    token = Token.objects.create(user=user)
    queue = Queue.objects.create(title="Bench", slug="bench")
    return {"token": token.key, "queue_id": queue.pk}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    django.setup()
    recreate_database()
    call_command("migrate", interactive=False, verbosity=0)
    print(json.dumps(seed()))


if __name__ == "__main__":
    main()
