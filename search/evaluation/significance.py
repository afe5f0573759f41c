"""Is a difference between two rankings on one query set more than chance?

A mean nDCG@10 0.001 below another on 595 questions can be one question answered one place
lower. The benchmark reports, beside each gap, the two-sided p-value of a paired
randomization test over the set's queries (Fisher's sign-flip test, the one Smucker, Allan &
Carterette 2007 recommend for IR evaluation): under the null hypothesis that the two methods
are exchangeable, each query's difference is as likely to have had the other sign. Queries on
which the two agree carry no information about which is better and are dropped, which leaves
the test exact (every sign pattern is enumerated when there are at most 13 of them) and fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SIGNIFICANCE = 0.05  # a gap with a p-value below this is reported as a real difference
RESAMPLES = 9999
SEED = 0  # a fixed seed: the same runs print the same p-values


@dataclass(frozen=True)
class Difference:
    """``gap``: mean(a) - mean(b) over the queries; ``p_value``: two-sided, paired;
    ``differing``: the queries on which a and b differ."""

    gap: float
    p_value: float
    differing: int

    @property
    def significant(self) -> bool:
        return self.p_value < SIGNIFICANCE

    def describe(self) -> str:
        """``p<0.001`` / ``p=0.012`` for a significant gap, ``p=0.710: a tie`` for one that is
        not, for a report line."""
        shown = "p<0.001" if self.p_value < 0.001 else f"p={self.p_value:.3f}"
        return shown if self.significant else f"{shown}: a tie"


def paired_difference(
    a: Sequence[float], b: Sequence[float], *, resamples: int = RESAMPLES
) -> Difference:
    """How ``a`` differs from ``b``, two scores per query in the same order."""
    if len(a) != len(b):
        raise ValueError(f"paired scores need one pair per query: {len(a)} against {len(b)}")
    if not a:
        return Difference(0.0, 1.0, 0)
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    gap = float(diffs.mean())
    differing = diffs[np.abs(diffs) > 1e-12]
    if differing.size < 2:  # one differing query: both of its signs are as extreme
        return Difference(gap, 1.0, int(differing.size))
    from scipy.stats import permutation_test  # imported here: only a benchmark needs it

    result = permutation_test(
        (differing,),
        lambda d, axis: np.sum(d, axis=axis),
        permutation_type="samples",  # with one sample: each difference's sign is flipped
        vectorized=True,
        n_resamples=resamples,
        alternative="two-sided",
        rng=np.random.default_rng(SEED),
    )
    return Difference(gap, min(1.0, float(result.pvalue)), int(differing.size))
