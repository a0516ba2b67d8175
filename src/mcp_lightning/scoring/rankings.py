"""Rankings of the whole network: filter, sort and page a ``ScoreTable`` (vectorised, pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from mcp_lightning.scoring.node_scores import SCORE_NAMES, NodeScore, ScoreTable

SORT_KEYS = (*SCORE_NAMES, "capacity_sat", "n_channels")
"""What a ranking can be sorted by: any score, or the figures ``capacity_sat`` and ``n_channels``."""
Order = Literal["asc", "desc"]


@dataclass(frozen=True, slots=True)
class RankingQuery:
    """What rankings to return.

    Attributes:
        sort_by: one of ``SORT_KEYS``.
        order: ``"desc"`` (best first) or ``"asc"``.
        min_capacity_sat: keep nodes with at least this total capacity, sat.
        min_channels: keep nodes with at least this many public channels.
        min_composite: keep nodes whose composite is at least this, [0, 1].
        offset: rows to skip (>= 0).
        limit: rows to return (>= 1).
    """

    sort_by: str = "composite"
    order: Order = "desc"
    min_capacity_sat: int = 0
    min_channels: int = 0
    min_composite: float = 0.0
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class RankingPage:
    """One page of a ranking: ``total`` nodes matched the filters; ``rows`` are the page's nodes."""

    total: int
    rows: tuple[NodeScore, ...]


def rank_nodes(table: ScoreTable, query: RankingQuery) -> RankingPage:
    """Filter, sort and page every node of the table.

    Args:
        table: the snapshot's scores.
        query: filters, sort key, order and page.

    Returns:
        The page; ties are broken by node id, ascending.

    Raises:
        ValueError: for an unknown ``sort_by`` or ``order``, a negative offset or a limit below 1.
    """
    if query.sort_by not in SORT_KEYS:
        raise ValueError(f"sort_by {query.sort_by!r} is not one of {', '.join(SORT_KEYS)}")
    if query.order not in ("asc", "desc"):
        raise ValueError(f"order {query.order!r} is not asc or desc")
    if query.offset < 0 or query.limit < 1:
        raise ValueError(f"offset must be >= 0 and limit >= 1, got {query.offset} and {query.limit}")
    order = table.order(query.sort_by, query.order == "desc")
    f = table.features
    keep = ((f.capacity_sat >= query.min_capacity_sat) & (f.n_channels >= query.min_channels)
            & (table.scores["composite"] >= query.min_composite))
    selected = order[keep[order]] if not bool(keep.all()) else order
    page = selected[query.offset: query.offset + query.limit]
    return RankingPage(total=int(selected.size), rows=tuple(table.row(int(r)) for r in np.asarray(page)))
