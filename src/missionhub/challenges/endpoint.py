"""Call a supplier's registered model endpoint in batches, with timeouts and retries.

The platform POSTs ``{"instances": [{"case_id": ..., "inputs": {...}}, ...]}`` and expects
``{"predictions": [{"case_id": ..., "label": ..., "score": optional}, ...]}`` back. Only the
inputs are sent: never gold labels, groups, templates or functionalities.

The address is checked where it is used (decision 0055): the host name is resolved, every
address it resolves to must be on the public internet, and the call is pinned to the checked
address (with the original ``Host`` header and, for https, the original name for SNI and the
certificate check), so a second lookup cannot send it elsewhere (DNS rebinding). Numeric hosts
in any form but dotted IPv4 or bracketed IPv6 (``2130706433``, ``0x7f.1``, ``0177.0.0.1``) are
refused. Redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import math
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pandas as pd

from missionhub.errors import Invalid, ServiceError

RETRY_STATUS = {429, 500, 502, 503, 504}
NOT_PUBLIC = "The endpoint must be on the public internet"
NOT_HTTP = "Enter the endpoint as an http:// or https:// address"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The WHATWG URL rules read a host whose last label is a number as an IPv4 address.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


class EndpointError(ServiceError):
    """The endpoint could not be called, or its answer was not usable."""


@dataclass(frozen=True)
class EndpointPolicy:
    batch_size: int = 100
    timeout_seconds: float = 10.0
    retries: int = 3
    backoff_seconds: float = 0.5
    allow_private: bool = False  # loopback and private addresses: only in development and tests


@dataclass(frozen=True)
class Target:
    """A checked endpoint: its URL, its host name, and the address every call goes to."""

    url: str
    host: str
    address: str


def is_public(address: IPAddress) -> bool:
    """Globally routable, and so is any IPv4 address embedded in an IPv6 one."""
    if address.is_multicast or not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public(embedded)
    return True


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    low = int(address) & 0xFFFFFFFF
    if address in NAT64 or int(address) >> 32 == 0:
        return ipaddress.IPv4Address(low)
    return None


def _host(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL; refuse other schemes and odd numeric hosts."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Invalid(NOT_HTTP, "endpoint_url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(NOT_HTTP, "endpoint_url")
    host = parts.hostname
    if ":" not in host and _NUMERIC_LABEL.match(host.rstrip(".").rsplit(".", 1)[-1]):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise Invalid(
                "Write a numeric address as four decimal numbers, e.g. 203.0.113.7",
                "endpoint_url",
            ) from None
    return host, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to now (a literal address resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Invalid(f"The endpoint's host {host} could not be found", "endpoint_url") from None
    addresses: list[IPAddress] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Invalid(f"The endpoint's host {host} could not be found", "endpoint_url")
    return addresses


def pin(url: str, *, allow_private: bool) -> Target:
    """Check ``url`` and choose the address to call: refused unless every address its host
    resolves to is public (loopback and private ones allowed only with ``allow_private``)."""
    host, port = _host(url)
    addresses = resolve(host, port)
    if not allow_private and not all(is_public(a) for a in addresses):
        raise Invalid(NOT_PUBLIC, "endpoint_url")
    return Target(url, host, str(addresses[0]))


def check_url(url: str, *, allow_private: bool) -> str:
    """Refuse anything but an http(s) URL whose host resolves only to public addresses
    (unless allowed). Checked again, and pinned, when the endpoint is called."""
    pin(url, allow_private=allow_private)
    return url


class PinnedTransport(httpx.BaseTransport):
    """Sends every request for the target's host to the checked address: the URL's host is
    swapped for the address, the ``Host`` header keeps the name, and for https the name is
    used for SNI and the certificate check. A request for any other host is refused."""

    def __init__(self, target: Target, inner: httpx.BaseTransport | None = None) -> None:
        self.target = target
        self.inner = inner or httpx.HTTPTransport(trust_env=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != self.target.host:
            raise httpx.ConnectError(f"Refused a request to {request.url.host}", request=request)
        request.url = request.url.copy_with(host=self.target.address)
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": self.target.host}
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def pinned_client(target: Target, policy: EndpointPolicy) -> httpx.Client:
    """A client that can only reach ``target``'s checked address; no redirects, no proxies."""
    return httpx.Client(
        transport=PinnedTransport(target),
        timeout=policy.timeout_seconds,
        follow_redirects=False,
        trust_env=False,
    )


def _records(inputs: pd.DataFrame) -> list[dict[str, Any]]:
    columns = [c for c in inputs.columns if c != "case_id"]
    out = []
    for row in inputs.itertuples(index=False):
        values = dict(zip(inputs.columns, row, strict=True))
        out.append(
            {
                "case_id": str(values["case_id"]),
                "inputs": {c: _json(values[c]) for c in columns},
            }
        )
    return out


def _json(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value.item() if hasattr(value, "item") else value


def call_endpoint(
    url: str,
    inputs: pd.DataFrame,
    policy: EndpointPolicy,
    *,
    progress: Callable[[int, int], None] | None = None,
    client: httpx.Client | None = None,
) -> pd.DataFrame:
    """Every case's prediction from the endpoint, as a frame like a predictions file.

    Without ``client``, the URL is checked again now and every call pinned to the checked
    address (a failed check is an :class:`EndpointError`)."""
    records = _records(inputs)
    rows: list[dict[str, Any]] = []
    own = client is None
    if client is None:
        try:
            target = pin(url, allow_private=policy.allow_private)
        except Invalid as exc:
            raise EndpointError(exc.errors[0].message) from exc
        client = pinned_client(target, policy)
    http = client
    try:
        for start in range(0, len(records), policy.batch_size):
            batch = records[start : start + policy.batch_size]
            rows += _batch(http, url, batch, policy)
            if progress:
                progress(min(start + len(batch), len(records)), len(records))
    finally:
        if own:
            http.close()
    return pd.DataFrame(rows, columns=["case_id", "label", "score"]).dropna(axis=1, how="all")


def _batch(
    http: httpx.Client, url: str, batch: list[dict[str, Any]], policy: EndpointPolicy
) -> list[dict[str, Any]]:
    last = ""
    for attempt in range(policy.retries + 1):
        if attempt:
            time.sleep(policy.backoff_seconds * 2 ** (attempt - 1))
        try:
            response = http.post(url, json={"instances": batch}, timeout=policy.timeout_seconds)
        except httpx.TimeoutException:
            last = f"no answer within {policy.timeout_seconds:g} seconds"
            continue
        except httpx.TransportError as exc:
            last = f"could not connect ({exc.__class__.__name__})"
            continue
        if response.status_code in RETRY_STATUS:
            last = f"answered HTTP {response.status_code}"
            continue
        if response.status_code != 200:
            raise EndpointError(f"The endpoint answered HTTP {response.status_code}")
        return _predictions(response, len(batch))
    raise EndpointError(f"The endpoint failed after {policy.retries + 1} attempts: {last}")


def _predictions(response: httpx.Response, expected: int) -> list[dict[str, Any]]:
    try:
        body = response.json()
        items = body["predictions"]
        rows = [
            {"case_id": item["case_id"], "label": item["label"], "score": item.get("score")}
            for item in items
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise EndpointError(
            'The endpoint must answer {"predictions": [{"case_id", "label", "score"}]}'
        ) from exc
    if len(rows) != expected:
        raise EndpointError(f"The endpoint answered {len(rows)} predictions for {expected} cases")
    return rows
