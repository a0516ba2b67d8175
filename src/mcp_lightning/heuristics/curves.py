"""Scoring curves shared by the heuristics: each maps a raw figure onto [0, 1]."""

from __future__ import annotations

import math


def clamp01(value: float) -> float:
    """Clamp ``value`` into [0, 1] (NaN becomes 0)."""
    if value != value:  # NaN
        return 0.0
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value


def saturating(value: float, half_at: float) -> float:
    """``value / (value + half_at)``: 0 at 0, 0.5 at ``half_at``, approaching 1; monotone increasing.

    Args:
        value: a non-negative figure (negative values count as 0).
        half_at: the figure that scores 0.5 (> 0).
    """
    if value <= 0.0:
        return 0.0
    return value / (value + half_at)


def log_ratio_closeness(ours: float, reference: float, *, tolerance: float) -> float:
    """How close ``ours`` is to ``reference`` on a log scale: 1 when equal, 0.5 at a factor ``tolerance``.

    ``exp(-ln2 * (ln((ours+1)/(reference+1)) / ln(tolerance))^2)``, symmetric in over- and
    under-pricing; the +1 keeps zero fees finite.
    """
    ratio = math.log((ours + 1.0) / (reference + 1.0))
    scale = math.log(tolerance)
    return math.exp(-math.log(2.0) * (ratio / scale) ** 2)
