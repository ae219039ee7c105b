"""The hub's comparison, checked against brute force and plain-Python references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from missionhub.linkage import matching, quality


def random_filters(
    rng: np.random.Generator, n: int, width: int = 32, fill: float = 0.3
) -> np.ndarray:
    return np.packbits(rng.random((n, width * 8)) < fill, axis=1)


def noisy_copy(rng: np.random.Generator, clks: np.ndarray, flip: float) -> np.ndarray:
    bits = np.unpackbits(clks, axis=1)
    return np.packbits(bits ^ (rng.random(bits.shape) < flip), axis=1)


def test_bucket_pairs_equals_a_brute_force_join() -> None:
    rng = np.random.default_rng(3)
    ka, kb = rng.integers(0, 20, 200).astype(np.uint64), rng.integers(0, 20, 150).astype(np.uint64)
    ia, ib = matching.bucket_pairs(ka, kb, max_pairs=10**9)
    expected = {(i, j) for i in range(200) for j in range(150) if ka[i] == kb[j]}
    assert set(zip(ia.tolist(), ib.tolist(), strict=True)) == expected
    small_ia, _ = matching.bucket_pairs(ka, kb, max_pairs=50)  # big buckets are skipped
    assert len(small_ia) < len(ia)


def test_dice_equals_the_set_definition() -> None:
    rng = np.random.default_rng(4)
    a, b = random_filters(rng, 30), random_filters(rng, 40)
    ia, ib = np.repeat(np.arange(30), 40), np.tile(np.arange(40), 30)
    scores = matching.dice(a, b, ia, ib, chunk=97)
    for k in rng.integers(0, len(ia), 50):
        sa = set(np.flatnonzero(np.unpackbits(a[ia[k]])))
        sb = set(np.flatnonzero(np.unpackbits(b[ib[k]])))
        assert scores[k] == pytest.approx(2 * len(sa & sb) / (len(sa) + len(sb)), abs=1e-6)


def test_lsh_finds_near_duplicates_among_many_unrelated_encodings() -> None:
    rng = np.random.default_rng(5)
    a = random_filters(rng, 3000, width=128)
    b = noisy_copy(rng, a, 0.03)
    params = matching.LinkParams(all_pairs_up_to=0, min_candidates=0)
    flat = matching.lsh_candidates(a, b, params)
    true = np.arange(3000) * 3000 + np.arange(3000)
    recall = np.isin(true, flat).mean()
    assert recall > 0.99
    assert len(flat) < 2 * params.candidates_per_record * 3000  # not all 9 million pairs


def test_two_parties_get_a_one_to_one_assignment_best_first() -> None:
    party_of = np.array([0, 0, 1, 1])
    u, v = np.array([0, 0, 1]), np.array([2, 3, 2])
    scores = np.array([0.95, 0.9, 0.97])
    roots, confidence, merges = matching.assign(party_of, u, v, scores, threshold=0.8)
    # 1-2 (0.97) goes first, so 0 cannot take 2 and takes 3 instead.
    assert roots[1] == roots[2]
    assert roots[0] == roots[3]
    assert roots[0] != roots[1]
    assert confidence.tolist() == [0.9, 0.97, 0.97, 0.9]
    assert [m.score for m in merges] == [0.97, 0.9]


def test_three_parties_form_groups_with_at_most_one_record_per_party() -> None:
    party_of = np.array([0, 1, 2, 1])
    u, v, s = np.array([0, 1, 0]), np.array([1, 2, 3]), np.array([0.9, 0.85, 0.88])
    roots, _, merges = matching.assign(party_of, u, v, s, threshold=0.8)
    assert roots[0] == roots[1] == roots[2]
    assert roots[3] != roots[0]  # a second record of party 1 cannot join
    assert sum(m.pairs for m in merges) == 3  # one group of three is three linked pairs


def test_groups_at_a_higher_threshold_are_a_prefix_of_the_same_pass() -> None:
    rng = np.random.default_rng(6)
    party_of = np.repeat([0, 1, 2], 20)
    pairs = [(i, j) for i, j in itertools.combinations(range(60), 2) if party_of[i] != party_of[j]]
    u = np.array([p[0] for p in pairs])
    v = np.array([p[1] for p in pairs])
    s = rng.random(len(pairs)).astype(np.float32)
    _, _, all_merges = matching.assign(party_of, u, v, s, threshold=0.0)
    for t in (0.5, 0.8, 0.95):
        keep = s >= t
        roots, _, merges = matching.assign(party_of, u[keep], v[keep], s[keep], threshold=t)
        assert merges == [m for m in all_merges if m.score >= t]
        snapshot, _, _ = matching.assign(party_of, u, v, s, threshold=t)
        assert (snapshot[:, None] == snapshot[None, :]).tolist() == (
            roots[:, None] == roots[None, :]
        ).tolist()


def test_link_and_quality_on_three_parties_with_ground_truth() -> None:
    rng = np.random.default_rng(7)
    base = random_filters(rng, 300, width=64)
    truth = np.array([f"t{i}".encode() for i in range(300)], dtype=object)
    parties = [
        matching.Party(
            f"p{k}",
            np.array([f"{k}-{i}" for i in range(300)], dtype=object),
            noisy_copy(rng, base, 0.02),
            truth=truth,
        )
        for k in range(3)
    ]
    outcome = matching.link(parties, matching.LinkParams(threshold=0.8))
    assert outcome.true_pairs == 3 * 300
    report = quality.summarise(outcome, 0.8)
    assert report["at_threshold"]["f1"] > 0.99
    ids = [m.link_ids for m in outcome.mappings]
    assert (ids[0] == ids[1]).mean() > 0.99
    assert (ids[1] == ids[2]).mean() > 0.99
    assert len(set(ids[0])) == 300  # link ids are distinct per person
    assert all(i.startswith("L") and len(i) == 17 for i in ids[0])


def test_precision_recall_f1_match_scikit_learn() -> None:
    from sklearn.metrics import f1_score, precision_score, recall_score

    y_true = np.array([1] * 80 + [0] * 20 + [1] * 10)
    y_pred = np.array([1] * 80 + [1] * 20 + [0] * 10)
    p, r, f = quality.precision_recall_f1(predicted=100, correct=80, actual=90)
    assert p == pytest.approx(precision_score(y_true, y_pred))
    assert r == pytest.approx(recall_score(y_true, y_pred))
    assert f == pytest.approx(f1_score(y_true, y_pred))


def test_match_keys_link_exact_agreements_only() -> None:
    keys_a = np.array([b"k1", b"k2", None, b"k4"], dtype=object)
    keys_b = np.array([b"k2", None, b"k1", b"k9"], dtype=object)
    a = matching.Party("a", np.array(["a1", "a2", "a3", "a4"], dtype=object), None, {"m": keys_a})
    b = matching.Party("b", np.array(["b1", "b2", "b3", "b4"], dtype=object), None, {"m": keys_b})
    outcome = matching.link([a, b], matching.LinkParams(method="match-keys", threshold=1.0))
    ma, mb = outcome.mappings
    assert ma.link_ids[0] == mb.link_ids[2]
    assert ma.link_ids[1] == mb.link_ids[0]
    assert ma.matched == 2
    assert mb.matched == 2
