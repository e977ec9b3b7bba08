"""Imports every domain's models so the metadata is complete (Alembic and the model/migration check)."""
from server.activity import models as _activity  # noqa: F401
from server.areas import models as _areas  # noqa: F401
from server.assignments import models as _assignments  # noqa: F401
from server.audit import models as _audit  # noqa: F401
from server.auth import models as _auth  # noqa: F401
from server.casework import models as _casework  # noqa: F401
from server.concerns import models as _concerns  # noqa: F401
from server.contacts import models as _contacts  # noqa: F401
from server.db import Base
from server.households import models as _households  # noqa: F401
from server.offline import models as _offline  # noqa: F401
from server.rollups import models as _rollups  # noqa: F401
from server.salons import models as _salons  # noqa: F401
from server.users import models as _users  # noqa: F401

metadata = Base.metadata
