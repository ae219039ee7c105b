"""Demo: a HateCheck challenge with three submissions from simple baselines, evaluated.

What the baselines are, honestly: no hate-speech training corpus ships with the platform or
its packages offline, so no model here is *trained*. The three submissions are rule-based
baselines written for this demo, in the spirit of the keyword filters many real moderation
systems still start from. None of them was tuned on HateCheck's cases: the word lists below
were written before looking at the suite's results and are not derived from its text.

- Hostile-word lexicon: "hateful" if the text contains a hostile or threatening word.
- Lexicon with negation: the same, but not when a negation or counter-speech cue appears.
- Identity mention: "hateful" whenever a protected group is named (a known failure mode:
  it penalises every neutral or positive mention of a group).

The suppliers are fictional and named as such. Safe to run again: nothing is duplicated.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, OrgKind, Role
from missionhub.accounts.permissions import Actor
from missionhub.accounts.seed import ensure_organisation
from missionhub.challenges import jobs, service
from missionhub.challenges.models import Challenge, ChallengeStatus
from missionhub.challenges.schemas import ChallengeIn, SubmissionIn
from missionhub.db.base import utcnow
from missionhub.portfolio.models import Mission

TITLE = "Detecting hateful content in reports of online abuse (demo)"
OWNER = "Ministry of Justice"

HOSTILE = (
    "hate|hated|hating|despise|disgust|disgusting|vermin|scum|filth|filthy|trash|rats?|"
    "parasites?|pests?|subhuman|animals|kill|killed|murder|shoot|hang|die|dead|burn|"
    "exterminate|wipe|attack|hurt|beat|worthless|pathetic|inferior|stupid|idiots?|"
    "useless|plague|cancer|disease|evil|dangerous|criminals|lesser|don't belong|get out"
)
NEGATION = r"\b(?:not|never|no|don't hate|isn't|aren't|wrong to|stop saying|if you say)\b|\""
IDENTITY = (
    r"\b(?:women|woman|girls?|trans|transgender|gay|gays|lesbians?|black|disabled|"
    r"muslims?|islam|immigrants?|refugees?|foreigners?)\b"
)


def hostile_lexicon(texts: pd.Series) -> pd.DataFrame:
    hits = texts.str.lower().str.count(rf"\b({HOSTILE})\b")
    return _answer(texts.index, hits > 0, (hits / 3).clip(upper=1.0))


def lexicon_with_negation(texts: pd.Series) -> pd.DataFrame:
    lower = texts.str.lower()
    hits = lower.str.count(rf"\b({HOSTILE})\b")
    negated = lower.str.contains(NEGATION, regex=True)
    flagged = (hits > 0) & ~negated
    return _answer(texts.index, flagged, ((hits / 3).clip(upper=1.0) * (~negated * 0.8 + 0.2)))


def identity_mention(texts: pd.Series) -> pd.DataFrame:
    mentioned = texts.str.lower().str.contains(IDENTITY, regex=True)
    return _answer(texts.index, mentioned, mentioned * 0.9 + 0.05)


def _answer(index: pd.Index, flagged: pd.Series, score: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": flagged.map({True: "hateful", False: "non-hateful"}),
            "score": score.astype(float).round(4),
        },
        index=index,
    )


BASELINES = [
    (
        "Hostile-word lexicon",
        "Keyword Filters Ltd (fictional demo supplier)",
        hostile_lexicon,
        "Rule-based: flags a post containing any of about 50 hostile or threatening words. "
        "Not trained on any data; not tuned on HateCheck.",
    ),
    (
        "Lexicon with negation",
        "Demo Supplier Ltd (fictional)",
        lexicon_with_negation,
        "Rule-based: the hostile-word lexicon, but a negation, quotation or counter-speech "
        "cue clears the flag. Not trained on any data; not tuned on HateCheck.",
    ),
    (
        "Identity mention",
        "Naive Moderation Ltd (fictional demo supplier)",
        identity_mention,
        "Rule-based: flags any post naming a protected group. Included as a known-bad "
        "baseline: it treats every mention of a group as hateful.",
    ),
]


def load(session: Session, *, data_dir: Path) -> str:
    if session.scalar(select(Challenge.id).where(Challenge.title == TITLE)):
        return "Challenges: the demo HateCheck challenge is already loaded."
    if not (data_dir / "assurance" / "hatecheck_test_suite_cases.csv").exists():
        return "Challenges: HateCheck is not in the data folder; no demo challenge loaded."
    system = Actor.system("demo load")
    owner = session.scalar(select(Organisation).where(Organisation.name == OWNER))
    mission = session.scalar(select(Mission).where(Mission.slug == "safer-streets"))
    if owner is None or mission is None:
        return "Challenges: departments and missions must load first; no demo challenge loaded."
    challenge = service.create_challenge(
        session,
        actor=system,
        data=ChallengeIn(
            title=TITLE,
            brief="Victims report abuse they receive online, and staff must find the hateful "
            "posts among many. We want a tool that flags hateful content reliably and works "
            "as well for posts about every protected group. (A demo challenge: the suite is "
            "HateCheck, Röttger et al. 2021, CC BY 4.0; the submissions are simple baselines.)",
            eligibility="Any supplier; SMEs are encouraged.",
            criteria="F1 on the hidden suite, and no large gap for any protected group.",
            mission_id=mission.id,
            organisation_id=owner.id,
            primary_metric="f1",
        ),
    )
    service.import_suite(
        session, actor=system, challenge_id=challenge.id, source="hatecheck", data_dir=data_dir
    )
    service.change_status(session, actor=system, challenge_id=challenge.id, to=ChallengeStatus.OPEN)
    _submit_baselines(session, challenge)
    service.change_status(
        session, actor=system, challenge_id=challenge.id, to=ChallengeStatus.CLOSED
    )
    jobs.evaluate_now(session, actor=system, challenge_id=challenge.id)
    challenge.results_released_at = utcnow()
    session.flush()
    return "Challenges: a HateCheck challenge with three baseline submissions, evaluated."


def _submit_baselines(session: Session, challenge: Challenge) -> None:
    assert challenge.suite is not None
    frame = service.suite_frame(session, challenge.suite)
    texts = frame.set_index("case_id")["text"].astype(str)
    for name, supplier, rule, description in BASELINES:
        org = ensure_organisation(session, supplier, OrgKind.SUPPLIER)
        actor = Actor(None, Role.SUPPLIER, org.id, False, f"demo load ({supplier})")
        answer = rule(texts).reset_index().rename(columns={"index": "case_id"})
        service.submit_predictions(
            session,
            actor=actor,
            challenge_id=challenge.id,
            data=SubmissionIn(name=name, description=description),
            raw=answer.astype(str),
            first_row=2,
            filename=f"{re.sub(r'[^a-z]+', '-', name.lower())}.csv",
        )
