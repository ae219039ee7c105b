"""Imports every domain's tables (see missionhub.domains), so the metadata and Alembic see them."""

from missionhub.db import version
from missionhub.db.base import Base
from missionhub.domains import domain_modules

MODEL_MODULES = [version, *domain_modules("models")]

__all__ = ["MODEL_MODULES", "Base"]
