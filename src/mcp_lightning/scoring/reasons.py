"""One-line reasons of a node's scores, written only when a node is shown (not for the whole graph)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from mcp_lightning.scoring.features import NodeFeatures

if TYPE_CHECKING:
    from mcp_lightning.scoring.node_scores import ScoreWeights

SAT_PER_BTC = 100_000_000


def node_reasons(features: NodeFeatures, row: int, ranks: np.ndarray, in_topology: bool,
                 values: Mapping[str, float], weights: ScoreWeights) -> dict[str, str]:
    """Score name -> one sentence naming the figures behind the value.

    Args:
        features: the snapshot's figures.
        row: the node's row.
        ranks: its (4,) betweenness, eigenvector, closeness and degree ranks.
        in_topology: whether it is in the routing graph.
        values: its five score values.
        weights: the composite weights.
    """
    f = features
    n_channels = int(f.n_channels[row])
    return {
        "centrality": _centrality(ranks, in_topology),
        "reliability": _reliability(n_channels, int(f.n_announced[row]), int(f.n_disabled[row]),
                                    float(f.median_policy_age_days[row]), weights.half_life_days),
        "capacity": (f"{int(f.capacity_sat[row]) / SAT_PER_BTC:.4f} BTC over {n_channels} public channels, "
                     f"more than {values['capacity']:.0%} of nodes."),
        "fee_competitiveness": _fee(float(f.median_fee_rate_ppm[row]), f.network_median_fee_rate_ppm),
        "composite": (f"Weighted mean of centrality ({weights.centrality:g}), reliability ({weights.reliability:g}), "
                      f"capacity ({weights.capacity:g}) and fee competitiveness ({weights.fee_competitiveness:g})."),
    }


def _centrality(ranks: np.ndarray, in_topology: bool) -> str:
    if not in_topology:
        return "No enabled public channel: the node is not part of the routing graph."
    b, e, c, d = (float(x) for x in ranks)
    return (f"Betweenness above {b:.0%} of nodes, eigenvector above {e:.0%}, closeness above {c:.0%}, "
            f"degree above {d:.0%}.")


def _reliability(n_channels: int, n_announced: int, n_disabled: int, age_days: float, half_life_days: float) -> str:
    if n_channels == 0:
        return "No public channel."
    enabled = n_announced - n_disabled
    age = ("policy update times unknown" if math.isnan(age_days)
           else f"median policy age {age_days:.1f} days (half-life {half_life_days:g} days)")
    return f"{enabled} of its {n_channels} channel directions announced and enabled; {age}."


def _fee(median_ppm: float, network_ppm: float) -> str:
    if math.isnan(median_ppm):
        return "No enabled, plausible outbound policy: payments cannot be routed through it."
    return f"Median fee rate {median_ppm:g} ppm against the network median {network_ppm:g} ppm."
