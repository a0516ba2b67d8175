"""The public channel graph: nodes, channels and both directions' policies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mcp_lightning.domain.channel import Policy, ShortChannelId
from mcp_lightning.units import Sat


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A node announced in the graph."""

    pubkey: str
    alias: str


@dataclass(frozen=True, slots=True)
class GraphChannel:
    """A public channel of the graph.

    ``node1_policy`` is the policy *set by* ``node1_pubkey`` for forwarding from node1 to node2
    (LND ``describegraph`` convention); either may be None when that direction never announced one
    or its values were rejected at ingest.

    Attributes:
        chan_id: uint64 channel id.
        scid: short channel id.
        node1_pubkey: lexicographically smaller endpoint.
        node2_pubkey: the other endpoint.
        capacity_sat: capacity, sat.
        node1_policy: policy for node1 -> node2.
        node2_policy: policy for node2 -> node1.
    """

    chan_id: int
    scid: ShortChannelId
    node1_pubkey: str
    node2_pubkey: str
    capacity_sat: Sat
    node1_policy: Policy | None
    node2_policy: Policy | None

    def policy_from(self, pubkey: str) -> Policy | None:
        """The policy set by ``pubkey`` (for forwarding away from it), or None."""
        if pubkey == self.node1_pubkey:
            return self.node1_policy
        if pubkey == self.node2_pubkey:
            return self.node2_policy
        return None

    def other(self, pubkey: str) -> str:
        """The endpoint that is not ``pubkey``."""
        return self.node2_pubkey if pubkey == self.node1_pubkey else self.node1_pubkey


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What graph ingest counted and set aside, so nothing is dropped silently.

    Attributes:
        n_channels_read: channel records in the file (half-channels for ``listchannels``).
        n_channels_kept: channels in the resulting graph.
        n_policies_null: directions with no policy.
        n_policies_absurd: policies dropped because a value was absurd (e.g. 4,294,967,295 ppm).
        n_policies_stale: policies whose last update is older than the stale horizon.
        n_channels_skipped: channel records skipped (malformed id, self-loop, zero capacity).
        skipped_examples: up to 20 ``(item, reason)`` examples of skipped records.
        n_channels_zombie: channels whose both directions are stale or missing (LND's zombie
            rule); removed from the graph unless ingest was told to keep them.
        n_nodes_skipped: node records skipped (malformed node id or alias).
        absurd_examples: up to 20 ``(item, reason)`` examples of policies dropped as absurd.
    """

    n_channels_read: int = 0
    n_channels_kept: int = 0
    n_policies_null: int = 0
    n_policies_absurd: int = 0
    n_policies_stale: int = 0
    n_channels_skipped: int = 0
    skipped_examples: tuple[tuple[str, str], ...] = ()
    n_channels_zombie: int = 0
    n_nodes_skipped: int = 0
    absurd_examples: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Graph:
    """A channel-graph snapshot.

    Attributes:
        nodes: node id -> node.
        channels: every kept public channel.
        taken_at: UTC time of the snapshot (newest policy update, or the file's stated time).
        source: file path the graph came from.
        fingerprint: sha256 hex of the source bytes (cache key for derived metrics).
        format: ``"lnd-describegraph"`` or ``"cln-listchannels"``.
        report: ingest counts.
    """

    nodes: dict[str, GraphNode]
    channels: tuple[GraphChannel, ...]
    taken_at: datetime
    source: str
    fingerprint: str
    format: str
    report: IngestReport = field(default_factory=IngestReport)
