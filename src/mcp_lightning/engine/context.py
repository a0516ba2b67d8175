"""Build every channel's :class:`ChannelContext` from a node snapshot and the graph (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from mcp_lightning.domain.context import ChannelContext, FlowWindow
from mcp_lightning.domain.forward import Forward
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.domain.stats import NetworkStats, NodeTopology, PeerStats
from mcp_lightning.units import Msat


@dataclass(frozen=True, slots=True)
class GraphView:
    """What the contexts need from the graph: ids present, statistics, topology and aliases.

    Attributes:
        chan_ids: channel ids present in the graph snapshot.
        taken_at: UTC time of the snapshot.
        network: network-wide statistics.
        peers: pubkey -> statistics of that node as a peer.
        topology: pubkey -> centrality figures.
        aliases: pubkey -> alias.
    """

    chan_ids: frozenset[int]
    taken_at: datetime
    network: NetworkStats
    peers: Mapping[str, PeerStats]
    topology: Mapping[str, NodeTopology]
    aliases: Mapping[str, str]


class _Accumulator:
    """Mutable per-channel counters for one window (internal to the fold)."""

    __slots__ = ("amount_in", "amount_out", "fee", "n_in", "n_out")

    def __init__(self) -> None:
        self.n_out = self.n_in = 0
        self.amount_out = self.amount_in = self.fee = 0

    def freeze(self, days: int) -> FlowWindow:
        return FlowWindow(days, self.n_out, Msat(self.amount_out), Msat(self.fee), self.n_in, Msat(self.amount_in))


class ForwardFold(NamedTuple):
    """Per-channel forward figures: windows shortest first, newest forward either way, newest forward out."""

    flows: dict[int, tuple[FlowWindow, ...]]
    last_forward_at: dict[int, datetime]
    last_out_forward_at: dict[int, datetime]


def forward_windows(
    forwards: Sequence[Forward], chan_ids: Sequence[int], windows_days: Sequence[int], now: datetime
) -> ForwardFold:
    """Fold forwards into per-channel windows in one pass.

    Forwards after ``now`` are ignored (the evaluation cannot know the future).

    Returns:
        A :class:`ForwardFold`: chan_id -> windows shortest first, chan_id -> newest forward through
        the channel in either direction, and chan_id -> newest forward out through it.
    """
    days_sorted = sorted(windows_days)
    starts = [now - timedelta(days=d) for d in days_sorted]
    acc = {cid: [_Accumulator() for _ in days_sorted] for cid in chan_ids}
    last: dict[int, datetime] = {}
    last_out: dict[int, datetime] = {}
    for fwd in forwards:
        at = fwd.resolved_at
        if at > now:
            continue
        for cid, is_out in ((fwd.out_chan_id, True), (fwd.in_chan_id, False)):
            if cid is None or cid not in acc:
                continue
            if cid not in last or at > last[cid]:
                last[cid] = at
            if is_out and (cid not in last_out or at > last_out[cid]):
                last_out[cid] = at
            for start, bucket in zip(starts, acc[cid], strict=True):
                if at <= start:
                    continue
                if is_out:
                    bucket.n_out += 1
                    bucket.amount_out += fwd.amount_out_msat
                    bucket.fee += fwd.fee_msat
                else:
                    bucket.n_in += 1
                    bucket.amount_in += fwd.amount_in_msat
    flows = {cid: tuple(b.freeze(d) for b, d in zip(buckets, days_sorted, strict=True)) for cid, buckets in acc.items()}
    return ForwardFold(flows, last, last_out)


def history_days(forwards: Sequence[Forward], now: datetime) -> float:
    """Days of forwarding history available before ``now`` (0.0 when there is none)."""
    past = [f.resolved_at for f in forwards if f.resolved_at <= now]
    if not past:
        return 0.0
    return (now - min(past)).total_seconds() / 86_400


def build_contexts(
    node: NodeSnapshot, graph: GraphView, now: datetime, windows_days: Sequence[int] = (1, 7, 30)
) -> list[ChannelContext]:
    """One context per open channel of ``node``, sorted by chan_id.

    Args:
        node: our node's snapshot.
        graph: the graph view (statistics and topology already computed).
        now: evaluation time, UTC.
        windows_days: forward windows to compute, days.
    """
    channels = sorted(node.channels, key=lambda c: c.chan_id)
    flows, last, last_out = forward_windows(node.forwards, [c.chan_id for c in channels], windows_days, now)
    span_days = history_days(node.forwards, now)
    graph_age_days = max(0.0, (now - graph.taken_at).total_seconds() / 86_400)
    per_peer: dict[str, int] = {}
    for channel in channels:
        per_peer[channel.peer_pubkey] = per_peer.get(channel.peer_pubkey, 0) + 1
    return [
        ChannelContext(
            channel=channel,
            node_pubkey=node.pubkey,
            now=now,
            block_height=node.block_height,
            flows=flows[channel.chan_id],
            last_forward_at=last.get(channel.chan_id),
            history_days=span_days,
            network=graph.network,
            peer=graph.peers.get(channel.peer_pubkey),
            peer_topology=graph.topology.get(channel.peer_pubkey),
            in_graph=channel.chan_id in graph.chan_ids,
            graph_age_days=graph_age_days,
            n_channels_with_peer=per_peer[channel.peer_pubkey],
            last_out_forward_at=last_out.get(channel.chan_id),
        )
        for channel in channels
    ]
