"""A refused deduplication upload leaves no raw personal data on the hub (a review finding)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from missionhub.errors import Invalid
from missionhub.linkage import dedupe_jobs
from tests.factories import World


def test_a_malformed_file_is_deleted_when_refused(
    world: World, session: Session, tmp_path: Path
) -> None:
    upload = tmp_path / "people.csv"
    upload.write_text('first_name,last_name,date_of_birth,nhs_number\nOlivia,"Hughes\n')
    member = world.member(world.department())
    with pytest.raises(Invalid):
        dedupe_jobs.start_dedupe(
            session,
            actor=world.actor(member),
            path=upload,
            filename="people.csv",
            root=tmp_path / "store",
        )
    assert not upload.exists()


def test_a_file_with_too_few_columns_is_deleted_when_refused(
    world: World, session: Session, tmp_path: Path
) -> None:
    upload = tmp_path / "people.csv"
    upload.write_text("nhs_number,shoe_size\n123,9\n")
    member = world.member(world.department())
    with pytest.raises(Invalid, match="at least two of the columns"):
        dedupe_jobs.start_dedupe(
            session,
            actor=world.actor(member),
            path=upload,
            filename="people.csv",
            root=tmp_path / "store",
        )
    assert not upload.exists()
