# Each part's models module, imported for its tables: they join tickets' Base.metadata.
import tickets.development.models
import tickets.escalation.models
import tickets.ideas.models
import tickets.inbound.models
import tickets.knowledge.models
import tickets.survey.models
import tickets.timeentries.models
import tickets.visits.models  # noqa: F401
from careplane_shared.migrations import run_env
from tickets.models import Base

run_env(Base.metadata, "TICKETS_DATABASE_URL")
