from __future__ import annotations

import pytest

from tests.factories import World
from tests.risk.factories import RiskWorld


@pytest.fixture
def risks(world: World) -> RiskWorld:
    return RiskWorld(world)
