"""The in-memory node every emulator serves: identity, channels with both policies, forwards, pending channels.

One ``NodeState`` can back several emulators at once (an LND, a Core Lightning and an LNbits view
of the same node). It is thread-safe: servers run in background threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from mcp_lightning.adapters.files.node_export import load_node_export
from mcp_lightning.domain.channel import Channel, Policy
from mcp_lightning.domain.forward import Forward
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.units import Msat, Ppm

DEFAULT_POLICY = Policy(base_fee_msat=Msat(1000), fee_rate_ppm=Ppm(1), time_lock_delta=80)


def max_htlc_ceiling_msat(channel: Channel) -> int:
    """The largest ``htlc_maximum_msat`` the emulated node accepts for ``channel``, msat: the channel's own
    ceiling when the export gave one, else 99 % of the capacity (the capacity less a 1 % reserve)."""
    if channel.max_htlc_ceiling_msat is not None:
        return int(channel.max_htlc_ceiling_msat)
    return int(channel.capacity_sat) * 990


@dataclass(frozen=True, slots=True)
class PendingChannel:
    """A channel that is not open: ``kind`` is ``"opening"`` or ``"closing"``; capacity in sat."""

    chan_point: str
    peer_pubkey: str
    capacity_sat: int
    kind: str = "opening"


class NodeState:
    """A node held in memory, changed only through :meth:`apply_policy`.

    Args:
        pubkey: our node id, 66 hex.
        alias: our alias.
        block_height: chain tip, blocks.
        channels: open channels; one without a local policy gets ``DEFAULT_POLICY``.
        forwards: settled forwards; those with an unknown channel are dropped (``n_forwards_dropped``).
        pending: channels opening or closing.
        now: the current UTC time (policy ``last_update_at`` stamps).
    """

    def __init__(self, *, pubkey: str, alias: str, block_height: int, channels: Iterable[Channel],
                 forwards: Iterable[Forward] = (), pending: Iterable[PendingChannel] = (),
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.pubkey = pubkey
        self.alias = alias
        self.block_height = block_height
        self.now = now
        self._lock = threading.Lock()
        self._channels = {c.chan_id: c if c.local_policy else replace(c, local_policy=DEFAULT_POLICY)
                          for c in channels}
        every_forward = list(forwards)
        kept = [f for f in every_forward if f.in_chan_id and f.out_chan_id]
        self.n_forwards_dropped = len(every_forward) - len(kept)
        self._forwards = tuple(sorted(kept, key=lambda forward: forward.resolved_at))
        self.pending = tuple(pending)
        self.n_policy_writes = 0

    @classmethod
    def from_snapshot(cls, snapshot: NodeSnapshot) -> NodeState:
        """A state holding a snapshot's identity, channels and forwards (the snapshot is not changed)."""
        return cls(pubkey=snapshot.pubkey, alias=snapshot.alias, block_height=snapshot.block_height,
                   channels=snapshot.channels, forwards=snapshot.forwards)

    @classmethod
    def from_export(cls, folder: Path) -> NodeState:
        """A state loaded from a node export folder (e.g. the bundled ``data/nodes/cln-loudtoll``).

        Raises:
            InputFileError: the folder is not a readable Core Lightning or LND export.
        """
        return cls.from_snapshot(load_node_export(folder))

    def channels(self) -> list[Channel]:
        """Every open channel, ordered by chan_id."""
        with self._lock:
            return [self._channels[key] for key in sorted(self._channels)]

    def channel(self, chan_id: int) -> Channel | None:
        """One channel, or None."""
        with self._lock:
            return self._channels.get(chan_id)

    def channel_by_point(self, chan_point: str) -> Channel | None:
        """The channel with this funding outpoint ``txid:vout``, or None."""
        with self._lock:
            return next((c for c in self._channels.values() if c.chan_point == chan_point), None)

    def forwards(self) -> tuple[Forward, ...]:
        """Settled forwards, oldest first."""
        return self._forwards

    def local_policy(self, chan_id: int) -> Policy:
        """Our current outbound policy of a channel.

        Raises:
            KeyError: unknown channel.
        """
        with self._lock:
            policy = self._channels[chan_id].local_policy
        assert policy is not None  # every stored channel has one (constructor)
        return policy

    def apply_policy(self, chan_id: int, policy: Policy) -> Channel:
        """Replace our outbound policy of a channel, stamped with the current time.

        Raises:
            KeyError: unknown channel.
        """
        with self._lock:
            channel = replace(self._channels[chan_id], local_policy=replace(policy, last_update_at=self.now()))
            self._channels[chan_id] = channel
            self.n_policy_writes += 1
            return channel
