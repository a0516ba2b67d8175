"""The eight channel heuristics and their explicit registry.

Each module holds one frozen dataclass (its fields are its parameters) with a ``name`` and a pure
``score(ctx) -> Score``. ``REGISTRY`` lists them by name; configuration refers to these names and
an unknown name is a configuration error.
"""

from __future__ import annotations

from mcp_lightning.heuristics.activity import Activity
from mcp_lightning.heuristics.age_stability import AgeStability
from mcp_lightning.heuristics.base import Heuristic
from mcp_lightning.heuristics.centrality import Centrality
from mcp_lightning.heuristics.competitiveness import Competitiveness
from mcp_lightning.heuristics.liquidity import Liquidity
from mcp_lightning.heuristics.network_position import NetworkPosition
from mcp_lightning.heuristics.peer_quality import PeerQuality
from mcp_lightning.heuristics.reliability import Reliability

REGISTRY: dict[str, type[Heuristic]] = {
    Centrality.name: Centrality,
    Liquidity.name: Liquidity,
    Activity.name: Activity,
    Competitiveness.name: Competitiveness,
    Reliability.name: Reliability,
    AgeStability.name: AgeStability,
    PeerQuality.name: PeerQuality,
    NetworkPosition.name: NetworkPosition,
}

DEFAULT_WEIGHTS: dict[str, float] = {
    "centrality": 0.20,
    "liquidity": 0.25,
    "activity": 0.20,
    "competitiveness": 0.15,
    "reliability": 0.10,
    "age_stability": 0.05,
    "peer_quality": 0.03,
    "network_position": 0.02,
}

__all__ = ["DEFAULT_WEIGHTS", "REGISTRY", "Heuristic"]
