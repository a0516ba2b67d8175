"""LNDg Auto-Fees: three liquidity zones, flow signals, one change per channel per 24 h."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from mcp_lightning.domain.channel import Channel, Policy
from mcp_lightning.domain.forward import Forward
from mcp_lightning.engine.engine_config import SafetyLimits
from mcp_lightning.sim.strategies.base import StrategyInput, with_fee

_MIN_FORWARD_MSAT = 1_000_000  # af.py only counts forwards of at least 1,000 sat


@dataclass(frozen=True, slots=True)
class _Flows:
    """Amounts routed through one channel, sat, and fees earned, msat."""

    in_1d_sat: int = 0
    in_7d_sat: int = 0
    out_7d_sat: int = 0
    revenue_7d_msat: int = 0  # fees of forwards leaving through the channel
    assist_7d_msat: int = 0  # fees of forwards entering through it


@dataclass(slots=True)
class LndgAutoFees:
    """LNDg Auto-Fees with its default settings.

    Outbound share ``out% = local / capacity``; ``m = AF-Multiplier`` (5):

    * low liquidity (``out% <= AF-LowLiqLimit`` 15 %): +5m ppm when more than ``AF-FailedHTLCs`` (25)
      HTLCs failed for lack of outbound liquidity in 24 h and nothing came in through it in 24 h;
    * balanced: +2m x (1 + net) ppm when the 7-day net outflow ``net = (out - in) / capacity``
      exceeds 1; -3m ppm when nothing was routed either way in 7 days;
    * excess (``out% >= AF-ExcessLimit`` 95 %): -5m ppm when nothing was routed in 7 days, or when the
      net flow is inwards and the fees it assisted on other channels exceed 10x its own;

    then rounded to ``AF-Increment`` (5 ppm) and clamped to [``AF-MinRate`` 0, ``AF-MaxRate`` 2500];
    only forwards of at least 1,000 sat count, and a channel changes at most once per
    ``AF-UpdateHours`` (24 h) after its last applied change.

    Source: cryptosharks131/lndg README "Auto-Fees" notes and ``gui/af.py``; defaults from
    ``gui/forms``/settings (MaxRate 2500, MinRate 0, Increment 5, Multiplier 5, FailedHTLCs 25,
    UpdateHours 24, LowLiqLimit 15, ExcessLimit 95). ``af.py`` overwrites the balanced-zone increase
    and the excess-zone "assisting" decrease with the following assignment (so they never apply);
    the README describes both, and both are implemented here.
    """

    name: ClassVar[str] = "lndg"
    max_rate_ppm: int = 2500
    min_rate_ppm: int = 0
    increment_ppm: int = 5
    multiplier: int = 5
    failed_htlcs: int = 25
    update_hours: float = 24.0
    low_liq_percent: int = 15
    excess_percent: int = 95
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    _failures_seen: list[tuple[datetime, dict[int, int]]] = field(default_factory=list)

    @property
    def safety(self) -> SafetyLimits:
        """The default safety limits."""
        return self.limits

    def propose(self, view: StrategyInput) -> dict[int, Policy]:
        """New rates for eligible channels whose rate moves (see the class docstring)."""
        failed_1d = self._failures_last_day(view)
        flows = _flows(view.node.forwards, view.now)
        proposals: dict[int, Policy] = {}
        for channel in view.node.channels:
            policy = channel.local_policy
            changes = view.recent_changes_at.get(channel.chan_id, ())
            if policy is None or channel.private or (
                    changes and view.now - max(changes) < timedelta(hours=self.update_hours)):
                continue
            flow = flows.get(channel.chan_id, _Flows())
            rate = self._new_rate(channel, policy, flow, failed_1d.get(channel.chan_id, 0))
            if rate != int(policy.fee_rate_ppm):
                proposals[channel.chan_id] = with_fee(policy, rate)
        return proposals

    def _new_rate(self, channel: Channel, policy: Policy, flow: _Flows, failed_1d: int) -> int:
        m, rate = self.multiplier, float(policy.fee_rate_ppm)
        capacity = max(1, int(channel.capacity_sat))
        out_percent = round(100 * channel.local_balance_sat / capacity)
        net = round((flow.out_7d_sat - flow.in_7d_sat) / capacity, 1)
        idle = flow.in_7d_sat + flow.out_7d_sat == 0
        if out_percent <= self.low_liq_percent:
            if failed_1d > self.failed_htlcs and flow.in_1d_sat == 0:
                rate += 5 * m
        elif out_percent < self.excess_percent:
            if net > 1:
                rate += 2 * m * (1 + net)
            elif idle:
                rate -= 3 * m
        elif idle or (net < 0 and flow.assist_7d_msat > 10 * flow.revenue_7d_msat):
            rate -= 5 * m
        stepped = int(round(rate / self.increment_ppm) * self.increment_ppm)
        return min(self.max_rate_ppm, max(self.min_rate_ppm, stepped))

    def _failures_last_day(self, view: StrategyInput) -> dict[int, int]:
        """Liquidity failures per channel in the last 24 h (from cumulative counters)."""
        self._failures_seen.append((view.now, dict(view.liquidity_failures)))
        day_ago = view.now - timedelta(days=1)
        while len(self._failures_seen) > 1 and self._failures_seen[1][0] <= day_ago:
            self._failures_seen.pop(0)
        base = self._failures_seen[0][1] if self._failures_seen[0][0] <= day_ago else {}
        return {cid: n - base.get(cid, 0) for cid, n in view.liquidity_failures.items()}


def _flows(forwards: Sequence[Forward], now: datetime) -> dict[int, _Flows]:
    """Per channel, the 1- and 7-day flows LNDg reads (forwards >= 1,000 sat only)."""
    week, day = now - timedelta(days=7), now - timedelta(days=1)
    acc: dict[int, list[int]] = {}
    for fwd in reversed(forwards):
        if fwd.resolved_at <= week:
            break
        if fwd.resolved_at > now or fwd.amount_out_msat < _MIN_FORWARD_MSAT:
            continue
        amount_sat = fwd.amount_out_msat // 1000
        if fwd.in_chan_id is not None:
            row = acc.setdefault(fwd.in_chan_id, [0, 0, 0, 0, 0])
            row[1] += amount_sat
            row[4] += fwd.fee_msat
            if fwd.resolved_at > day:
                row[0] += amount_sat
        if fwd.out_chan_id is not None:
            row = acc.setdefault(fwd.out_chan_id, [0, 0, 0, 0, 0])
            row[2] += amount_sat
            row[3] += fwd.fee_msat
    return {cid: _Flows(*row) for cid, row in acc.items()}
