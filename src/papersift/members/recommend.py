""" "For you": rank recent papers by a member's library (their saved papers), and say why.

Pure functions (numpy and scipy.sparse, no I/O): the Library gathers the vectors and the term
counts, these decide the order and the reasons. The method was chosen by measurement
(bench/bench_recommend.py; figures and the choice in docs/notes/recommendations.md): among the
last months' papers of the arXiv crawl, with an author's earlier papers as the library, it finds
more of their later papers in the top 50 than arxiv-sanity-lite's tf-idf SVM, papersift's
centroid (`Library.more_like`) or an SVM over the embeddings.

A candidate's score blends two views of "close to what the member saved", each a *soft maximum*
over the saved papers:

    soft(c) = t * log( mean_i exp(cos(c, saved_i) / t) )

- semantic: cosines of the all-MiniLM-L6-v2 embeddings (topic, paraphrase);
- lexical: cosines of tf-idf vectors of the paper's terms and pairs of adjacent terms
  (`terms_and_pairs`, `term_weights`), which catch the exact vocabulary of a member's field (a
  method's or a dataset's name, "graph neural", "gui agent") that the small embedding model
  blurs; alone it already beats every embedding ranking measured.

Each is standardised over the candidates (z-score) and the two are averaged with
`SEMANTIC_WEIGHT`. The soft maximum sits between the mean cosine (a large t: the centroid's
ranking) and the cosine to the nearest saved paper (t -> 0): a library holds a few topics of
unequal size, and a small t keeps the small ones from being drowned by the large one, while a
candidate close to several saved papers still beats one close to a single outlier. The
temperatures and the weight were tuned on authors apart from those the figures are reported on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

# Tuned together on 1,500 dev authors (bench_recommend.py prints the grid's best and runners-up:
# a flat plateau, the runners-up within 0.001 of macro recall@50).
SEMANTIC_TEMPERATURE = 0.05
LEXICAL_TEMPERATURE = 0.2
SEMANTIC_WEIGHT = 0.8
# idf ** IDF_POWER: a rare term (a method's or dataset's name) says more about a member's field than
# textbook tf-idf (power 1) lets it; with power 3 the lexical view is mostly "shares a rare term
# with a saved paper", a sharp signal that the blend weighs at 0.2 against the embeddings' 0.8.
IDF_POWER = 3.0
# A term found in a single paper can never link two papers; it would only dilute that paper's vector.
MIN_DOCUMENT_FREQUENCY = 2
# Candidates are scored in blocks, so a large library against many candidates needs a bounded
# matrix of cosines (library size x block floats).
_BLOCK = 8192

FloatArray = npt.NDArray[np.float32]
IndexArray = npt.NDArray[np.intp]
# scipy.sparse has no type stubs: a CSR matrix (papers x terms) is passed as Any.
TermMatrix = Any


def terms_and_pairs(terms: Sequence[str | None]) -> dict[str, int]:
    """Counts of a text's terms and of its pairs of adjacent terms ("graph neural").

    `terms`: the text's words in order as index terms, None for a word that is no term (a stop
    word), which breaks a pair ("learning of graphs" has no pair). The Library passes
    `[None if w in STOP_WORDS else stem(w) for w in words(title + " " + abstract)]`
    (`papersift.search.tokens`), so the terms are the keyword index's. A pair is the two terms
    joined by a space.
    """
    counts: dict[str, int] = {}
    previous: str | None = None
    for term in terms:
        if term is not None:
            counts[term] = counts.get(term, 0) + 1
            if previous is not None:
                pair = f"{previous} {term}"
                counts[pair] = counts.get(pair, 0) + 1
        previous = term
    return counts


def term_weights(
    counts: TermMatrix,
    document_frequency: npt.ArrayLike,
    documents: int,
    min_df: int = MIN_DOCUMENT_FREQUENCY,
    idf_power: float = IDF_POWER,
) -> TermMatrix:
    """tf-idf rows from term counts: what the lexical view compares.

    `counts`: papers x terms (scipy sparse), e.g. `terms_and_pairs` of each paper's title and
    abstract; `document_frequency[term]`: in how many of `documents` papers it occurs (the whole
    library, not only the rows given). Weight = (1 + ln count) * idf ** `idf_power`, with
    idf = ln((1 + N) / (1 + df)) + 1 (sublinear tf and smooth idf as scikit-learn's
    TfidfVectorizer); terms with df < `min_df` get 0; rows are scaled to unit length (an empty
    row stays empty). Returns float32 CSR.
    """
    matrix = sparse.csr_matrix(counts, dtype=np.float32, copy=True)
    frequency = np.asarray(document_frequency, dtype=np.float64).reshape(-1)
    if frequency.shape[0] != matrix.shape[1]:
        raise ValueError(f"{frequency.shape[0]} document frequencies for {matrix.shape[1]} terms")
    idf = (np.log((1.0 + documents) / (1.0 + frequency)) + 1.0) ** idf_power
    idf[frequency < min_df] = 0.0
    present = matrix.data > 0
    matrix.data[present] = (1.0 + np.log(matrix.data[present])) * idf[matrix.indices[present]]
    matrix.data[~present] = 0.0
    matrix.eliminate_zeros()
    lengths = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float64).reshape(-1))
    lengths[lengths == 0] = 1.0
    scaled = sparse.csr_matrix(sparse.diags((1.0 / lengths).astype(np.float32)) @ matrix)
    return scaled.astype(np.float32)


def soft_maximum(cosines: npt.ArrayLike, temperature: float) -> FloatArray:
    """Per column of a (library x candidates) cosine matrix: t * log(mean_i exp(cos_i / t))."""
    matrix = np.asarray(cosines, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        raise ValueError(f"need at least one library row of cosines, got shape {matrix.shape}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, not {temperature}")
    if matrix.shape[1] == 0:
        return np.zeros(0, dtype=np.float32)
    top = matrix.max(axis=0)
    # log-mean-exp shifted by the maximum, so that exp never overflows whatever t is
    spread = np.exp((matrix - top) / np.float32(temperature)).sum(axis=0, dtype=np.float64)
    result: FloatArray = (top + temperature * (np.log(spread) - math.log(matrix.shape[0]))).astype(np.float32)
    return result


def semantic_scores(
    library_vectors: npt.ArrayLike,
    candidate_vectors: npt.ArrayLike,
    temperature: float = SEMANTIC_TEMPERATURE,
) -> FloatArray:
    """Soft-maximum embedding cosine of each candidate to the library (rows of unit vectors)."""
    library, candidates = (
        _rows(library_vectors, "library_vectors"),
        _rows(candidate_vectors, "candidate_vectors"),
    )
    _check_pair(library.shape, candidates.shape)
    result = np.empty(candidates.shape[0], dtype=np.float32)
    for start in range(0, candidates.shape[0], _BLOCK):
        block = candidates[start : start + _BLOCK]
        result[start : start + block.shape[0]] = soft_maximum(library @ block.T, temperature)
    return result


def lexical_scores(
    library_terms: TermMatrix, candidate_terms: TermMatrix, temperature: float = LEXICAL_TEMPERATURE
) -> FloatArray:
    """Soft-maximum tf-idf cosine of each candidate to the library (rows from `term_weights`).

    Pass `candidate_terms` in CSC form (`.tocsc()`, done once) when many libraries are ranked
    against the same candidates: the product then walks only the postings of the library's terms
    (~5 ms for 20k candidates); any other sparse form is converted on every call.
    """
    library = sparse.csr_matrix(library_terms)
    candidates = sparse.csc_matrix(candidate_terms)
    _check_pair(library.shape, candidates.shape)
    cosines = sparse.csc_matrix(library @ candidates.T)  # library x candidates, mostly zeros
    result = np.empty(candidates.shape[0], dtype=np.float32)
    for start in range(0, candidates.shape[0], _BLOCK):
        block = np.asarray(cosines[:, start : start + _BLOCK].toarray(), dtype=np.float32)
        result[start : start + block.shape[1]] = soft_maximum(block, temperature)
    return result


def scores(
    library_vectors: npt.ArrayLike,
    candidate_vectors: npt.ArrayLike,
    library_terms: TermMatrix | None = None,
    candidate_terms: TermMatrix | None = None,
    semantic_weight: float = SEMANTIC_WEIGHT,
) -> FloatArray:
    """Each candidate's score for a library (see the module's docstring); higher is better.

    Rows of `library_*` are the saved papers, rows of `candidate_*` the papers to rank, in the
    same order in both views. Without term matrices the semantic view alone is used (the
    measured fallback: weaker, see the note). The z-scores are over the candidates given, so
    scores of different calls are not comparable; orders are.
    """
    semantic = semantic_scores(library_vectors, candidate_vectors)
    if library_terms is None or candidate_terms is None:
        return semantic
    lexical = lexical_scores(library_terms, candidate_terms)
    if lexical.shape != semantic.shape:
        raise ValueError(f"{semantic.shape[0]} candidate vectors but {lexical.shape[0]} candidate term rows")
    return (semantic_weight * standardise(semantic) + (1 - semantic_weight) * standardise(lexical)).astype(
        np.float32
    )


def rank(
    library_vectors: npt.ArrayLike,
    candidate_vectors: npt.ArrayLike,
    limit: int,
    library_terms: TermMatrix | None = None,
    candidate_terms: TermMatrix | None = None,
) -> tuple[IndexArray, FloatArray]:
    """The best `limit` candidates for a library: (row indices into the candidates, their scores).

    Best first; equal scores keep the candidates' order (lower index first), so a ranking is
    reproducible. Fewer than `limit` rows come back when there are fewer candidates.
    """
    if limit < 0:
        raise ValueError(f"limit must be >= 0, not {limit}")
    all_scores = scores(library_vectors, candidate_vectors, library_terms, candidate_terms)
    order = top_indices(all_scores, limit)
    return order, all_scores[order]


def standardise(values: npt.ArrayLike) -> FloatArray:
    """(values - mean) / standard deviation; all zeros when they do not vary."""
    array = np.asarray(values, dtype=np.float64)
    if array.shape[0] == 0:
        return np.zeros(0, dtype=np.float32)
    spread = float(array.std())
    centred = array - array.mean()
    result: FloatArray = (centred / spread if spread > 0 else np.zeros_like(centred)).astype(np.float32)
    return result


def top_indices(values: npt.ArrayLike, limit: int) -> IndexArray:
    """Indices of the `limit` largest values, largest first, ties by lower index."""
    array = np.asarray(values)
    if limit <= 0 or array.shape[0] == 0:
        return np.empty(0, dtype=np.intp)
    if limit < array.shape[0]:
        # Only values at or above the limit-th largest can be in the top; the stable sort then
        # settles their order and any tie at the boundary by index.
        threshold = np.partition(array, array.shape[0] - limit)[array.shape[0] - limit]
        kept = np.flatnonzero(array >= threshold)
    else:
        kept = np.arange(array.shape[0])
    order = kept[np.argsort(-array[kept], kind="stable")]
    return order[:limit].astype(np.intp)


def closest_seeds(library_vectors: npt.ArrayLike, candidate_vector: npt.ArrayLike, k: int = 2) -> list[int]:
    """The library rows a candidate is closest to (embedding cosine), closest first, ties by lower index.

    The reason shown beside a recommendation ("close to your saved X and Y"): with a soft
    maximum these are the saved papers that weigh most in the candidate's semantic score.
    """
    library = _rows(library_vectors, "library_vectors")
    if k <= 0 or library.shape[0] == 0:
        return []
    candidate = np.asarray(candidate_vector, dtype=np.float32).reshape(-1)
    if candidate.shape[0] != library.shape[1]:
        raise ValueError(f"dimension mismatch: library {library.shape[1]}, candidate {candidate.shape[0]}")
    return [int(i) for i in top_indices(library @ candidate, k)]


def telling_words(
    library_terms: TermMatrix,
    candidate_terms: TermMatrix,
    vocabulary: Sequence[str],
    k: int = 3,
    temperature: float = LEXICAL_TEMPERATURE,
) -> list[str]:
    """The candidate's terms that weigh most in its lexical score, heaviest first (at most k).

    `library_terms`: the saved papers' rows, `candidate_terms`: the candidate's row (1 x terms),
    both from `term_weights`; `vocabulary[j]` names column j. A term's weight is its share of
    the lexical score's slope: candidate_weight(t) * sum_i p_i * library_weight_i(t), where p_i
    (the soft maximum's weights, exp(cos_i / t) normalised) favour the saved papers the candidate
    is closest to. So a word shows when it is rare in the collection, prominent in the candidate
    and in the saved papers that matter; a word the library lacks never shows. A term sharing a
    word with one already chosen is skipped (a pair's words are split on spaces), so k distinct
    words or pairs come back. Ties go to the lower column. Cost: one sparse row product, no pass
    over the collection.
    """
    library = sparse.csr_matrix(library_terms)
    candidate = sparse.csr_matrix(candidate_terms, copy=True)
    candidate.sort_indices()
    if k <= 0 or library.shape[0] == 0 or candidate.nnz == 0:
        return []
    if candidate.shape[0] != 1 or candidate.shape[1] != library.shape[1]:
        raise ValueError(f"need one candidate row of {library.shape[1]} terms, got shape {candidate.shape}")
    cosines = np.asarray((library @ candidate.T).toarray(), dtype=np.float64).reshape(-1)
    weights = np.exp((cosines - cosines.max()) / temperature)
    weights /= weights.sum()
    profile = weights @ np.asarray(library[:, candidate.indices].toarray(), dtype=np.float64)
    contribution = profile * candidate.data
    chosen: list[str] = []
    shown: set[str] = set()
    for i in top_indices(contribution, candidate.nnz):
        term = vocabulary[int(candidate.indices[i])]
        if contribution[i] <= 0 or len(chosen) == k:
            break
        parts = set(term.split(" "))
        if parts.isdisjoint(shown):  # "graph neural" after "graph" would say "graph" twice
            chosen.append(term)
            shown |= parts
    return chosen


def _rows(vectors: npt.ArrayLike, name: str) -> FloatArray:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1 and matrix.shape[0] == 0:
        return matrix.reshape(0, 0)
    if matrix.ndim != 2:
        raise ValueError(f"{name} must be a matrix of row vectors, got shape {matrix.shape}")
    return matrix


def _check_pair(library: tuple[int, ...], candidates: tuple[int, ...]) -> None:
    if library[0] == 0:
        raise ValueError("the library is empty: nothing to recommend from")
    if candidates[0] and candidates[1] != library[1]:
        raise ValueError(f"dimension mismatch: library {library[1]}, candidates {candidates[1]}")
