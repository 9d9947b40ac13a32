"""Statistics over images: accuracy intervals and the paired test two models' predictions call for.

- Accuracy interval: the Wilson score interval (Wilson 1927; Newcombe 1998, method 3, no continuity
  correction), which unlike the normal approximation stays inside [0, 100] and behaves at 0% and 100%.
- Paired comparison: the exact McNemar test. Over the images both models scored, only the discordant
  pairs carry information: ``b`` images the first model gets right and the second wrong, ``c`` the
  reverse. Under "equally accurate" ``b ~ Binomial(b + c, 1/2)``; the two-sided p-value is
  ``min(1, 2 * P(X <= min(b, c)))`` (statsmodels ``mcnemar(exact=True)``; equal to scipy's
  ``binomtest(b, b + c).pvalue`` since the null distribution is symmetric).

Pure functions of counts: no files, no models, no numpy needed.
"""

from __future__ import annotations

import math

_Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal


def wilson_interval(successes: int, total: int, z: float = _Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion, in percent; (0, 100) when there are no trials."""
    if total <= 0:
        return 0.0, 100.0
    if not 0 <= successes <= total:
        raise ValueError(f"successes must lie in 0..{total}, got {successes}")
    p = successes / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z / (1 + z2 / total) * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    return 100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts ``b`` (first right only) and ``c``."""
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be non-negative, got {b} and {c}")
    n = b + c
    if n == 0:
        return 1.0
    # P(X <= min(b, c)) for X ~ Binomial(n, 1/2), summed in exact integers; int / int rounds correctly
    term = tail = 1
    for i in range(1, min(b, c) + 1):
        term = term * (n - i + 1) // i
        tail += term
    return min(1.0, (2 * tail) / (1 << n))
