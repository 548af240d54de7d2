import tickets.escalation.models  # noqa: F401  (its tables in the metadata)
from careplane_shared.migrations import run_env
from tickets.models import Base

run_env(Base.metadata, "TICKETS_DATABASE_URL")
