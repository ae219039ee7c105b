"""Endpoint addresses (SSRF): a host name is resolved and every address it resolves to must be
public, numeric hosts in odd forms are refused, the check is made again when the job calls the
endpoint, and the call goes to the checked address, not to whatever a second lookup says.

Only ``socket.getaddrinfo`` is replaced (the name service, at the network edge); the database
is real and the fake model server listens on 127.0.0.1.
"""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from missionhub.challenges import service
from missionhub.challenges.endpoint import (
    EndpointError,
    EndpointPolicy,
    PinnedTransport,
    Target,
    call_endpoint,
    check_url,
    is_public,
    pin,
)
from missionhub.challenges.models import SubmissionStatus
from missionhub.challenges.schemas import EndpointIn
from missionhub.db.session import Database
from missionhub.errors import Invalid
from missionhub.jobs.worker import work_until_empty
from tests.challenges.conftest import ChallengeWorld, FakeModel

PUBLIC = "93.184.216.34"
REAL_GETADDRINFO = socket.getaddrinfo


class Names:
    """A name service for made-up host names under ``.example.test``; the rest as usual."""

    def __init__(self) -> None:
        self.table: dict[str, list[str]] = {}
        self.lookups: list[str] = []
        self.after_first: dict[str, list[str]] = {}

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if not str(host).endswith(".example.test"):
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        seen = self.lookups.count(host)
        self.lookups.append(host)
        addresses = self.table.get(host, [])
        if seen and host in self.after_first:
            addresses = self.after_first[host]
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [_info(a, int(port or 80)) for a in addresses]


def _info(address: str, port: int) -> tuple[Any, ...]:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> Names:
    fake = Names()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["10.0.0.5"],
        ["169.254.169.254"],  # cloud metadata
        ["100.64.0.1"],  # carrier-grade NAT
        ["::1"],
        ["fd00::1"],
        ["::ffff:10.0.0.1"],
        [PUBLIC, "192.168.1.1"],  # any private answer is enough to refuse
    ],
)
def test_a_host_name_that_resolves_to_a_private_address_is_refused(
    names: Names, addresses: list[str]
) -> None:
    names.table["model.example.test"] = addresses
    with pytest.raises(Invalid, match="public internet"):
        check_url("https://model.example.test/predict", allow_private=False)


def test_a_host_name_that_resolves_only_to_public_addresses_is_pinned_to_one(
    names: Names,
) -> None:
    names.table["model.example.test"] = [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]
    target = pin("https://model.example.test:8443/predict", allow_private=False)
    assert target == Target("https://model.example.test:8443/predict", "model.example.test", PUBLIC)


def test_localhost_is_refused_by_what_it_resolves_to() -> None:
    with pytest.raises(Invalid, match="public internet"):
        check_url("http://localhost:8000/predict", allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://0x7f000001/",  # ... as hexadecimal
        "http://0177.0.0.1/",  # ... in octal
        "http://127.1/",  # ... shortened
        "http://0x7f.0.0.1/",
        "http://3232235777:8080/x",  # 192.168.1.1
        "http://017700000001./",
    ],
)
def test_numeric_hosts_in_odd_forms_are_refused(url: str) -> None:
    for allow_private in (False, True):
        with pytest.raises(Invalid, match="four decimal numbers"):
            check_url(url, allow_private=allow_private)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
        "http://[::ffff:a9fe:a9fe]/",  # 169.254.169.254, mapped
        "http://[::7f00:1]/",  # IPv4-compatible
        "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://224.0.0.1/",  # multicast
        "ftp://files.example.test/",
        "http:///no-host",
    ],
)
def test_literal_private_and_embedded_addresses_are_refused(url: str) -> None:
    with pytest.raises(Invalid):
        check_url(url, allow_private=False)


def test_public_addresses_pass_and_embedded_public_ones_too() -> None:
    import ipaddress

    for text in ("8.8.8.8", "::ffff:8.8.8.8", "2606:4700:4700::1111"):
        assert is_public(ipaddress.ip_address(text)), text


def test_the_call_goes_to_the_checked_address_not_to_a_second_lookup(
    names: Names, fake_model: FakeModel
) -> None:
    port = int(fake_model.url.rsplit(":", 1)[1].split("/")[0])
    names.table["model.example.test"] = ["127.0.0.1"]
    names.after_first["model.example.test"] = []  # any later lookup fails
    inputs = pd.DataFrame({"case_id": ["a", "b"], "text": ["about women", "about cats"]})
    policy = EndpointPolicy(retries=0, allow_private=True)
    answer = call_endpoint(f"http://model.example.test:{port}/predict", inputs, policy)
    assert answer["label"].tolist() == ["hateful", "non-hateful"]
    assert names.lookups == ["model.example.test"]
    assert fake_model.hosts == [f"model.example.test:{port}"]  # the name, not the address


def test_https_keeps_the_name_for_sni_and_the_certificate_check() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"predictions": []})

    target = Target("https://model.example.test/predict", "model.example.test", PUBLIC)
    with httpx.Client(transport=PinnedTransport(target, httpx.MockTransport(answer))) as client:
        client.post("https://model.example.test/predict", json={})
        with pytest.raises(httpx.ConnectError, match="Refused"):
            client.post("https://elsewhere.example.test/predict", json={})
    assert len(seen) == 1
    assert seen[0].url.host == PUBLIC
    assert seen[0].headers["host"] == "model.example.test"
    assert seen[0].extensions["sni_hostname"] == "model.example.test"


def _register(cw: ChallengeWorld, session: Session, url: str) -> tuple[Any, Any]:
    challenge = cw.open()
    return service.register_endpoint(
        session,
        actor=cw.world.actor(cw.supplier()),
        challenge_id=challenge.id,
        data=EndpointIn(name="Hosted model", endpoint_url=url),
        allow_private=False,
    )


def test_registering_refuses_a_name_that_resolves_to_a_private_address(
    cw: ChallengeWorld, session: Session, names: Names
) -> None:
    names.table["internal.example.test"] = ["10.20.30.40"]
    with pytest.raises(Invalid, match="public internet"):
        _register(cw, session, "https://internal.example.test/predict")


def test_the_address_is_checked_again_when_the_job_calls_it(
    cw: ChallengeWorld, db: Database, session: Session, names: Names, fake_model: FakeModel
) -> None:
    """DNS rebinding: public when registered, loopback when called. The job refuses it."""
    port = int(fake_model.url.rsplit(":", 1)[1].split("/")[0])
    names.table["rebind.example.test"] = [PUBLIC]
    submission, _job = _register(cw, session, f"http://rebind.example.test:{port}/predict")
    names.table["rebind.example.test"] = ["127.0.0.1"]
    session.flush()
    work_until_empty(db)
    session.expire_all()
    assert submission.status is SubmissionStatus.FAILED
    assert "public internet" in (submission.error or "")
    assert fake_model.batches == []
    assert fake_model.hosts == []


def test_a_refused_address_is_an_endpoint_error_when_called_directly(names: Names) -> None:
    names.table["model.example.test"] = ["10.0.0.1"]
    inputs = pd.DataFrame({"case_id": ["a"], "text": ["x"]})
    with pytest.raises(EndpointError, match="public internet"):
        call_endpoint("http://model.example.test/predict", inputs, EndpointPolicy(retries=0))
