"""Adoption assessments: the answers, the recommended route and the risks they imply. Pure.

A department wants to bring in commercial software or an AI tool. The assessment asks about
data protection (DPIA), security assurance, supplier assurance, and, for AI, the ten principles
of the AI Playbook for the UK Government, and whether an Algorithmic Transparency Recording
Standard (ATRS) record is needed. :func:`recommend` turns the answers into a route, the reasons
for it, and the risks the gaps imply; the CIO then decides, with reasons and a review date.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from missionhub.risk.models import AssessmentKind, RiskCategory


class DpiaStatus(StrEnum):
    NOT_NEEDED = "not-needed"
    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return {
            "not-needed": "Not needed (screened out)",
            "not-started": "Needed, not started",
            "in-progress": "In progress",
            "completed": "Completed and signed off",
        }[self.value]


class Assurance(StrEnum):
    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    PASSED = "passed"
    CONDITIONS = "passed-with-conditions"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {
            "not-started": "Not started",
            "in-progress": "In progress",
            "passed": "Passed",
            "passed-with-conditions": "Passed with conditions",
            "failed": "Failed",
        }[self.value]


class PrincipleRating(StrEnum):
    MET = "met"
    PARTLY = "partly"
    NOT_MET = "not-met"
    NOT_ASSESSED = "not-assessed"

    @property
    def label(self) -> str:
        return {
            "met": "Met",
            "partly": "Partly met",
            "not-met": "Not met",
            "not-assessed": "Not yet assessed",
        }[self.value]


class Route(StrEnum):
    """Routes from the most to the least confident."""

    ADOPT = "adopt"
    ADOPT_WITH_CONDITIONS = "adopt-with-conditions"
    PILOT = "pilot"
    NOT_YET = "not-yet"
    DO_NOT_ADOPT = "do-not-adopt"

    @property
    def label(self) -> str:
        return {
            "adopt": "Adopt with the department's standard controls",
            "adopt-with-conditions": "Adopt, with conditions to meet before or at go-live",
            "pilot": "Time-limited pilot with safeguards, then decide again",
            "not-yet": "Not yet: finish the assurance, then decide",
            "do-not-adopt": "Do not adopt",
        }[self.value]

    @property
    def short(self) -> str:
        return {
            "adopt": "Adopt",
            "adopt-with-conditions": "Adopt with conditions",
            "pilot": "Pilot",
            "not-yet": "Not yet",
            "do-not-adopt": "Do not adopt",
        }[self.value]


@dataclass(frozen=True, slots=True)
class Principle:
    number: int
    text: str
    category: RiskCategory
    impact: int

    @property
    def key(self) -> str:
        return f"principle_{self.number}"


PRINCIPLES: tuple[Principle, ...] = (
    Principle(1, "You know what AI is and what its limitations are", RiskCategory.TECHNOLOGY, 3),
    Principle(2, "You use AI lawfully, ethically and responsibly", RiskCategory.LEGAL, 5),
    Principle(3, "You know how to use AI securely", RiskCategory.SECURITY, 4),
    Principle(
        4, "You have meaningful human control at the right stages", RiskCategory.OPERATIONS, 4
    ),
    Principle(5, "You understand how to manage the AI life cycle", RiskCategory.TECHNOLOGY, 3),
    Principle(6, "You use the right tool for the job", RiskCategory.STRATEGIC, 3),
    Principle(7, "You are open and collaborative", RiskCategory.REPUTATIONAL, 3),
    Principle(8, "You work with commercial colleagues from the start", RiskCategory.COMMERCIAL, 3),
    Principle(9, "You have the skills and expertise to build and use AI", RiskCategory.PEOPLE, 3),
    Principle(
        10,
        "You use these principles alongside your organisation's policies and have the right "
        "assurance in place",
        RiskCategory.GOVERNANCE,
        3,
    ),
)
BLOCKING_PRINCIPLES = frozenset({2, 3})  # unlawful or insecure use is not piloted


@dataclass(frozen=True, slots=True)
class Answers:
    """The structured answers (see ``schemas.AssessmentIn`` for the validated form)."""

    kind: AssessmentKind
    personal_data: bool
    special_category_data: bool
    dpia: DpiaStatus
    security: Assurance
    supplier_assurance: Assurance
    public_facing: bool
    influences_decisions: bool
    principles: dict[int, PrincipleRating]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answers:
        kind = AssessmentKind(data["kind"])
        return cls(
            kind=kind,
            personal_data=bool(data["personal_data"]),
            special_category_data=bool(data["special_category_data"]),
            dpia=DpiaStatus(data["dpia"]),
            security=Assurance(data["security"]),
            supplier_assurance=Assurance(data["supplier_assurance"]),
            public_facing=bool(data["public_facing"]),
            influences_decisions=bool(data["influences_decisions"]),
            principles={
                p.number: PrincipleRating(data[p.key])
                for p in PRINCIPLES
                if kind is AssessmentKind.AI_TOOL and data.get(p.key)
            },
        )


@dataclass(frozen=True, slots=True)
class ImpliedRisk:
    category: RiskCategory
    title: str
    cause: str
    event: str
    effect: str
    likelihood: int
    impact: int

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category.value,
            "title": self.title,
            "cause": self.cause,
            "event": self.event,
            "effect": self.effect,
            "likelihood": self.likelihood,
            "impact": self.impact,
        }


@dataclass(frozen=True, slots=True)
class Recommendation:
    route: Route
    reasons: list[str]
    risks: list[ImpliedRisk]
    atrs_needed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "route": self.route.value,
            "reasons": self.reasons,
            "risks": [r.as_dict() for r in self.risks],
            "atrs_needed": self.atrs_needed,
        }


def atrs_needed(a: Answers) -> bool:
    """An ATRS record is expected for an algorithmic tool that significantly influences
    decisions affecting the public, or an AI tool that interacts with the public directly."""
    return a.influences_decisions or (a.kind is AssessmentKind.AI_TOOL and a.public_facing)


def dpia_required(a: Answers) -> bool:
    return a.special_category_data or (a.personal_data and a.kind is AssessmentKind.AI_TOOL)


def _findings(a: Answers) -> dict[Route, list[str]]:
    """Each finding, filed under the route it pushes the recommendation to."""
    found: dict[Route, list[str]] = {route: [] for route in Route}
    for name, status in (("Security", a.security), ("Supplier", a.supplier_assurance)):
        route = {
            Assurance.FAILED: Route.DO_NOT_ADOPT,
            Assurance.NOT_STARTED: Route.NOT_YET,
            Assurance.IN_PROGRESS: Route.PILOT,
            Assurance.CONDITIONS: Route.ADOPT_WITH_CONDITIONS,
        }.get(status)
        if route:
            found[route].append(f"{name} assurance: {status.label.lower()}")
    if a.personal_data and a.dpia is DpiaStatus.NOT_STARTED:
        found[Route.NOT_YET].append("The data protection impact assessment has not started")
    elif a.personal_data and a.dpia is DpiaStatus.IN_PROGRESS:
        found[Route.PILOT].append("The data protection impact assessment is not finished")
    for p in PRINCIPLES:
        rating = a.principles.get(p.number)
        if rating is None or rating is PrincipleRating.MET:
            continue
        route = {
            PrincipleRating.NOT_ASSESSED: Route.NOT_YET,
            PrincipleRating.PARTLY: Route.ADOPT_WITH_CONDITIONS,
            PrincipleRating.NOT_MET: (
                Route.DO_NOT_ADOPT if p.number in BLOCKING_PRINCIPLES else Route.PILOT
            ),
        }[rating]
        found[route].append(f"AI Playbook principle {p.number} ({p.text}): {rating.label.lower()}")
    if atrs_needed(a):
        found[Route.ADOPT_WITH_CONDITIONS].append(
            "An algorithmic transparency record must be published before go-live"
        )
    return found


def recommend(a: Answers) -> Recommendation:
    """The most cautious route any finding calls for, with all the reasons for it."""
    found = _findings(a)
    route = next(
        (r for r in reversed(list(Route)) if found[r]),
        Route.ADOPT,
    )
    reasons = [reason for r in reversed(list(Route)) for reason in found[r]]
    return Recommendation(route, reasons, implied_risks(a), atrs_needed(a))


def _assurance_likelihood(status: Assurance) -> int | None:
    return {
        Assurance.FAILED: 5,
        Assurance.NOT_STARTED: 4,
        Assurance.IN_PROGRESS: 3,
        Assurance.CONDITIONS: 2,
    }.get(status)


def implied_risks(a: Answers) -> list[ImpliedRisk]:
    """The risks the gaps in an assessment imply, scored before any treatment."""
    risks: list[ImpliedRisk] = []
    if dpia_required(a) or a.personal_data:
        likelihood = {DpiaStatus.NOT_STARTED: 4, DpiaStatus.IN_PROGRESS: 3}.get(a.dpia)
        if likelihood:
            risks.append(
                ImpliedRisk(
                    RiskCategory.INFORMATION,
                    "Personal data processed before the DPIA is complete",
                    "the data protection impact assessment is not complete",
                    "personal data is processed in a way that breaks UK GDPR",
                    "harm to data subjects, regulatory action and loss of trust",
                    likelihood,
                    5 if a.special_category_data else 4,
                )
            )
    for name, status, category, impact, effect in (
        ("Security", a.security, RiskCategory.SECURITY, 4, "a breach of systems or data"),
        (
            "Supplier",
            a.supplier_assurance,
            RiskCategory.COMMERCIAL,
            3,
            "service failure, lock-in or unexpected cost",
        ),
    ):
        likelihood = _assurance_likelihood(status)
        if likelihood:
            risks.append(
                ImpliedRisk(
                    category,
                    f"{name} assurance {status.label.lower()}",
                    f"{name.lower()} assurance is {status.label.lower()}",
                    f"a {name.lower()} weakness goes unnoticed until the tool is in use",
                    effect,
                    likelihood,
                    impact,
                )
            )
    risks.extend(_principle_risks(a))
    if atrs_needed(a):
        risks.append(
            ImpliedRisk(
                RiskCategory.REPUTATIONAL,
                "Algorithmic transparency record not yet published",
                "the tool influences decisions about, or talks to, the public",
                "it goes live without a published ATRS record",
                "criticism for a lack of transparency and loss of public trust",
                3,
                3,
            )
        )
    return risks


def _principle_risks(a: Answers) -> list[ImpliedRisk]:
    risks = []
    for p in PRINCIPLES:
        rating = a.principles.get(p.number)
        likelihood = (
            {
                PrincipleRating.NOT_MET: 4,
                PrincipleRating.NOT_ASSESSED: 3,
                PrincipleRating.PARTLY: 2,
            }.get(rating)
            if rating
            else None
        )
        if likelihood is None:
            continue
        raises = a.influences_decisions and p.number in (2, 4)
        risks.append(
            ImpliedRisk(
                p.category,
                f"AI Playbook principle {p.number} {rating.label.lower()}",  # type: ignore[union-attr]
                f"principle {p.number} ({p.text}) is {rating.label.lower()}",  # type: ignore[union-attr]
                "the tool is used in ways the principle exists to prevent",
                "poor or unfair outcomes for people and loss of trust",
                likelihood,
                min(5, p.impact + (1 if raises else 0)),
            )
        )
    return risks
