"""What the engine decides for a channel, and why."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from mcp_lightning.domain.channel import Policy
from mcp_lightning.units import Sat


class DecisionType(StrEnum):
    """The five possible outcomes for a channel."""

    NO_ACTION = "NO_ACTION"
    INCREASE_FEES = "INCREASE_FEES"
    DECREASE_FEES = "DECREASE_FEES"
    REBALANCE = "REBALANCE"
    CLOSE_CHANNEL = "CLOSE_CHANNEL"


class Score(NamedTuple):
    """A heuristic's verdict: ``value`` in [0, 1] (1 = healthy) and a one-sentence reason.

    A NamedTuple rather than a frozen dataclass: it is built eight times per channel and a tuple is
    several times cheaper to create, while just as immutable.
    """

    value: float
    reason: str


class WeightedScore(NamedTuple):
    """A heuristic's score as used in a decision: its name, value in [0, 1], weight and reason."""

    name: str
    value: float
    weight: float
    reason: str


class RebalanceDirection(StrEnum):
    """Which way liquidity should move on the channel."""

    PUSH_OUT = "push_out"  # too much local balance: move sats to the peer's side
    PULL_IN = "pull_in"  # too little local balance: bring sats back to our side


@dataclass(frozen=True, slots=True)
class RebalanceSuggestion:
    """A suggested circular rebalance: ``amount_sat`` moved in ``direction`` to reach the target ratio."""

    amount_sat: Sat
    direction: RebalanceDirection
    target_local_ratio: float


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's decision for one channel.

    Attributes:
        chan_id: uint64 channel id.
        scid: ``BLOCKxTXxOUT`` or None.
        peer_pubkey: the peer.
        decision: what to do.
        confidence: in [0, 1]; how sure the engine is (data quality x distance from band edges).
        composite_score: weighted mean of the enabled heuristics' values, in [0, 1].
        scores: each enabled heuristic's score.
        reasons: human sentences, most important first.
        current: our current outbound policy (None when unknown).
        proposed: the proposed outbound policy, or None when nothing changes.
        rebalance: a suggested rebalance, for REBALANCE.
        close_reason: why closing is suggested, for CLOSE_CHANNEL.
    """

    chan_id: int
    scid: str | None
    peer_pubkey: str
    decision: DecisionType
    confidence: float
    composite_score: float
    scores: tuple[WeightedScore, ...]
    reasons: tuple[str, ...]
    current: Policy | None
    proposed: Policy | None = None
    rebalance: RebalanceSuggestion | None = None
    close_reason: str | None = None
