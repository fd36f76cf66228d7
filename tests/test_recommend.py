"""`papersift.members.recommend`: the "For you" ranking and its reasons, on small synthetic vectors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from papersift.members import recommend


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def mix(cosine: float, towards: np.ndarray, away: np.ndarray) -> np.ndarray:
    """A unit vector with the given cosine to `towards` (the rest along `away`, orthogonal to it)."""
    return (cosine * towards + np.sqrt(1 - cosine**2) * away).astype(np.float32)


E = np.eye(4, dtype=np.float32)


def test_candidates_come_back_closest_first() -> None:
    library = np.stack([E[0]])
    candidates = np.stack([mix(0.2, E[0], E[1]), mix(0.9, E[0], E[1]), mix(0.5, E[0], E[1])])

    order, scores = recommend.rank(library, candidates, limit=3)

    assert order.tolist() == [1, 2, 0]
    assert scores == pytest.approx([0.9, 0.5, 0.2], abs=1e-5)  # one saved paper: the plain cosine


def test_limit_cuts_the_ranking_and_may_exceed_the_candidates() -> None:
    library = np.stack([E[0]])
    candidates = np.stack([mix(c, E[0], E[1]) for c in (0.1, 0.4, 0.8, 0.3)])

    assert recommend.rank(library, candidates, limit=2)[0].tolist() == [2, 1]
    assert recommend.rank(library, candidates, limit=10)[0].tolist() == [2, 1, 3, 0]
    assert recommend.rank(library, candidates, limit=0)[0].tolist() == []


def test_equal_scores_keep_the_candidates_order() -> None:
    library = np.stack([E[0]])
    same = mix(0.6, E[0], E[1])
    candidates = np.stack([mix(0.1, E[0], E[1]), same, same, same, mix(0.9, E[0], E[1])])

    # the tie sits across the cut at 3: the lower indices win, in order
    assert recommend.rank(library, candidates, limit=3)[0].tolist() == [4, 1, 2]
    assert recommend.top_indices(np.array([1.0, 2.0, 2.0, 2.0, 0.5]), 2).tolist() == [1, 2]


def test_a_small_topic_of_the_library_is_not_drowned_by_a_large_one() -> None:
    # three saved papers on topic 0, one on topic 1
    library = np.stack([E[0], E[0], E[0], E[1]])
    near_small_topic = E[1]  # the lone topic-1 paper's twin: cosines 0, 0, 0, 1
    halfway_to_big_topic = mix(0.5, E[0], E[2])  # cosines 0.5, 0.5, 0.5, 0
    candidates = np.stack([halfway_to_big_topic, near_small_topic])

    order, _ = recommend.rank(library, candidates, limit=2)
    centroid_order = np.argsort(-(candidates @ library.mean(axis=0)))

    assert order.tolist() == [1, 0]
    assert centroid_order.tolist() == [0, 1]  # what papersift's centroid did


def test_a_candidate_close_to_several_saved_papers_beats_one_close_to_a_single_one() -> None:
    library = np.stack([E[0], mix(0.95, E[0], E[1]), E[2]])
    near_two = mix(0.9, E[0], E[3])  # ~0.9 to the first two saved papers
    near_one = mix(0.9, E[2], E[3])  # 0.9 to the third only

    order, _ = recommend.rank(library, np.stack([near_one, near_two]), limit=2)

    assert order.tolist() == [1, 0]


def test_soft_maximum_lies_between_the_mean_and_the_largest_cosine() -> None:
    cosines = np.array([[0.9, 0.1], [0.1, 0.2], [0.2, 0.3]], dtype=np.float32)

    soft = recommend.soft_maximum(cosines, 0.1)

    assert np.all(soft >= cosines.mean(axis=0) - 1e-6)
    assert np.all(soft <= cosines.max(axis=0) + 1e-6)
    assert recommend.soft_maximum(cosines, 1e-4) == pytest.approx(cosines.max(axis=0), abs=1e-3)
    assert recommend.soft_maximum(cosines, 1e4) == pytest.approx(cosines.mean(axis=0), abs=1e-3)


def test_no_candidates_give_an_empty_ranking() -> None:
    library = np.stack([E[0], E[1]])
    no_vectors = np.zeros((0, 4), dtype=np.float32)
    no_terms = sparse.csr_matrix((0, 3), dtype=np.float32)
    library_terms = sparse.csr_matrix(np.eye(2, 3, dtype=np.float32))

    order, scores = recommend.rank(library, no_vectors, limit=5)
    both = recommend.rank(library, no_vectors, 5, library_terms, no_terms)

    assert order.shape == (0,) and scores.shape == (0,)
    assert both[0].shape == (0,) and both[1].shape == (0,)


def test_an_empty_library_is_an_error() -> None:
    with pytest.raises(ValueError, match="library is empty"):
        recommend.rank(np.zeros((0, 4), dtype=np.float32), np.stack([E[0]]), limit=5)


def test_vectors_of_other_dimensions_are_an_error() -> None:
    with pytest.raises(ValueError, match="dimension mismatch"):
        recommend.rank(np.stack([E[0]]), np.ones((2, 3), dtype=np.float32), limit=5)


def test_closest_seeds_name_the_saved_papers_a_candidate_is_nearest() -> None:
    library = np.stack([E[0], E[1], E[2], E[1]])
    candidate = unit(0.2, 0.9, 0.4, 0.0)

    assert recommend.closest_seeds(library, candidate, k=2) == [1, 3]  # equal cosines: lower row first
    assert recommend.closest_seeds(library, candidate, k=3) == [1, 3, 2]
    assert recommend.closest_seeds(library, candidate, k=0) == []


# -- the lexical view --------------------------------------------------------------------------

VOCABULARY = ["model", "learning", "hyperbolic", "graph", "retina"]


def counts(*rows: list[int]) -> sparse.csr_matrix:
    return sparse.csr_matrix(np.asarray(rows, dtype=np.float32))


def test_term_weights_favour_rare_terms_drop_singletons_and_have_unit_rows() -> None:
    matrix = counts([3, 1, 1, 0, 1], [1, 0, 0, 1, 0], [0, 0, 0, 0, 0])
    frequency = np.array([95, 10, 2, 1, 0])  # in a collection of 100 papers

    weights = recommend.term_weights(matrix, frequency, documents=100).toarray()

    first = weights[0]
    assert first[2] > first[1] > first[0]  # idf outweighs repeating a common word (sublinear tf)
    assert first[4] == 0 and weights[1][3] == 0  # found in < 2 papers: can link nothing
    assert np.linalg.norm(first) == pytest.approx(1.0)
    assert np.linalg.norm(weights[1]) == pytest.approx(1.0)
    assert not weights[2].any()  # no terms: an empty row, not NaN


def test_a_shared_rare_word_breaks_an_embedding_tie() -> None:
    frequency = np.array([90, 60, 3, 3, 3])
    rows = recommend.term_weights(
        counts([1, 1, 2, 0, 0], [1, 1, 0, 0, 1], [1, 1, 1, 0, 0]), frequency, documents=100
    )
    library = np.stack([E[0]])
    same = mix(0.7, E[0], E[1])

    order, _ = recommend.rank(library, np.stack([same, same]), 2, rows[:1], rows[1:])

    assert order.tolist() == [1, 0]  # the second candidate says "hyperbolic" too


def test_candidate_terms_may_come_in_any_sparse_form() -> None:
    frequency = np.array([90, 60, 3, 3, 3])
    rows = recommend.term_weights(counts([1, 1, 2, 0, 0], [1, 1, 0, 0, 1], [1, 1, 1, 0, 0]), frequency, 100)

    as_csr = recommend.lexical_scores(rows[:1], rows[1:])
    as_csc = recommend.lexical_scores(rows[:1], rows[1:].tocsc())

    assert as_csr == pytest.approx(as_csc)
    assert as_csr[1] > as_csr[0]


def test_telling_words_are_the_candidate_s_rare_terms_the_library_shares() -> None:
    frequency = np.array([90, 60, 3, 5, 4])
    rows = recommend.term_weights(
        counts(
            [1, 1, 2, 1, 0],  # saved: model learning hyperbolic hyperbolic graph
            [1, 0, 1, 0, 0],  # saved: model hyperbolic
            [2, 1, 1, 1, 3],  # candidate: also "retina", which the library lacks
        ),
        frequency,
        documents=100,
        idf_power=1.0,
    )

    words = recommend.telling_words(rows[:2], rows[2], VOCABULARY, k=3)

    # "model" is common but in both saved papers and twice in the candidate; "learning" in one
    assert words == ["hyperbolic", "graph", "model"]
    assert "retina" not in recommend.telling_words(rows[:2], rows[2], VOCABULARY, k=5)
    assert recommend.telling_words(rows[:2], rows[2], VOCABULARY, k=1) == ["hyperbolic"]
    assert recommend.telling_words(rows[:2], rows[2], VOCABULARY, k=0) == []


def test_telling_words_of_a_candidate_with_nothing_in_common_are_none() -> None:
    frequency = np.array([90, 60, 3, 5, 4])
    rows = recommend.term_weights(counts([1, 1, 0, 0, 0], [0, 0, 0, 0, 2]), frequency, documents=100)

    assert recommend.telling_words(rows[:1], rows[1], VOCABULARY) == []


def test_terms_and_pairs_count_adjacent_terms_and_a_stop_word_breaks_a_pair() -> None:
    # "graph neural networks of graph neural nets": None stands for the stop word "of"
    found = recommend.terms_and_pairs(["graph", "neural", "network", None, "graph", "neural", "net"])

    assert found == {
        "graph": 2,
        "neural": 2,
        "network": 1,
        "net": 1,
        "graph neural": 2,
        "neural network": 1,
        "neural net": 1,
    }
    assert recommend.terms_and_pairs([]) == {}
    assert recommend.terms_and_pairs([None, "graph", None]) == {"graph": 1}


def test_a_higher_idf_power_gives_rare_terms_more_of_the_weight() -> None:
    matrix = counts([1, 1, 0, 0, 0])
    frequency = np.array([50, 2, 0, 0, 0])

    plain = recommend.term_weights(matrix, frequency, documents=100, idf_power=1.0).toarray()[0]
    sharper = recommend.term_weights(matrix, frequency, documents=100, idf_power=3.0).toarray()[0]

    assert sharper[1] / sharper[0] > plain[1] / plain[0] > 1
    assert sharper[1] / sharper[0] == pytest.approx((plain[1] / plain[0]) ** 3, rel=1e-4)


def test_telling_words_do_not_repeat_a_word_of_a_pair() -> None:
    vocabulary = ["graph", "neural", "graph neural", "retina"]
    frequency = np.array([5, 5, 3, 4])
    rows = recommend.term_weights(counts([1, 1, 1, 1], [1, 1, 1, 0]), frequency, documents=100)

    words = recommend.telling_words(rows[:1], rows[1], vocabulary, k=3)

    assert words == ["graph neural"]  # "graph" and "neural" alone would say the same again


def test_many_equal_scores_still_come_back_in_the_candidates_order() -> None:
    # long enough for numpy's default (unstable) sort to reorder equal keys
    values = np.zeros(1000, dtype=np.float32)
    values[[700, 900]] = 1.0

    assert recommend.top_indices(values, 6).tolist() == [700, 900, 0, 1, 2, 3]
    assert recommend.top_indices(values, 1000).tolist()[:4] == [700, 900, 0, 1]


def test_the_score_is_the_weighted_mean_of_the_two_standardised_views() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(12, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    terms = recommend.term_weights(
        sparse.csr_matrix(rng.poisson(0.7, size=(12, 30)).astype(np.float32)),
        rng.integers(2, 40, size=30),
        documents=100,
    )
    library, candidates = slice(0, 3), slice(3, 12)

    combined = recommend.scores(vectors[library], vectors[candidates], terms[library], terms[candidates])
    semantic = recommend.standardise(recommend.semantic_scores(vectors[library], vectors[candidates]))
    lexical = recommend.standardise(recommend.lexical_scores(terms[library], terms[candidates]))
    weight = recommend.SEMANTIC_WEIGHT

    assert 0 < weight < 1
    assert combined == pytest.approx(weight * semantic + (1 - weight) * lexical, abs=1e-5)
    assert not np.allclose(semantic, lexical)  # the views differ, so the weight matters
