import contracts.csm.models  # noqa: F401  (its table in the metadata)
from careplane_shared.migrations import run_env
from contracts.models import Base

run_env(Base.metadata, "CONTRACTS_DATABASE_URL")
