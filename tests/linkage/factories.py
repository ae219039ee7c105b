"""Factories for linkage tests that speak the domain:

project = linkage.project(steward, [dwp, moj])
linkage.owner(project, alice)
path = linkage.encode(project, PEOPLE_A, secret)
linkage.upload(alice, project, path)
run = linkage.run(steward, project); linkage.work()
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, User
from missionhub.db.session import Database
from missionhub.jobs.worker import work_until_empty
from missionhub.linkage import exchange, projects
from missionhub.linkage.encoder import EncodeOptions, encode_file
from missionhub.linkage.linkage_schema import LinkageSchema
from missionhub.linkage.models import EncodingUpload, LinkageProject, LinkRun
from missionhub.linkage.schemas import OwnerIn, ProjectIn, RunIn
from tests.factories import World

SECRET = b"correct-horse-battery-staple-linkage-secret-0001"

# Two departments' views of the same people, with the errors real records have.
PEOPLE_A = pd.DataFrame(
    {
        "id": ["a1", "a2", "a3", "a4", "a5", "a6"],
        "first_name": ["Olivia", "Mohammed", "Siobhan", "Tomasz", "Grace", "Rhys"],
        "last_name": ["Hughes", "Rahman", "O'Neill", "Nowak", "Adeyemi", "Price"],
        "date_of_birth": [
            "1984-03-12",
            "1990-11-02",
            "1975-07-30",
            "2001-01-15",
            "1968-05-05",
            "1999-09-09",
        ],
        "postcode": ["CF10 1AA", "E1 6AN", "BT1 5GS", "LS1 4AP", "SE15 4QL", "SA1 1NW"],
        "sex": ["F", "M", "F", "M", "F", "M"],
        "person": ["p1", "p2", "p3", "p4", "p5", "p6"],
    }
)
PEOPLE_B = pd.DataFrame(
    {
        "ref": ["b1", "b2", "b3", "b4", "b5"],
        "forename": ["Olivia", "Mohammad", "Siobhán", "Tomas", "Daniel"],
        "surname": ["Hughes", "Rahman", "O Neill", "Nowak", "Okafor"],
        "dob": ["12/03/1984", "02/11/1990", "30/07/1975", "15/01/2001", "21/12/1955"],
        "postcode": ["cf10 1aa", "E1 6AN", "BT1 5GS", "LS2 7EW", "M1 1AE"],
        "sex": ["Female", "Male", "Female", "Male", "Male"],
        "person": ["p1", "p2", "p3", "p4", "p7"],
    }
)
B_OPTIONS = EncodeOptions(
    columns={"first_name": "forename", "last_name": "surname", "date_of_birth": "dob"},
    date_formats={"date_of_birth": ["%d/%m/%Y"]},
    id_column="ref",
    truth_column="person",
)
A_OPTIONS = EncodeOptions(id_column="id", truth_column="person")
RAW_VALUES = [
    str(v)
    for frame in (PEOPLE_A, PEOPLE_B)
    for col in frame.columns
    if col not in ("id", "ref")
    for v in frame[col]
]


class LinkageWorld:
    def __init__(self, world: World, db: Database, tmp: Path) -> None:
        self.world, self.session, self.db, self.tmp = world, world.session, db, tmp
        self.root = tmp / "linkage"

    @property
    def s(self) -> Session:
        return self.session

    def project(
        self, steward: User, departments: list[Organisation], **fields: Any
    ) -> LinkageProject:
        data = ProjectIn(
            name=fields.get("name", "Court attendance support"),
            purpose=fields.get("purpose", "Understand victims' journeys across services."),
            organisation_ids=[d.id for d in departments],
        )
        return projects.create_project(self.s, actor=self.world.actor(steward), data=data)

    def owner(self, project: LinkageProject, user: User, steward: User | None = None) -> User:
        actor = self.world.actor(steward) if steward else self.steward_actor(project)
        projects.add_owner(
            self.s, actor=actor, project_id=project.id, data=OwnerIn(email=user.email)
        )
        return user

    def steward_actor(self, project: LinkageProject) -> Any:
        from missionhub.accounts.permissions import Actor

        return Actor.system("test steward")

    def schema(self, project: LinkageProject) -> LinkageSchema:
        return projects.current_schema(self.s, project)

    def encode(
        self,
        project: LinkageProject | LinkageSchema,
        frame: pd.DataFrame,
        options: EncodeOptions,
        secret: bytes = SECRET,
        suffix: str = ".csv",
    ) -> Path:
        schema = project if isinstance(project, LinkageSchema) else self.schema(project)
        source = self.tmp / f"in-{secrets.token_hex(3)}{suffix}"
        if suffix == ".csv":
            frame.to_csv(source, index=False)
        else:
            frame.to_parquet(source, index=False)
        out = self.tmp / f"enc-{secrets.token_hex(3)}.parquet"
        encode_file(source, out, schema, secret, options)
        return out

    def as_(self, user: User) -> Any:
        """The actor for ``user``, also set on the session as a request would (for the audit)."""
        actor = self.world.actor(user)
        self.s.info["actor"] = actor
        return actor

    def upload(self, user: User, project: LinkageProject, path: Path) -> EncodingUpload:
        return exchange.upload_encodings(
            self.s,
            actor=self.as_(user),
            project_id=project.id,
            path=path,
            filename=path.name,
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            root=self.root,
        )

    def run(self, steward: User, project: LinkageProject, **data: Any) -> LinkRun:
        return exchange.start_run(
            self.s,
            actor=self.as_(steward),
            project_id=project.id,
            data=RunIn(**data),
            root=self.root,
        )

    def work(self) -> int:
        self.s.flush()
        return work_until_empty(self.db)
