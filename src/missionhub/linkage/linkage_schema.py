"""The linkage schema: which fields are encoded, how each is normalised and encoded, their
weights, the Bloom-filter (CLK) settings and hardening, and the keyed-hash match keys.

A schema is agreed for one linkage project and versioned by the hub. Its fingerprint (the
SHA-256 of its canonical JSON) travels inside every encodings file, so the hub can refuse
encodings made with another schema or another version of this one. The schema holds no secret.
Pure: no database, no web.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from missionhub.errors import Invalid

FieldKind = Literal["name", "date", "postcode", "text", "number", "code"]
OnInvalid = Literal["reject", "blank", "keep"]
Transform = Literal["full", "initial", "first3", "year", "district"]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]

DEFAULT_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%Y%m%d"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    """One identifying field: how to normalise it and how strongly it counts in the CLK."""

    name: Identifier
    kind: FieldKind
    weight: int = Field(
        10, ge=0, le=60, description="Hash functions per token in the CLK (0: match keys only)."
    )
    q: int = Field(2, ge=1, le=4, description="Length of the q-grams encoded.")
    formats: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DATE_FORMATS),
        description="Date formats tried in order (dates only); owners may override at encode time.",
    )
    on_invalid: OnInvalid = Field(
        "reject",
        description="A value that is not a real date or UK postcode: reject the file, treat the "
        "value as missing, or keep its characters as they are (for noisy data).",
    )

    @model_validator(mode="after")
    def _formats_only_for_dates(self) -> FieldSpec:
        if self.kind == "date" and not self.formats:
            raise ValueError(f"field {self.name}: give at least one date format")
        return self


class MatchKeyPart(_Strict):
    field: Identifier
    transform: Transform = "full"


class MatchKeySpec(_Strict):
    """A keyed hash of several normalised fields: records match on it only when all agree."""

    name: Identifier
    parts: list[MatchKeyPart] = Field(min_length=1, max_length=8)


class Hardening(_Strict):
    """Defences against attacks on Bloom-filter encodings (see docs/linkage-security.md)."""

    balance: bool = Field(
        True,
        description="Append the complement and permute with a keyed shuffle: every "
        "encoding has the same number of ones, so weights and bit frequencies give nothing away.",
    )
    xor_fold: bool = Field(False, description="XOR the two halves (halves the length).")
    blip: float = Field(
        0.0,
        ge=0.0,
        lt=0.5,
        description="Flip each bit with this probability (randomised response).",
    )


class ClkSpec(_Strict):
    bits: int = Field(1024, ge=64, le=8192, multiple_of=64)
    hardening: Hardening = Hardening()


class LinkageSchema(_Strict):
    """What data owners encode and how. ``project`` and ``version`` are set by the hub."""

    name: Identifier
    project: str = Field(pattern=r"^lp-[0-9a-f]{16}$")
    version: int = Field(ge=1)
    fields: list[FieldSpec] = Field(min_length=1, max_length=20)
    clk: ClkSpec | None = ClkSpec()
    match_keys: list[MatchKeySpec] = Field(default_factory=list, max_length=10)
    threshold: float = Field(0.8, gt=0.0, le=1.0, description="Default similarity threshold.")

    @model_validator(mode="after")
    def _consistent(self) -> LinkageSchema:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("each field name may appear only once")
        if self.clk is None and not self.match_keys:
            raise ValueError("choose a CLK encoding, match keys, or both")
        if self.clk is not None and not any(f.weight for f in self.fields):
            raise ValueError("a CLK needs at least one field with a weight above 0")
        for key in self.match_keys:
            for part in key.parts:
                if part.field not in names:
                    raise ValueError(f"match key {key.name}: no field called {part.field}")
        if len({k.name for k in self.match_keys}) != len(self.match_keys):
            raise ValueError("each match key name may appear only once")
        return self

    @property
    def encoded_bits(self) -> int:
        """Length of the stored CLK after hardening (balancing doubles, folding halves)."""
        if self.clk is None:
            return 0
        bits = self.clk.bits * (2 if self.clk.hardening.balance else 1)
        return bits // 2 if self.clk.hardening.xor_fold else bits

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def parse_schema(data: dict[str, Any] | str, *, prefix: str = "") -> LinkageSchema:
    """A schema from JSON text or a dict, or ``Invalid`` naming each bad field."""
    try:
        if isinstance(data, str):
            return LinkageSchema.model_validate_json(data)
        return LinkageSchema.model_validate(data)
    except ValidationError as exc:
        raise Invalid.from_pydantic(exc, prefix=prefix) from exc


def person_template(name: str = "person") -> dict[str, Any]:
    """A starting point for people: names, date of birth, UK postcode and sex, with match keys."""
    return {
        "name": name,
        "fields": [
            {"name": "first_name", "kind": "name", "weight": 12},
            {"name": "last_name", "kind": "name", "weight": 14},
            {"name": "date_of_birth", "kind": "date", "weight": 14},
            {"name": "postcode", "kind": "postcode", "weight": 8},
            {"name": "sex", "kind": "code", "weight": 4},
        ],
        "clk": {"bits": 1024, "hardening": {"balance": True, "xor_fold": False, "blip": 0.0}},
        "match_keys": [
            {
                "name": "name_dob",
                "parts": [
                    {"field": "first_name"},
                    {"field": "last_name"},
                    {"field": "date_of_birth"},
                ],
            },
            {
                "name": "initial_dob_postcode",
                "parts": [
                    {"field": "first_name", "transform": "initial"},
                    {"field": "date_of_birth"},
                    {"field": "postcode"},
                ],
            },
        ],
        "threshold": 0.8,
    }
