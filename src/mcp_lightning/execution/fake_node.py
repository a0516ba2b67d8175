"""An in-memory node that implements ``NodePort`` for real, with fault injection (tests and benchmarks).

It keeps each channel's outbound policy, answers ``get_policy``/``set_policy`` like an adapter (same
error types: ``NodeUnavailable``, ``NodeOutcomeUnknown``, ``NodeRejected``), logs every call, and
can persist its state to a JSON file after each write so a child process killed with ``kill -9``
leaves the node's true state behind for the parent to inspect.

Faults target an executor *step*, recognised from what the node itself sees on each channel: a read
before any write is a ``backup_read``; a write of a policy other than the original is an ``apply``
and the read after it a ``verify``; a write of the original policy is a ``restore`` and the read
after it a ``restore_verify``.

| fault              | on a write                                   | on a read                       |
|--------------------|----------------------------------------------|---------------------------------|
| http_5xx           | refused, not applied (``NodeUnavailable``)   | ``NodeUnavailable``             |
| timeout            | applied, then no answer (``NodeOutcomeUnknown``) | ``NodeUnavailable``         |
| slow               | applied after ``delay_s``                    | answered after ``delay_s``      |
| connection_reset   | not applied (``NodeUnavailable``)            | ``NodeUnavailable``             |
| not_applied        | answered OK but not applied                  | answers the previous (stale) policy |
| hang               | applied, marker file written, then blocks forever (for kill -9 tests) |     |
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from mcp_lightning.domain.channel import Channel, Opener, Policy, ShortChannelId
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.errors import NodeOutcomeUnknown, NodeRejected, NodeUnavailable
from mcp_lightning.execution.channel_ops import matches
from mcp_lightning.units import Msat, Ppm, Sat

BACKEND = "fake"


class FaultKind(StrEnum):
    """What goes wrong (see the module table)."""

    HTTP_5XX = "http_5xx"
    TIMEOUT = "timeout"
    SLOW = "slow"
    CONNECTION_RESET = "connection_reset"
    NOT_APPLIED = "not_applied"
    HANG = "hang"


class NodeStep(StrEnum):
    """The executor step a call belongs to, as the node sees it."""

    BACKUP_READ = "backup_read"
    APPLY = "apply"
    VERIFY = "verify"
    RESTORE = "restore"
    RESTORE_VERIFY = "restore_verify"


@dataclass(slots=True)
class Fault:
    """A fault injected on matching calls.

    Attributes:
        step: the step it hits.
        kind: what goes wrong.
        chan_id: only this channel; None for every channel.
        times: how many matching calls it hits; None for all of them.
        delay_s: the delay of ``slow`` and ``timeout``, seconds.
    """

    step: NodeStep
    kind: FaultKind
    chan_id: int | None = None
    times: int | None = 1
    delay_s: float = 0.02

    def take(self, step: NodeStep, chan_id: int) -> bool:
        """True (and one use consumed) when this fault hits the call."""
        if step is not self.step or (self.chan_id is not None and chan_id != self.chan_id):
            return False
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


@dataclass(frozen=True, slots=True)
class NodeCall:
    """One call the node received."""

    method: str
    chan_id: int
    step: NodeStep
    fault: FaultKind | None


@dataclass(frozen=True, slots=True)
class FakeCapabilities:
    """What the fake can do (it keeps no forwarding history and no graph)."""

    has_forwarding_history: bool = False
    has_graph: bool = False
    supports_inbound_fees: bool = True


@dataclass
class FakeNode:
    """An in-memory ``NodePort`` (see the module docstring).

    Attributes:
        pubkey: the node id its snapshot reports.
        policies: chan_id -> current outbound policy.
        faults: faults to inject, consumed in order of matching.
        state_path: when set, the state is written there (atomically) after every applied write.
        hang_marker: file created when a ``hang`` fault blocks.
        sleep: the delay function.
    """

    pubkey: str
    policies: dict[int, Policy]
    faults: list[Fault] = field(default_factory=list)
    state_path: Path | None = None
    hang_marker: Path | None = None
    sleep: Callable[[float], None] = time.sleep
    capabilities: FakeCapabilities = field(default_factory=FakeCapabilities)
    calls: list[NodeCall] = field(default_factory=list)
    writes: list[tuple[int, Policy]] = field(default_factory=list)
    original: dict[int, Policy] = field(default_factory=dict)
    _previous: dict[int, Policy] = field(default_factory=dict)
    _last_write: dict[int, NodeStep] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.original = dict(self.policies) if not self.original else self.original
        self._previous = dict(self.policies)

    def rearm(self) -> None:
        """Take the current policies as the new originals and forget the per-channel history."""
        self.original, self._previous, self._last_write = dict(self.policies), dict(self.policies), {}

    def _fault(self, step: NodeStep, chan_id: int) -> FaultKind | None:
        for fault in self.faults:
            if fault.take(step, chan_id):
                if fault.kind in (FaultKind.SLOW, FaultKind.TIMEOUT):
                    self.sleep(fault.delay_s)
                return fault.kind
        return None

    def _known(self, chan_id: int, operation: str) -> Policy:
        if chan_id not in self.policies:
            raise NodeRejected(BACKEND, operation, "unknown channel", ids={"chan_id": chan_id})
        return self.policies[chan_id]

    def get_policy(self, chan_id: int) -> Policy:
        """Our outbound policy of one channel.

        Raises:
            NodeRejected: unknown channel. NodeUnavailable: an injected fault.
        """
        current = self._known(chan_id, "get_policy")
        last = self._last_write.get(chan_id)
        step = {None: NodeStep.BACKUP_READ, NodeStep.APPLY: NodeStep.VERIFY}.get(last, NodeStep.RESTORE_VERIFY)
        kind = self._fault(step, chan_id)
        self.calls.append(NodeCall("get_policy", chan_id, step, kind))
        if kind in (FaultKind.HTTP_5XX, FaultKind.CONNECTION_RESET, FaultKind.TIMEOUT):
            raise NodeUnavailable(BACKEND, "get_policy", _FAULT_TEXT[kind], ids={"chan_id": chan_id})
        if kind is FaultKind.HANG:
            self._hang()
        if kind is FaultKind.NOT_APPLIED:
            return self._previous[chan_id]
        return current

    def set_policy(self, chan_id: int, policy: Policy) -> None:
        """Set our outbound policy of one channel (the complete policy).

        Raises:
            NodeRejected: unknown channel. NodeUnavailable, NodeOutcomeUnknown: an injected fault.
        """
        self._known(chan_id, "set_policy")
        step = NodeStep.RESTORE if matches(self.original[chan_id], policy) else NodeStep.APPLY
        kind = self._fault(step, chan_id)
        self.calls.append(NodeCall("set_policy", chan_id, step, kind))
        self._last_write[chan_id] = step
        if kind in (FaultKind.HTTP_5XX, FaultKind.CONNECTION_RESET):
            raise NodeUnavailable(BACKEND, "set_policy", _FAULT_TEXT[kind], ids={"chan_id": chan_id})
        if kind is FaultKind.NOT_APPLIED:
            return
        self._land(chan_id, policy)
        if kind is FaultKind.TIMEOUT:
            raise NodeOutcomeUnknown(BACKEND, "set_policy", _FAULT_TEXT[kind], ids={"chan_id": chan_id})
        if kind is FaultKind.HANG:
            self._hang()

    def _land(self, chan_id: int, policy: Policy) -> None:
        self._previous[chan_id] = self.policies[chan_id]
        self.policies[chan_id] = policy
        self.writes.append((chan_id, policy))
        if self.state_path is not None:
            save_state(self.state_path, self.pubkey, self.policies, self.original)

    def _hang(self) -> None:
        if self.hang_marker is not None:
            self.hang_marker.write_text("hanging\n", encoding="utf-8")
        while True:  # until the test kills the process
            time.sleep(3600)

    def snapshot(self, *, forwards_since: datetime | None = None) -> NodeSnapshot:
        """Identity and channels (each 5,000,000 sat, balanced, with its current policy); no forwards."""
        channels = tuple(_channel(chan_id, policy) for chan_id, policy in sorted(self.policies.items()))
        return NodeSnapshot(pubkey=self.pubkey, alias="fake", implementation=BACKEND, block_height=900_000,
                            taken_at=datetime.now(UTC), channels=channels, forwards=(), source="memory")


_FAULT_TEXT = {
    FaultKind.HTTP_5XX: "HTTP 503 Service Unavailable",
    FaultKind.CONNECTION_RESET: "connection reset by peer",
    FaultKind.TIMEOUT: "no answer within 10 s",
}


def _channel(chan_id: int, policy: Policy) -> Channel:
    return Channel(chan_id=chan_id, scid=ShortChannelId.from_chan_id(chan_id), chan_point=None,
                   peer_pubkey="03" + f"{chan_id:064x}"[-64:], peer_alias=None, capacity_sat=Sat(5_000_000),
                   local_balance_sat=Sat(2_500_000), remote_balance_sat=Sat(2_500_000), active=True, private=False,
                   opener=Opener.LOCAL, local_policy=policy, remote_policy=None)


def policy_doc(policy: Policy) -> dict[str, Any]:
    """A policy as plain JSON values (times as ISO-8601)."""
    doc = {f.name: getattr(policy, f.name) for f in fields(policy)}
    doc["last_update_at"] = None if policy.last_update_at is None else policy.last_update_at.isoformat()
    return doc


def policy_from_doc(doc: Mapping[str, Any]) -> Policy:
    """The inverse of ``policy_doc``."""
    updated = doc["last_update_at"]
    max_htlc = doc["max_htlc_msat"]
    return Policy(base_fee_msat=Msat(doc["base_fee_msat"]), fee_rate_ppm=Ppm(doc["fee_rate_ppm"]),
                  time_lock_delta=doc["time_lock_delta"], min_htlc_msat=Msat(doc["min_htlc_msat"]),
                  max_htlc_msat=None if max_htlc is None else Msat(max_htlc),
                  inbound_base_fee_msat=Msat(doc["inbound_base_fee_msat"]),
                  inbound_fee_rate_ppm=Ppm(doc["inbound_fee_rate_ppm"]), disabled=doc["disabled"],
                  last_update_at=None if updated is None else datetime.fromisoformat(updated))


def save_state(path: Path, pubkey: str, policies: Mapping[int, Policy], original: Mapping[int, Policy]) -> None:
    """Write the node's state to ``path`` atomically (temporary file, fsync, rename)."""
    doc = {"pubkey": pubkey,
           "policies": {str(c): policy_doc(p) for c, p in policies.items()},
           "original": {str(c): policy_doc(p) for c, p in original.items()}}
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(doc, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def load_state(path: Path, **options: Any) -> FakeNode:
    """A fake node from a state file written by ``save_state`` (writes go back to the same file)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    policies = {int(c): policy_from_doc(p) for c, p in doc["policies"].items()}
    original = {int(c): policy_from_doc(p) for c, p in doc["original"].items()}
    return FakeNode(doc["pubkey"], policies, state_path=path, original=original, **options)
