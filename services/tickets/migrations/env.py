import tickets.inbound.models  # noqa: F401 - its tables are in Base.metadata
import tickets.knowledge.models  # noqa: F401  (its tables share the metadata)
from careplane_shared.migrations import run_env
from tickets.models import Base

run_env(Base.metadata, "TICKETS_DATABASE_URL")
