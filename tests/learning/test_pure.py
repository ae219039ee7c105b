"""Pure functions: text, FTS5 query building, stage mapping, ranking arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from missionhub.learning import similarity
from missionhub.learning.importers import stages
from missionhub.learning.search import fts5_query
from missionhub.learning.textnorm import MARK_END, MARK_START, highlight, stem, words
from missionhub.portfolio.models import Stage


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("chatbot benefits", '"chatbot" AND "benefits"'),
        ('"benefit claims" triage', '"benefit claims" AND "triage"'),
        ("chatbot OR assistant -voice", '("chatbot" OR "assistant") NOT "voice"'),
        ('"unclosed AND (', '"unclosed" AND "AND"'),
        ("-only negative", '"negative" NOT "only"'),
        ("-alone", ""),
        ("*** ---", ""),
        ('say "" "hello"', '"say" AND "hello"'),
    ],
)
def test_fts5_query_is_always_valid_and_keeps_web_search_habits(typed: str, expected: str) -> None:
    assert fts5_query(typed) == expected


def test_highlight_escapes_everything_but_the_marks() -> None:
    text = f"<script>x</script> {MARK_START}court{MARK_END} & more"
    assert highlight(text) == "&lt;script&gt;x&lt;/script&gt; <mark>court</mark> &amp; more"


def test_words_fold_accents_drop_stop_words_and_stem() -> None:
    assert words("The Régie's chatbots are answering questions") == [
        "regie",
        "chatbot",
        "answer",
        "question",
    ]
    assert stem("process") == "process"
    assert stem("status") == "status"


@pytest.mark.parametrize(
    ("value", "table", "stage"),
    [
        ("Operation and Maintenance", stages.US_2024, Stage.LIVE),
        ("  initiated ", stages.US_2024, Stage.DISCOVERY),
        ("Pre-deployment", stages.US_2025, Stage.ALPHA),
        ("Pilot", stages.US_2025, Stage.BETA),
        ("Retired", stages.US_2025, Stage.RETIRED),
        ("In production: less than 6 months", stages.US_2023, Stage.BETA),
        ("Unknown", stages.EU_AI_WATCH, None),
        ("", stages.US_2025, None),
    ],
)
def test_stage_mapping(value: str, table: dict[str, Stage], stage: Stage | None) -> None:
    assert stages.map_stage(value, table) == stage


def test_cosine_matches_scikit_learn_on_the_same_features() -> None:
    """Our hashed TF-IDF cosine equals scikit-learn's TfidfVectorizer with the same analyser,
    sublinear tf and smoothed idf (the independent reference)."""
    texts = [
        "Chatbot answers tax questions online for citizens",
        "Predicts flooding from river gauges",
        "Online assistant answers benefit questions",
        "Counts birds in aerial imagery",
    ]
    index = similarity.SimilarityIndex()
    index.upsert([(i, "", t) for i, t in enumerate(texts)])
    matrix, weights = index.matrix()
    ours = similarity.scores(similarity.weigh(similarity.term_counts(texts), weights), matrix)
    reference = TfidfVectorizer(analyzer=similarity.features, sublinear_tf=True).fit_transform(
        texts
    )
    np.testing.assert_allclose(ours, cosine_similarity(reference), atol=1e-5)


def test_index_replaces_a_record_and_ranks_the_nearest_first() -> None:
    index = similarity.SimilarityIndex()
    index.upsert([("a", "x", "flood forecasting from rainfall"), ("b", "y", "tax chatbot")])
    index.upsert([("a", "x", "bird counting from drone images")])
    assert len(index) == 2
    assert [k for k, _ in index.query("counting birds in drone images", k=2)] == ["a"]
    assert index.query("tax chatbot answers", k=1)[0][0] == "b"


def test_rank_of_truth_counts_ties_against_the_truth() -> None:
    scores = np.array([[0.9, 0.5, 0.5], [0.0, 0.0, 0.0], [0.1, 0.2, 0.3]])
    ranks = similarity.rank_of_truth(scores, np.array([0, 2, 0]))
    assert ranks.tolist() == [0, 2, 2]
    assert similarity.recall_at(ranks, 1) == pytest.approx(1 / 3)
    assert similarity.recall_at(ranks, 5) == 1.0


def test_top_k_respects_allowed_and_drops_zero_scores() -> None:
    row = np.array([0.1, 0.0, 0.7, 0.4])
    assert similarity.top_k(row, 3) == [
        (2, pytest.approx(0.7)),
        (3, pytest.approx(0.4)),
        (0, pytest.approx(0.1)),
    ]
    allowed = np.array([True, True, False, True])
    assert [i for i, _ in similarity.top_k(row, 5, allowed)] == [3, 0]


def test_visibility_and_filters_become_tag_groups() -> None:
    from missionhub.accounts.models import Role
    from missionhub.accounts.permissions import Actor, Visibility
    from missionhub.learning.models import DocKind
    from missionhub.learning.search import SearchQuery, fts5_match, tag_groups
    from missionhub.learning.tags import document_tags, token

    member = Actor(1, Role.MEMBER, 7, True, "m")
    groups = tag_groups(member, SearchQuery(text="x", kind=DocKind.PROJECT, mission_id=3))
    assert groups == [
        [token("vis", "published"), token("vis", "internal"), token("org", 7)],
        [token("kind", "project")],
        [token("mission", 3)],
    ]
    assert tag_groups(Actor.system(), SearchQuery(text="x")) == []
    assert tag_groups(Actor.public(), SearchQuery(text="x")) == [[token("vis", "published")]]
    expression = fts5_match("court -draft", [[token("vis", "published")]])
    assert (
        expression
        == f'{{title body}} : ("court" NOT "draft") AND tags : ("{token("vis", "published")}")'
    )
    assert fts5_match("***", [[token("vis", "published")]]) == ""
    tags = document_tags(
        {
            "kind": DocKind.RECORD,
            "visibility": Visibility.PUBLISHED,
            "organisation_name": "Department of Labor",
            "country": "United States",
            "source": "us-federal-2025",
            "organisation_id": None,
            "stage": "live",
            "topic": None,
            "mission_ids": ",2,5,",
        }
    ).split()
    assert token("mission", "5") in tags
    assert token("stage", "live") in tags
    assert all(t.isalnum() for t in tags)


def test_snippet_marks_stemmed_matches_in_a_window() -> None:
    from missionhub.learning.textnorm import snippet

    text = (
        "Intro words here. " * 10 + "Our Chatbots answer benefit claims quickly. " + "More. " * 20
    )
    html = highlight(snippet(text, "chatbot claim", words_around=12))
    assert "<mark>Chatbots</mark>" in html
    assert "<mark>claims</mark>" in html
    assert html.startswith("… ")
    assert html.endswith(" …")
    assert (
        highlight(snippet("Tax chatbot lessons", "chatbot", 60))
        == "Tax <mark>chatbot</mark> lessons"
    )
