"""How each inventory's development stage maps to the GOV.UK Service Standard phases.

The mapping is documented in docs/learning.md. A value not listed maps to no stage (unknown)
and the record keeps the source's own words in ``source_stage``; it is never guessed.
"""

from __future__ import annotations

from missionhub.portfolio.models import Stage

D, A, B, L, R = Stage.DISCOVERY, Stage.ALPHA, Stage.BETA, Stage.LIVE, Stage.RETIRED

# US 2023: free text, SDLC stages plus agencies' own words.
US_2023: dict[str, Stage] = {
    "initiation": D,
    "planned (not in production)": D,
    "investigating/proof of concept": D,
    "development and acquisition": A,
    "development (not in production)": A,
    "proof-of-concept completed": A,
    "successfully tested but not in production.": A,
    "implementation": B,
    "deployment": B,
    "in production: less than six months": B,
    "in production: less than 6 months": B,
    "operation and maintenance": L,
    "operation and management": L,
    "in-use": L,
    "in production: more than 1 year": L,
    "in mission": L,
    "retired": R,
}

# US 2024: the NIST system development life cycle stages of the data dictionary (16_dev_stage).
US_2024: dict[str, Stage] = {
    "planned": D,
    "initiated": D,
    "acquisition and/or development": A,
    "implementation and assessment": B,
    "operation and maintenance": L,
    "in production": L,
    "in mission": L,
    "retired": R,
}

# US 2025: four values (data dictionary, development_stage).
US_2025: dict[str, Stage] = {
    "pre-deployment": A,  # "in a development or acquisition status"
    "pilot": B,  # "deployed in a limited test or pilot capacity"
    "deployed": L,
    "retired": R,
}

# EU AI Watch: every record's status is "Unknown" in the published file.
EU_AI_WATCH: dict[str, Stage] = {
    "planned": D,
    "pilot": B,
    "in development": A,
    "implemented": L,
    "operational": L,
    "discontinued": R,
}


def map_stage(value: str | None, table: dict[str, Stage]) -> Stage | None:
    """The stage for a source's value (case and surrounding space ignored), or None."""
    if not value:
        return None
    return table.get(" ".join(value.split()).casefold())
