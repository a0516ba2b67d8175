"""The engine's configuration as frozen values (built from YAML by ``mcp_lightning.config``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mcp_lightning.heuristics.base import Heuristic


@dataclass(frozen=True, slots=True)
class WeightedHeuristic:
    """An enabled heuristic and its weight in the composite score (weights need not sum to 1)."""

    heuristic: Heuristic
    weight: float


@dataclass(frozen=True, slots=True)
class Bands:
    """Composite-score bands, each in [0, 1].

    Attributes:
        optimal_min: at or above, the channel is healthy: NO_ACTION.
        act_below: below, a mid-balance channel is acted on when the economics give a direction.
        urgent_below: below, fee steps use ``FeeSteps.urgent_step_ratio``.
        close_below: below, an idle, mature channel is proposed for closing.
    """

    optimal_min: float = 0.7
    act_below: float = 0.5
    urgent_below: float = 0.3
    close_below: float = 0.1


@dataclass(frozen=True, slots=True)
class LiquidityBands:
    """Local-ratio thresholds in [0, 1]: outside [low, high] the channel is imbalanced."""

    low_local_ratio: float = 0.2
    high_local_ratio: float = 0.8
    target_local_ratio: float = 0.5


@dataclass(frozen=True, slots=True)
class FeeSteps:
    """How far one proposal moves fee_rate_ppm.

    Attributes:
        step_ratio: relative step, e.g. 0.15 = 15 %.
        urgent_step_ratio: relative step below ``Bands.urgent_below``.
        min_step_ppm: smallest step, ppm (so a 0-10 ppm fee can move at all).
        suggest_inbound_discount: also propose a negative inbound fee on depleted channels (LND 0.18+).
        inbound_discount_ratio: that discount as a share of our outbound fee_rate_ppm.
    """

    step_ratio: float = 0.15
    urgent_step_ratio: float = 0.30
    min_step_ppm: int = 10
    suggest_inbound_discount: bool = False
    inbound_discount_ratio: float = 0.25


@dataclass(frozen=True, slots=True)
class DataRules:
    """When data is enough to act on, and when a channel is idle.

    Attributes:
        min_history_days: less forwarding history than this -> NO_ACTION.
        stale_graph_days: a graph older than this (vs ``now``) lowers confidence.
        min_competitors: competitors needed to use the peer's fees as reference (else the network's).
        demand_min_forwards_7d: outbound forwards in 7 days that count as demand.
        demand_min_unserved_7d: outbound HTLCs offered but not fulfilled in 7 days that count as
            demand on a depleted channel (it cannot show settled forwards).
        close_idle_days: no forward either way for this long (and a low score) -> CLOSE_CHANNEL.
        close_min_age_blocks: never propose closing a channel younger than this.
        cut_wait_days: a fee must have stood this long (days since its last update) before it is
            cut; a fee whose update time is unknown counts as old enough.
    """

    min_history_days: float = 7.0
    stale_graph_days: float = 30.0
    min_competitors: int = 3
    demand_min_forwards_7d: int = 1
    demand_min_unserved_7d: int = 3
    close_idle_days: int = 30
    close_min_age_blocks: int = 4320
    cut_wait_days: float = 7.0


@dataclass(frozen=True, slots=True)
class SafetyLimits:
    """Limits every proposed change must respect (see ``engine.safety``).

    Attributes:
        min_fee_rate_ppm: lowest fee_rate_ppm we ever set.
        max_fee_rate_ppm: highest fee_rate_ppm we ever set.
        min_base_fee_msat: lowest base_fee_msat.
        max_base_fee_msat: highest base_fee_msat.
        max_change_ratio: largest relative change per step (0.5 = ±50 %).
        max_change_floor_ppm: a step may always move this many ppm (else a 0 ppm fee could never rise).
        min_delta_ppm: smaller changes are not worth a gossip update ...
        min_delta_ratio: ... unless they are at least this relative change.
        cooldown_s: seconds between two changes of one channel.
        max_changes_per_day: changes per channel per rolling 24 h.
        blacklist_chan_ids: channels never changed.
        blacklist_peers: peers whose channels are never changed.
        pinned_chan_ids: channel -> fee_rate_ppm it is pinned at.
        pinned_peers: peer -> fee_rate_ppm its channels are pinned at.
    """

    min_fee_rate_ppm: int = 0
    max_fee_rate_ppm: int = 5000
    min_base_fee_msat: int = 0
    max_base_fee_msat: int = 5000
    max_change_ratio: float = 0.5
    max_change_floor_ppm: int = 10
    min_delta_ppm: int = 5
    min_delta_ratio: float = 0.05
    cooldown_s: int = 3600
    max_changes_per_day: int = 5
    blacklist_chan_ids: frozenset[int] = frozenset()
    blacklist_peers: frozenset[str] = frozenset()
    pinned_chan_ids: dict[int, int] = field(default_factory=dict)
    pinned_peers: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ValveRules:
    """When and how far the valve closes.

    Attributes:
        enabled: False leaves every ``htlc_maximum_msat`` alone.
        engage_below_local_ratio: below this local share of the capacity, [0, 1], the limit follows
            the balance; at or above it the limit is open (capacity less the reserve).
        max_htlc_local_ratio: the limit as a share of the spendable local balance, (0, 1].
    """

    enabled: bool = True
    engage_below_local_ratio: float = 0.5
    max_htlc_local_ratio: float = 0.5


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Everything the pure engine needs, resolved from a YAML file and a profile.

    Attributes:
        profile: the profile name (conservative, balanced, aggressive or a custom one).
        heuristics: enabled heuristics with weights, in configuration order.
        bands: composite-score bands.
        liquidity: local-ratio bands.
        steps: fee step sizes.
        data: data sufficiency and idleness rules.
        safety: safety limits.
        valve: the liquidity valve (``engine.valve``).
        windows_days: forward windows computed for every channel, days.
    """

    profile: str
    heuristics: tuple[WeightedHeuristic, ...]
    bands: Bands = Bands()
    liquidity: LiquidityBands = LiquidityBands()
    steps: FeeSteps = FeeSteps()
    data: DataRules = DataRules()
    safety: SafetyLimits = SafetyLimits()
    valve: ValveRules = ValveRules()
    windows_days: tuple[int, ...] = (1, 7, 30)
