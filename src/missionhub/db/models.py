"""Imports every domain's tables, so that the metadata (and Alembic) sees them all.

A new domain package adds its ``models`` import here.
"""

from missionhub.accounts import models as accounts_models
from missionhub.db.base import Base
from missionhub.jobs import models as jobs_models
from missionhub.portfolio import models as portfolio_models

__all__ = ["Base", "accounts_models", "jobs_models", "portfolio_models"]
