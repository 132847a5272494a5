"""Every table, so that Alembic and tests see the whole schema."""

from app.auth import models as auth_models  # noqa: F401
from app.cases import models as case_models  # noqa: F401
from app.db import Base
from app.engine import models as engine_models  # noqa: F401
from app.intake import models as intake_models  # noqa: F401
from app.manage import models as manage_models  # noqa: F401
from app.modelling import models as modelling_models  # noqa: F401
from app.privacy import models as privacy_models  # noqa: F401
from app.tasks import models as task_models  # noqa: F401

metadata = Base.metadata
