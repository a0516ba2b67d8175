"""Node calls for one channel, with retries: read a policy, write one and read it back until it matches.

Every failure at the node border (an adapter's ``NodeError``, or anything an adapter failed to
wrap) is caught here and turned into a reason string: a failed call must lead to a verification or
a restore, never to an unrecorded state. A write is always followed by a read, even when the write
raised, because a timed-out write may have been applied (``NodeOutcomeUnknown``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from mcp_lightning.domain.channel import Policy
from mcp_lightning.engine.ports import NodePort
from mcp_lightning.errors import McplnError
from mcp_lightning.units import Msat, Ppm


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try one channel.

    Attributes:
        read_attempts: reads of a policy before giving up (>= 1).
        write_attempts: write-then-read rounds before giving up (>= 1).
        delay_s: pause between attempts, seconds (doubles each time).
        sleep: the pause function (injected by tests).
    """

    read_attempts: int = 3
    write_attempts: int = 3
    delay_s: float = 0.25
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def pause(self, attempt: int) -> None:
        """Wait before attempt ``attempt + 1`` (exponential back-off from ``delay_s``)."""
        if self.delay_s > 0:
            self.sleep(self.delay_s * 2 ** (attempt - 1))


@dataclass(frozen=True, slots=True)
class ReadResult:
    """A policy read: the policy, or None and why not."""

    policy: Policy | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    """A write-and-verify: whether the node now shows the target, what it showed, and why not.

    Attributes:
        verified: the last read matched the target.
        observed: the last policy read back, or None when no read succeeded.
        n_attempts: writes sent.
        error: the last failure, with the call that failed.
    """

    verified: bool
    observed: Policy | None
    n_attempts: int
    error: str | None = None


def comparable(policy: Policy, *, inbound: bool) -> Policy:
    """The fields a write sets and a verification compares.

    ``last_update_at`` is the node's own timestamp and ``disabled`` follows the peer's connection
    (no fee update sets it), so both are left out; inbound fees are left out when the node cannot
    set them.
    """
    stripped = replace(policy, last_update_at=None, disabled=False)
    if not inbound:
        stripped = replace(stripped, inbound_base_fee_msat=Msat(0), inbound_fee_rate_ppm=Ppm(0))
    return stripped


def matches(target: Policy, observed: Policy, *, inbound: bool = True) -> bool:
    """True when ``observed`` shows every field ``target`` sets (an unset ``max_htlc_msat`` matches any)."""
    if target.max_htlc_msat is None:
        observed = replace(observed, max_htlc_msat=None)
    return comparable(target, inbound=inbound) == comparable(observed, inbound=inbound)


def describe(exc: BaseException, call: str) -> str:
    """One line naming the call and the failure (adapters' messages carry no credentials)."""
    if isinstance(exc, McplnError):
        return exc.message.splitlines()[0][:300]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{call}: {type(exc).__name__}{': ' + text if text else ''}"[:300]


def read_policy(node: NodePort, chan_id: int, retry: RetryPolicy) -> ReadResult:
    """Read a channel's outbound policy, retrying failures ``retry.read_attempts`` times."""
    error = None
    for attempt in range(1, retry.read_attempts + 1):
        try:
            return ReadResult(node.get_policy(chan_id))
        except Exception as exc:
            error = describe(exc, f"get_policy({chan_id})")
        if attempt < retry.read_attempts:
            retry.pause(attempt)
    return ReadResult(None, error)


def write_verified(node: NodePort, chan_id: int, target: Policy, retry: RetryPolicy,
                   before_write: Callable[[], None], *, inbound: bool = True,
                   on_sent: Callable[[int, str | None], None] | None = None) -> WriteResult:
    """Send ``target`` and read it back until the node shows it, at most ``retry.write_attempts`` times.

    Args:
        node: the node.
        chan_id: the channel.
        target: the complete policy to send.
        retry: attempts and back-off.
        before_write: called before every write (the kill switch check); what it raises propagates.
        inbound: the node can set inbound fees (else they are not compared).
        on_sent: called after each write with the attempt number and the write's error (or None),
            before the read-back (the executor records the channel as ``applied`` there).

    Returns:
        ``verified=True`` as soon as a read matches; otherwise the last observation and error.
    """
    observed, error = None, None
    for attempt in range(1, retry.write_attempts + 1):
        before_write()
        error = None
        try:
            node.set_policy(chan_id, target)
        except Exception as exc:
            error = describe(exc, f"set_policy({chan_id})")
        if on_sent is not None:
            on_sent(attempt, error)
        read = read_policy(node, chan_id, retry)
        observed = read.policy or observed
        if read.policy is not None and matches(target, read.policy, inbound=inbound):
            return WriteResult(True, read.policy, attempt)
        if read.policy is None:
            error = error or read.error
        else:
            error = error or (f"read back fee_rate_ppm {read.policy.fee_rate_ppm}, base_fee_msat "
                              f"{read.policy.base_fee_msat} instead of {target.fee_rate_ppm} ppm, "
                              f"{target.base_fee_msat} msat (accepted but not applied)")
        if attempt < retry.write_attempts:
            retry.pause(attempt)
    return WriteResult(False, observed, retry.write_attempts, error)


def utc_now() -> datetime:
    """The current UTC time (the executor's default clock)."""
    return datetime.now(UTC)
