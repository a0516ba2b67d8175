"""A snapshot of our own node: identity, channels and forwarding history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mcp_lightning.domain.channel import Channel
from mcp_lightning.domain.forward import Forward


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """A record left out of a snapshot, with why (one bad channel must not stop the run)."""

    source: str
    item: str
    reason: str


@dataclass(frozen=True, slots=True)
class NodeSnapshot:
    """Everything read from one node at one time.

    Attributes:
        pubkey: our node id, 33-byte hex.
        alias: our alias.
        implementation: ``"cln"`` or ``"lnd"`` (or an emulator name).
        block_height: chain tip seen by the node, blocks.
        taken_at: UTC time the snapshot describes (newest timestamp in the export).
        channels: open channels (closed and closing ones are left out).
        forwards: settled forwards, oldest first.
        source: where it was read from (a path or a URL without credentials).
        skipped: records that were left out, with reasons.
        warnings: what the source could not provide, in sentences for users (e.g. LNbits has no
            forwarding history).
    """

    pubkey: str
    alias: str
    implementation: str
    block_height: int
    taken_at: datetime
    channels: tuple[Channel, ...]
    forwards: tuple[Forward, ...]
    source: str
    skipped: tuple[SkippedRecord, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())
