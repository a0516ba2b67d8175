"""Our node as its export would show it at a simulated time: the engine consumes it unchanged."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from mcp_lightning.domain.channel import Channel, HtlcCounters, Policy
from mcp_lightning.domain.forward import Forward
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.sim.network import SimNetwork
from mcp_lightning.sim.payments import OurCounters
from mcp_lightning.units import MSAT_PER_SAT, Msat, Sat

SECONDS_PER_BLOCK = 600


class SnapshotBuilder:
    """Turns simulation state into :class:`NodeSnapshot` values, in the shapes of a node export.

    Forwards are the export's history before the start followed by the simulated ones, as
    :class:`Forward` values (``resolved_at`` = start + simulated seconds). Balances are the
    network's, in whole sats; HTLC counters are the export's plus the simulated ones.
    """

    def __init__(self, base: NodeSnapshot, net: SimNetwork, start: datetime) -> None:
        self.base = base
        self.net = net
        self.start = start
        self.forwards: list[Forward] = [f for f in base.forwards if f.resolved_at <= start]
        self._n_converted = 0

    def absorb(self, counters: OurCounters) -> None:
        """Convert the simulated forwards recorded since the last call."""
        new = counters.forwards[self._n_converted:]
        self._n_converted = len(counters.forwards)
        for in_id, out_id, amount_in, amount_out, fee, at_s in new:
            self.forwards.append(Forward(in_id, out_id, Msat(amount_in), Msat(amount_out), Msat(fee),
                                         self.start + timedelta(seconds=at_s)))

    def snapshot(self, now: datetime, policies: Mapping[int, Policy], counters: OurCounters) -> NodeSnapshot:
        """Our node at ``now`` (call :meth:`absorb` first)."""
        channels = tuple(self._channel(c, policies, counters) for c in self.base.channels)
        elapsed_s = (now - self.start).total_seconds()
        return replace(self.base, block_height=self.base.block_height + int(elapsed_s // SECONDS_PER_BLOCK),
                       taken_at=now, channels=channels, forwards=tuple(self.forwards))

    def recent_forwards(self, now: datetime, window_days: int) -> tuple[Forward, ...]:
        """The first forward and those of the last ``window_days``: all the engine's windows and its
        ``history_days`` need, at a fraction of the cost."""
        if not self.forwards:
            return ()
        since = now - timedelta(days=window_days + 1)
        start = bisect.bisect_right(self.forwards, since, key=lambda f: f.resolved_at)
        stop = bisect.bisect_right(self.forwards, now, key=lambda f: f.resolved_at)
        recent = self.forwards[start:stop]
        first = self.forwards[0]
        return tuple(recent) if recent and recent[0] is first else (first, *recent)

    def _channel(self, channel: Channel, policies: Mapping[int, Policy], counters: OurCounters) -> Channel:
        index = self.net.chan_index.get(channel.chan_id)
        policy = policies.get(channel.chan_id, channel.local_policy)
        if index is None:
            return replace(channel, local_policy=policy)
        local_sat = self.net.local_msat(index) // MSAT_PER_SAT
        base = channel.htlc_counters or HtlcCounters(0, 0, 0, 0)
        htlcs = HtlcCounters(
            n_in_offered=base.n_in_offered + counters.in_offered.get(index, 0),
            n_in_fulfilled=base.n_in_fulfilled + counters.in_fulfilled.get(index, 0),
            n_out_offered=base.n_out_offered + counters.out_offered.get(index, 0),
            n_out_fulfilled=base.n_out_fulfilled + counters.out_fulfilled.get(index, 0),
        )
        return replace(channel, local_balance_sat=Sat(local_sat),
                       remote_balance_sat=Sat(channel.capacity_sat - local_sat),
                       local_policy=policy, htlc_counters=htlcs)


def liquidity_failures(net: SimNetwork, counters: OurCounters) -> dict[int, int]:
    """chan_id -> HTLCs failed so far for lack of our outbound liquidity."""
    return {net.chan_id[index]: n for index, n in counters.out_failed_liquidity.items()}


def with_forwards(node: NodeSnapshot, forwards: Sequence[Forward]) -> NodeSnapshot:
    """``node`` with another forward list."""
    return replace(node, forwards=tuple(forwards))
