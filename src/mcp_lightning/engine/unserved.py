"""Outbound demand a channel could not serve: HTLCs offered to it but not fulfilled, over a window.

A depleted channel cannot show settled outbound forwards, yet payments keep trying it; those
attempts are the demand a higher price (or a refill) answers. Core Lightning counts them for the
channel's lifetime (``listpeerchannels`` ``out_payments_offered`` / ``out_payments_fulfilled``), so
the count over a window is the difference between now and an earlier reading — a run recorded in
the store, or an earlier decision point of the simulator. LND exposes no such counters: there the
signal is None and the rules fall back on settled forwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from mcp_lightning.domain.channel import HtlcCounters
from mcp_lightning.domain.context import ChannelContext

CounterReading = tuple[datetime, Mapping[int, HtlcCounters]]
"""One reading of every channel's counters: (UTC time, chan_id -> counters)."""


def unserved_out(now: HtlcCounters | None, before: HtlcCounters | None) -> int | None:
    """Outbound HTLCs offered but not fulfilled between two readings of one channel's counters.

    Returns:
        The count (>= 0; a counter that went backwards, e.g. after a node reset, counts as 0), or
        None when either reading is missing.
    """
    if now is None or before is None:
        return None
    unserved_now = now.n_out_offered - now.n_out_fulfilled
    unserved_before = before.n_out_offered - before.n_out_fulfilled
    return max(0, unserved_now - unserved_before)


def pick_baseline(readings: Sequence[CounterReading], now: datetime, window_days: float = 7.0) -> CounterReading | None:
    """The reading to measure a ``window_days`` window from: the newest at or before ``now - window``,
    else the oldest one before ``now`` (a shorter window); None when there is none.

    Args:
        readings: earlier readings, any order.
        now: the current reading's time, UTC.
        window_days: the window, days.
    """
    start = now - timedelta(days=window_days)
    older = [r for r in readings if r[0] <= start]
    if older:
        return max(older, key=lambda r: r[0])
    earlier = [r for r in readings if r[0] < now]
    return min(earlier, key=lambda r: r[0]) if earlier else None


def with_unserved(contexts: Sequence[ChannelContext], baseline: CounterReading | None) -> list[ChannelContext]:
    """``contexts`` with ``unserved_out_7d`` measured from ``baseline`` (None leaves them unknown)."""
    if baseline is None:
        return list(contexts)
    before = baseline[1]
    return [
        replace(ctx, unserved_out_7d=unserved_out(ctx.channel.htlc_counters, before.get(ctx.channel.chan_id)))
        for ctx in contexts
    ]
