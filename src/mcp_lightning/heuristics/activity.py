"""Activity: how much the channel forwards, recently and relative to its size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.decision import Score
from mcp_lightning.heuristics.curves import clamp01, saturating
from mcp_lightning.units import MSAT_PER_SAT


@dataclass(frozen=True, slots=True)
class Activity:
    """How much the channel forwards: recent forwards in both directions and 30-day turnover.

    ``value = w_recent * sat(n_7d + 3 * n_1d, half_forwards_7d)
    + w_turnover * sat(volume_30d / capacity, half_turnover_30d)`` where ``sat(x, h) = x / (x + h)``
    and forwards count in both directions (an inbound forward earns on another channel). Recent
    forwards weigh more than old ones; turnover normalises for channel size.

    Source: forwarding history (LND ``ForwardingHistory``, CLN ``listforwards``/bookkeeper).
    """

    name: ClassVar[str] = "activity"
    half_forwards_7d: float = 5.0
    half_turnover_30d: float = 0.25
    recent_weight: float = 0.5

    def score(self, ctx: ChannelContext) -> Score:
        """Score forwarding activity; see the class docstring."""
        day, week, month = ctx.flow(1), ctx.flow(7), ctx.flow(30)
        recent = saturating(week.n_out + week.n_in + 3 * (day.n_out + day.n_in), self.half_forwards_7d)
        capacity_msat = max(1, ctx.channel.capacity_sat * MSAT_PER_SAT)
        turnover = (month.amount_out_msat + month.amount_in_msat) / capacity_msat
        value = self.recent_weight * recent + (1.0 - self.recent_weight) * saturating(turnover, self.half_turnover_30d)
        return Score(
            clamp01(value),
            (
                f"{week.n_out} out and {week.n_in} in forwards in 7 d, {month.n_out + month.n_in} in 30 d; "
                f"30-day turnover {turnover:.2f}x capacity."
            ),
        )
