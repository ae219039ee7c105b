from __future__ import annotations

import pytest

from tests.factories import World
from tests.procurement.factories import Procurement


@pytest.fixture
def buying(world: World) -> Procurement:
    return Procurement(world)
