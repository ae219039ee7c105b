"""Challenge fixtures: domain factories, a small hidden suite, and a fake model server.

The fake model server is the only fake: it stands at the network edge (a supplier's model
endpoint), listens on 127.0.0.1 only, and answers like a real endpoint would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, Role, User
from missionhub.challenges import service
from missionhub.challenges.models import Challenge, ChallengeStatus, Submission
from missionhub.challenges.schemas import ChallengeIn, SubmissionIn
from tests.factories import World

GROUPS = ["women", "black people", "Muslims"]


def small_suite(templates: int = 40) -> pd.DataFrame:
    """A made-up suite: each template filled for three groups; odd templates hateful."""
    rows = []
    for t in range(templates):
        for g in GROUPS:
            rows.append(
                {
                    "case_id": f"c{t}-{g.split()[0]}",
                    "text": f"template {t} about {g}",
                    "label": "hateful" if t % 2 else "non-hateful",
                    "group_target": g,
                    "template_id": str(t),
                    "functionality": "threat" if t % 4 < 2 else "derog",
                }
            )
    return pd.DataFrame(rows)


def predictions_for(suite: pd.DataFrame, wrong_for: str | None = None) -> pd.DataFrame:
    """Right answers, except every case about ``wrong_for`` is marked hateful."""
    labels = suite["label"].where(suite["group_target"] != wrong_for, "hateful")
    return pd.DataFrame(
        {"case_id": suite["case_id"], "label": labels, "score": (labels == "hateful") * 0.8 + 0.1}
    )


@dataclass
class ChallengeWorld:
    world: World
    session: Session
    tmp: Path

    def __post_init__(self) -> None:
        self.dept = self.world.department("Department for Science, Innovation and Technology")
        self.owner = self.world.member(self.dept)
        self.missions = self.world.missions()

    def challenge(self, owner: User | None = None, **fields: Any) -> Challenge:
        data = {
            "title": "Detect hateful content",
            "brief": "Find hate speech in posts reported to a public service.",
            "mission_id": next(iter(self.missions.values())).id,
            "closes_on": date.today() + timedelta(days=365),
            **fields,
        }
        return service.create_challenge(
            self.session, actor=self.world.actor(owner or self.owner), data=ChallengeIn(**data)
        )

    def with_suite(self, challenge: Challenge, frame: pd.DataFrame | None = None) -> Challenge:
        frame = small_suite() if frame is None else frame
        service.add_suite(
            self.session,
            actor=self.world.actor(self.owner),
            challenge_id=challenge.id,
            raw=frame.astype(str),
            first_row=2,
            filename="suite.csv",
            file_sha256="0" * 64,
        )
        return challenge

    def open(self, challenge: Challenge | None = None) -> Challenge:
        challenge = challenge or self.with_suite(self.challenge())
        service.change_status(
            self.session,
            actor=self.world.actor(self.owner),
            challenge_id=challenge.id,
            to=ChallengeStatus.OPEN,
        )
        return challenge

    def supplier(self, name: str = "Acme Analytics Ltd") -> User:
        org = self.world.supplier_org(name)
        return self.world.user(Role.SUPPLIER, org)

    def submit(
        self, challenge: Challenge, supplier: User, frame: pd.DataFrame, name: str = "Model A"
    ) -> Submission:
        return service.submit_predictions(
            self.session,
            actor=self.world.actor(supplier),
            challenge_id=challenge.id,
            data=SubmissionIn(name=name),
            raw=frame.astype(str),
            first_row=2,
            filename="predictions.csv",
        )

    def close(self, challenge: Challenge) -> None:
        service.change_status(
            self.session,
            actor=self.world.actor(self.owner),
            challenge_id=challenge.id,
            to=ChallengeStatus.CLOSED,
        )

    def org(self, user: User) -> Organisation:
        return user.organisation

    def write(self, frame: pd.DataFrame, name: str) -> Path:
        path = self.tmp / name
        if name.endswith(".parquet"):
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        return path

    def suite_frame(self, challenge: Challenge) -> pd.DataFrame:
        assert challenge.suite is not None
        return service.suite_frame(self.session, challenge.suite)


@pytest.fixture
def cw(world: World, session: Session, tmp_path: Path) -> ChallengeWorld:
    return ChallengeWorld(world, session, tmp_path)


# The fake model server -----------------------------------------------------------------------


@dataclass
class FakeModel:
    """Answers batches like a supplier's model: 'hateful' when the text mentions a word."""

    url: str
    hateful_word: str = "about women"
    fail_first: int = 0  # answer 503 to this many requests first
    slow_first: float = 0.0  # seconds to stall the first request
    broken: bool = False
    batches: list[int] = field(default_factory=list)
    seen_keys: set[str] = field(default_factory=set)
    hosts: list[str] = field(default_factory=list)  # the Host header of every request


@pytest.fixture
def fake_model() -> Iterator[FakeModel]:
    state = FakeModel(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            state.hosts.append(str(self.headers.get("host")))
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            instances = body["instances"]
            for item in instances:
                state.seen_keys |= set(item) | set(item["inputs"])
            if state.slow_first:
                delay, state.slow_first = state.slow_first, 0.0
                threading.Event().wait(delay)
            if state.fail_first:
                state.fail_first -= 1
                self._send(503, {"error": "warming up"})
                return
            state.batches.append(len(instances))
            if state.broken:
                self._send(200, {"nothing": []})
                return
            out = [
                {
                    "case_id": item["case_id"],
                    "label": "hateful"
                    if state.hateful_word in item["inputs"]["text"]
                    else "non-hateful",
                    "score": 0.9 if state.hateful_word in item["inputs"]["text"] else 0.2,
                }
                for item in instances
            ]
            self._send(200, {"predictions": out})

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/predict"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


__all__ = ["ChallengeWorld", "FakeModel", "predictions_for", "small_suite"]
