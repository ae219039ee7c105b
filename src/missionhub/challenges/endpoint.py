"""Call a supplier's registered model endpoint in batches, with timeouts and retries.

The platform POSTs ``{"instances": [{"case_id": ..., "inputs": {...}}, ...]}`` and expects
``{"predictions": [{"case_id": ..., "label": ..., "score": optional}, ...]}`` back. Only the
inputs are sent: never gold labels, groups, templates or functionalities.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pandas as pd

from missionhub.errors import Invalid, ServiceError

RETRY_STATUS = {429, 500, 502, 503, 504}


class EndpointError(ServiceError):
    """The endpoint could not be called, or its answer was not usable."""


@dataclass(frozen=True)
class EndpointPolicy:
    batch_size: int = 100
    timeout_seconds: float = 10.0
    retries: int = 3
    backoff_seconds: float = 0.5
    allow_private: bool = False  # loopback and private addresses: only in development and tests


def check_url(url: str, *, allow_private: bool) -> str:
    """Refuse anything but an http(s) URL to a public address (unless allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("Enter the endpoint as an http:// or https:// address", "endpoint_url")
    if allow_private:
        return url
    host = parts.hostname
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".internal", ".local")):
            raise Invalid("The endpoint must be on the public internet", "endpoint_url") from None
        return url
    if not address.is_global:
        raise Invalid("The endpoint must be on the public internet", "endpoint_url")
    return url


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
    """Every case's prediction from the endpoint, as a frame like a predictions file."""
    records = _records(inputs)
    rows: list[dict[str, Any]] = []
    own = client is None
    http = client or httpx.Client(timeout=policy.timeout_seconds, follow_redirects=False)
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
