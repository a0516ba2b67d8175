"""Ports: what the engine needs from the outside world, as Protocols. Adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mcp_lightning.domain.channel import Policy
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.engine.plan import PlannedDecision, PolicyChange, RunSummary
from mcp_lightning.engine.unserved import CounterReading


class RunStore(Protocol):
    """Where runs, decisions and policy changes are recorded (SQLite or PostgreSQL)."""

    def record_run(self, run: RunSummary, planned: Sequence[PlannedDecision]) -> None:
        """Write the run and all its decisions in one transaction.

        Raises:
            StoreError: when the database cannot be written; nothing partial is kept.
        """
        ...

    def policy_changes_since(self, since: datetime) -> Sequence[PolicyChange]:
        """Policy changes applied at or after ``since`` (UTC), oldest first, for cooldowns and daily caps."""
        ...

    def counter_baseline(self, node_pubkey: str, now: datetime, window_days: float = 7.0) -> CounterReading | None:
        """The HTLC counters an earlier run recorded, to measure unserved demand over a window."""
        ...


class NodeCapabilities(Protocol):
    """What a node backend can do (LNbits, for one, has no forwarding history and no graph)."""

    @property
    def has_forwarding_history(self) -> bool:
        """The backend can list forwards."""
        ...

    @property
    def has_graph(self) -> bool:
        """The backend can describe the public graph."""
        ...

    @property
    def supports_inbound_fees(self) -> bool:
        """The backend can set inbound fees (LND 0.18+)."""
        ...


class NodePort(Protocol):
    """A running Lightning node: read its state, read and write one channel's outbound policy.

    Implementations live in ``adapters/lnd``, ``adapters/cln`` and ``adapters/lnbits``; every
    third-party error is wrapped at the adapter border into ``mcp_lightning.errors`` types that keep
    the method and the identifiers but never a credential.
    """

    capabilities: NodeCapabilities

    def snapshot(self, *, forwards_since: datetime | None = None) -> NodeSnapshot:
        """Read identity, open channels (with both policies where known) and forwards since a time."""
        ...

    def get_policy(self, chan_id: int) -> Policy:
        """Re-read our current outbound policy of one channel (used to back up and to verify)."""
        ...

    def set_policy(self, chan_id: int, policy: Policy) -> None:
        """Send the complete outbound policy of one channel (base fee, ppm, CLTV delta, HTLC limits, inbound fee)."""
        ...
