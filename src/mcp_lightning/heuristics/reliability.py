"""Reliability: whether the channel and its peer can be counted on to route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mcp_lightning.domain.context import ChannelContext
from mcp_lightning.domain.decision import Score
from mcp_lightning.heuristics.curves import clamp01


@dataclass(frozen=True, slots=True)
class Reliability:
    """Whether the channel is usable and the peer dependable.

    Combines three observations, each in [0, 1]: the channel is active (peer connected, channel
    normal); the peer's own policy towards us is enabled; and the share of the peer's public
    channels whose policy towards the peer is enabled (a peer whose channels are widely disabled
    is often offline). ``value = w_active * active + w_remote * remote_enabled
    + w_graph * (1 - disabled_share)``.

    Source: channel ``active``/``peer_connected`` (LND ``ListChannels``, CLN ``listpeerchannels``);
    the BOLT 7 ``channel_update`` disable bit in the graph.
    """

    name: ClassVar[str] = "reliability"
    active_weight: float = 0.5
    remote_enabled_weight: float = 0.2
    graph_weight: float = 0.3

    def score(self, ctx: ChannelContext) -> Score:
        """Score reliability; see the class docstring."""
        channel = ctx.channel
        active = 1.0 if channel.active else 0.0
        remote = channel.remote_policy
        remote_enabled = 0.5 if remote is None else (0.0 if remote.disabled else 1.0)
        peer = ctx.peer
        if peer is None or peer.degree == 0:
            disabled_share, graph_note = 0.5, "the peer is not in the graph"
        else:
            disabled_share = peer.n_disabled_towards / peer.degree
            graph_note = f"{peer.n_disabled_towards} of the peer's {peer.degree} channels are disabled towards it"
        total = self.active_weight + self.remote_enabled_weight + self.graph_weight
        value = (
            self.active_weight * active
            + self.remote_enabled_weight * remote_enabled
            + self.graph_weight * (1.0 - disabled_share)
        ) / total
        state = "active" if channel.active else "inactive (peer offline or channel not normal)"
        return Score(clamp01(value), f"Channel is {state}; {graph_note}.")
