"""Allowed values of the ATRS facets, as the GOV.UK finder schema lists them.

A test checks these against ``registry/govuk_atrs_finder_schema.json`` so they cannot drift.
"""

from __future__ import annotations

ORGANISATION_TYPES: dict[str, str] = {
    "ministerial-department": "Ministerial department",
    "non-ministerial-department": "Non-ministerial department",
    "agency-or-public-body": "Agency or public body",
    "local-authority": "Local authority",
    "devolved-administration": "Devolved administration",
    "high-profile-group": "High profile group",
    "public-corporation": "Public corporation",
}

FUNCTIONS: dict[str, str] = {
    "general-public-services": "General public services",
    "defence": "Defence",
    "public-order-and-safety": "Public order and safety",
    "economic-affairs": "Economic affairs",
    "environmental-protection": "Environmental protection",
    "housing-and-community-amenities": "Housing and community amenities",
    "health": "Health",
    "recreation-culture-and-religion": "Recreation culture and religion",
    "education": "Education",
    "social-protection": "Social protection",
    "regulation": "Regulation",
}

CAPABILITIES: dict[str, str] = {
    "computer-vision": "Computer vision",
    "computer-audition": "Computer audition",
    "computer-linguistics": "Computer linguistics",
    "robotics": "Robotics",
    "forecasting": "Forecasting",
    "discovery": "Discovery",
    "planning": "Planning",
    "creation": "Creation",
    "analysis": "Analysis",
    "management": "Management",
    "other": "Other",
}

PHASES: dict[str, str] = {
    "pre-deployment": "Pre-deployment",
    "beta-pilot": "Beta/Pilot",
    "private-beta": "Private Beta",
    "public-beta": "Public Beta",
    "production": "Production",
    "retired": "Retired",
}
