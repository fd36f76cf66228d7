"""Hybrid ranking: one list from a keyword ranking and a semantic ranking of the same papers.

Two ways, both measured on SciFact's train split by `bench/bench_scifact.py --tune-fusion` (never on
test); `FUSION` holds what won (train nDCG@10 over 809 claims; test evaluated once afterwards):

- reciprocal rank fusion (Cormack et al. 2009): score = sum of weight / (k + rank), ranks only;
- a convex combination of scores (Bruch et al. 2023, "An Analysis of Fusion Functions for Hybrid
  Retrieval"): each list's scores scaled to [0, 1] by its own best and worst, then
  alpha * semantic + (1 - alpha) * keyword; a paper missing from a list gets that list's 0.

    convex, alpha 0.4, top 200 of each    train 0.7377   test 0.7387   <- chosen
    convex, alpha 0.5, top 100            train 0.7331   (test 0.7313)
    rrf, k 5, semantic weight 0.75        train 0.7314   test 0.7255
    keyword alone / semantic alone        test 0.6977 / 0.6497

Scaling by each list's own range lets a query whose keyword scores are flat (no telling term)
lean on meaning, and the reverse, which rank fusion cannot see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Ranking = tuple[Sequence[int], Sequence[float]]  # keys best first, with their scores


@dataclass(frozen=True)
class FusionSettings:
    method: Literal["convex", "rrf"] = "convex"
    alpha: float = 0.4  # convex: the weight of the semantic score
    rrf_k: float = 60.0  # rrf: the rank offset
    rrf_semantic_weight: float = 1.0  # rrf: the semantic list's weight (the keyword list's is 1)
    depth: int = 200  # how many of each ranking take part


FUSION = FusionSettings()


def fuse(keyword: Ranking, semantic: Ranking, settings: FusionSettings = FUSION) -> list[tuple[int, float]]:
    """(key, fused score), best first; ties go to the smaller key so results are stable."""
    if settings.method == "rrf":
        scores = _rrf(keyword, semantic, settings)
    else:
        scores = _convex(keyword, semantic, settings.alpha)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def _rrf(keyword: Ranking, semantic: Ranking, settings: FusionSettings) -> dict[int, float]:
    scores: dict[int, float] = {}
    for (keys, _), weight in ((keyword, 1.0), (semantic, settings.rrf_semantic_weight)):
        for rank, key in enumerate(keys, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (settings.rrf_k + rank)
    return scores


def _convex(keyword: Ranking, semantic: Ranking, alpha: float) -> dict[int, float]:
    scores: dict[int, float] = {}
    for (keys, values), weight in ((keyword, 1.0 - alpha), (semantic, alpha)):
        for key, scaled in zip(keys, _min_max(values), strict=True):
            scores[key] = scores.get(key, 0.0) + weight * scaled
    return scores


def _min_max(values: Sequence[float]) -> list[float]:
    if not values:
        return []
    high, low = max(values), min(values)
    if high - low <= 1e-12:
        return [1.0] * len(values)
    return [(value - low) / (high - low) for value in values]
