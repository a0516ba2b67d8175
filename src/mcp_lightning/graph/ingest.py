"""Shared parts of graph ingest: typed reads of JSON fields, raw channels, and the tally of what was set aside.

The format parsers (``describegraph``, ``listchannels``) turn each record into a ``RawChannel`` and
count every record or policy they set aside in an ``IngestTally``; ``assemble`` then dates the
snapshot, counts stale policies, prunes zombies and builds the ``Graph``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from mcp_lightning.domain.channel import Policy, ShortChannelId
from mcp_lightning.domain.graph import GraphNode
from mcp_lightning.graph.ingest_limits import IngestLimits
from mcp_lightning.units import UINT32_MAX

JsonRecord = Mapping[str, object]

_MISSING = object()
_PUBKEY_LOWER = re.compile(r"0[23][0-9a-f]{64}")
_PUBKEY_ANY = re.compile(r"0[23][0-9a-fA-F]{64}")
_MSAT_SUFFIX = "msat"


class RecordError(Exception):
    """A field of one record is missing or has the wrong type or value.

    Internal to ingest: a parser turns it into a counted skip, or, when most records fail, into an
    ``InputFileError`` naming the file, the field and the value.
    """

    def __init__(self, field_name: str, value: object, expected: str) -> None:
        super().__init__(field_name, value, expected)
        self.field_name = field_name
        self.value = value
        self.expected = expected

    def __str__(self) -> str:
        if self.value is _MISSING:
            return f"field '{self.field_name}' is missing (expected {self.expected})"
        return f"field '{self.field_name}' has value {repr(self.value)[:80]}, expected {self.expected}"

    def within(self, parent: str) -> RecordError:
        """The same error with the field named inside ``parent`` (``node1_policy.fee_base_msat``)."""
        return RecordError(f"{parent}.{self.field_name}", self.value, self.expected)


def req_int(record: JsonRecord, name: str) -> int:
    """Read an integer field: a JSON integer, an integral float, or a decimal string (LND's uint64 style).

    The same values the typed fast path (msgspec, non-strict) accepts as integers.

    Raises:
        RecordError: when the field is missing, a bool, a fractional float, or not a decimal integer.
    """
    value = record.get(name, _MISSING)
    if type(value) is int:
        return value
    if type(value) is str:
        try:
            return int(value)
        except ValueError:
            pass
    if type(value) is float and value.is_integer():
        return int(value)
    raise RecordError(name, value, "an integer")


def opt_int(record: JsonRecord, name: str) -> int | None:
    """Like ``req_int`` but None when the field is absent or null."""
    if record.get(name) is None:
        return None
    return req_int(record, name)


def req_msat(record: JsonRecord, name: str) -> int:
    """Read an msat amount: an integer, a decimal string, or Core Lightning's older ``"123msat"``.

    Raises:
        RecordError: when the field is missing or not such an amount.
    """
    value = record.get(name, _MISSING)
    if type(value) is int:
        return value
    if type(value) is str:
        digits = value[: -len(_MSAT_SUFFIX)] if value.endswith(_MSAT_SUFFIX) else value
        try:
            return int(digits)
        except ValueError:
            pass
    raise RecordError(name, value, "an msat amount (integer or '123msat')")


def opt_msat(record: JsonRecord, name: str) -> int | None:
    """Like ``req_msat`` but None when the field is absent or null."""
    if record.get(name) is None:
        return None
    return req_msat(record, name)


def req_bool(record: JsonRecord, name: str) -> bool:
    """Read a JSON boolean.

    Raises:
        RecordError: when the field is missing or not true/false.
    """
    value = record.get(name, _MISSING)
    if type(value) is bool:
        return value
    raise RecordError(name, value, "true or false")


def req_pubkey(record: JsonRecord, name: str) -> str:
    """Read a 33-byte compressed node id as 66 lowercase hex characters.

    Raises:
        RecordError: when the field is missing or not a node id.
    """
    value = record.get(name, _MISSING)
    if type(value) is str:
        if _PUBKEY_LOWER.fullmatch(value):
            return value
        if _PUBKEY_ANY.fullmatch(value):
            return value.lower()
    raise RecordError(name, value, "a node id (66 hex characters starting 02 or 03)")


def req_record(value: object, name: str) -> JsonRecord:
    """Check that ``value`` is a JSON object.

    Raises:
        RecordError: when it is not.
    """
    if isinstance(value, dict):
        return value
    raise RecordError(name, value, "a JSON object")


def scid_from_chan_id(chan_id: int, name: str) -> ShortChannelId:
    """Unpack a uint64 channel id, refusing 0 and values outside uint64.

    Raises:
        RecordError: when the id is not a valid non-zero uint64.
    """
    if not 0 < chan_id < 1 << 64:
        raise RecordError(name, chan_id, "a non-zero uint64 channel id")
    return ShortChannelId.from_chan_id(chan_id)


def scid_from_text(text: object, name: str) -> ShortChannelId:
    """Parse ``BLOCKxTXxOUT``.

    Raises:
        RecordError: when the text is not a short channel id.
    """
    if isinstance(text, str):
        try:
            return ShortChannelId.parse(text)
        except ValueError:
            pass
    raise RecordError(name, text, "a short channel id BLOCKxTXxOUT")


def valid_unix(seconds: int | None) -> int | None:
    """``seconds`` when it is a usable unix time; None for absent, 0, negative or beyond uint32."""
    if seconds is None or not 0 < seconds <= UINT32_MAX:
        return None
    return seconds


def time_from_unix(seconds: int | None) -> datetime | None:
    """UTC datetime of a unix time; None for absent, 0, negative or beyond uint32 (unknown)."""
    if seconds is None or not 0 < seconds <= UINT32_MAX:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


class RawChannel(NamedTuple):
    """A parsed channel before staleness and zombie rules (internal to ingest; a tuple for speed).

    Attributes:
        chan_id: uint64 channel id.
        scid: short channel id.
        node1_pubkey: smaller endpoint.
        node2_pubkey: larger endpoint.
        capacity_sat: capacity, sat (> 0).
        node1_policy: policy set by node1, None when missing or dropped.
        node2_policy: policy set by node2.
        node1_update_s: unix time used for node1's staleness: its policy's last update, or, when
            the policy carries none (LND before 0.7), the channel's newest update, an upper bound.
            Set even when the policy was dropped as absurd; None when node1 announced no policy
            or no time is known.
        node2_update_s: same for node2.
    """

    chan_id: int
    scid: ShortChannelId
    node1_pubkey: str
    node2_pubkey: str
    capacity_sat: int
    node1_policy: Policy | None
    node2_policy: Policy | None
    node1_update_s: int | None
    node2_update_s: int | None


@dataclass(slots=True)
class IngestTally:
    """Counters and examples collected while parsing (mutable, internal to ingest)."""

    limits: IngestLimits
    n_records: int = 0
    n_policies_present: int = 0
    n_policies_null: int = 0
    n_policies_absurd: int = 0
    n_records_skipped: int = 0
    n_nodes_skipped: int = 0
    n_duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    skipped_nodes: list[tuple[str, str]] = field(default_factory=list)
    absurd: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, item: str, reason: str) -> None:
        """Count one malformed record and keep it as an example while there is room."""
        self.n_records_skipped += 1
        if len(self.skipped) < self.limits.n_examples:
            self.skipped.append((item, reason))

    def skip_node(self, item: str, reason: str) -> None:
        """Count one malformed node record (its channels still count; its alias is lost)."""
        self.n_nodes_skipped += 1
        if len(self.skipped_nodes) < self.limits.n_examples:
            self.skipped_nodes.append((item, reason))

    def drop_absurd(self, item: str, reason: str) -> None:
        """Count one policy dropped for an absurd value."""
        self.n_policies_absurd += 1
        if len(self.absurd) < self.limits.n_examples:
            self.absurd.append((item, reason))

    def counted(self, raw: RawChannel, names: Mapping[str, str]) -> RawChannel:
        """Count the channel's null policies, and drop (counted) any absurd one.

        Args:
            raw: a parsed channel whose policies have not been judged yet.
            names: our field name -> the file's field name, for examples.

        Returns:
            ``raw``, or a copy with absurd policies set to None (update times kept).
        """
        policy1, policy2 = raw.node1_policy, raw.node2_policy
        if policy1 is None:
            self.n_policies_null += 1
        elif self.checked_policy(policy1, names, "channel", raw.chan_id, "node1_policy") is None:
            raw = raw._replace(node1_policy=None)
        if policy2 is None:
            self.n_policies_null += 1
        elif self.checked_policy(policy2, names, "channel", raw.chan_id, "node2_policy") is None:
            raw = raw._replace(node2_policy=None)
        return raw

    def checked_policy(self, policy: Policy, names: Mapping[str, str], *item: object) -> Policy | None:
        """Return ``policy``, or None (counted) when one of its values is absurd.

        Args:
            policy: the parsed policy.
            names: our field name -> the file's field name, for the example text.
            *item: words naming the record in an example, joined only when needed
                (``"channel", 123, "node1_policy"``).
        """
        self.n_policies_present += 1
        problem = self.limits.policy_problem(policy)
        if problem is None:
            return policy
        ours, value, why = problem
        self.drop_absurd(" ".join(map(str, item)), f"field '{names.get(ours, ours)}' has value {value} ({why})")
        return None


@dataclass(slots=True)
class ParsedGraph:
    """What a format parser hands to ``assemble`` (internal to ingest).

    Attributes:
        format: ``"lnd-describegraph"`` or ``"cln-listchannels"``.
        nodes: node id -> node, from the node list.
        channels: the parsed channels.
        tally: counters.
        stated_taken_at: the snapshot time the file states itself, when it does.
        record_noun: what one record is called in messages (``"edge"``, ``"half-channel"``).
    """

    format: str
    nodes: dict[str, GraphNode]
    channels: list[RawChannel]
    tally: IngestTally
    stated_taken_at: datetime | None = None
    record_noun: str = "record"
