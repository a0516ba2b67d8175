"""A Core Lightning export folder read into a ``NodeSnapshot``.

The folder holds ``lightning-cli`` JSON output, one file per command, plain or ``.gz``/``.xz``/``.zip``:
``getinfo.json`` and ``listpeerchannels.json`` (required); ``listforwards.json`` (preferred) or
``bkpr-listaccountevents.json`` (forwards rebuilt from bookkeeper ``routed`` events), one required;
``listclosedchannels.json`` and ``listfunds.json`` (optional: map bookkeeper accounts of channels no
longer open to their short channel id). Core Lightning field names stay in this module.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mcp_lightning.adapters.files.json_files import (
    FieldError,
    JsonObject,
    as_record,
    bool_field,
    field_problem,
    find_json_file,
    int_field,
    list_field,
    object_field,
    pubkey_field,
    read_json_object,
    records_of,
    require_json_file,
    str_field,
    timestamp_field,
)
from mcp_lightning.domain.channel import Channel, HtlcCounters, HtlcDirection, Opener, PendingHtlc, Policy
from mcp_lightning.domain.channel import ShortChannelId as Scid
from mcp_lightning.domain.forward import Forward
from mcp_lightning.domain.node import NodeSnapshot, SkippedRecord
from mcp_lightning.errors import InputFileError
from mcp_lightning.units import UINT32_MAX, Msat, Ppm, Sat, msat_to_sat

GETINFO = "getinfo.json"
PEER_CHANNELS = "listpeerchannels.json"
LISTFORWARDS = "listforwards.json"
BKPR_EVENTS = "bkpr-listaccountevents.json"
ACCOUNT_MAPS = ("listclosedchannels.json", "listfunds.json")

OPEN_STATES = frozenset({"CHANNELD_NORMAL", "CHANNELD_AWAITING_SPLICE"})
_OPENING_STATES = frozenset({"OPENINGD", "CHANNELD_AWAITING_LOCKIN", "DUALOPEND_OPEN_INIT",
                             "DUALOPEND_AWAITING_LOCKIN", "DUALOPEND_OPEN_COMMITTED",
                             "DUALOPEND_OPEN_COMMIT_READY"})
_HTLC_DIRECTIONS = {"in": HtlcDirection.IN, "incoming": HtlcDirection.IN,
                    "out": HtlcDirection.OUT, "outgoing": HtlcDirection.OUT}
_COUNTERS = ("in_payments_offered", "in_payments_fulfilled", "out_payments_offered", "out_payments_fulfilled")
_CLTV_MAX = 0xFFFF  # BOLT 7 cltv_expiry_delta is a u16
_CLI = "lightning-cli {0} > {0}.json"


@dataclass
class _PeerChannels:
    """What ``listpeerchannels`` yields: open channels, account -> chan_id, skips, newest timestamp."""

    channels: list[Channel] = field(default_factory=list)
    accounts: dict[str, int] = field(default_factory=dict)
    skipped: list[SkippedRecord] = field(default_factory=list)
    newest_at: datetime | None = None


@dataclass(slots=True)
class _Leg:
    """One bookkeeper ``routed`` event: half a forward (credit = incoming side, debit = outgoing side)."""

    account: str
    amount_msat: int
    fee_msat: int
    at_s: int
    is_credit: bool


def is_cln_export(folder: Path) -> bool:
    """True when ``folder`` holds a ``listpeerchannels.json`` (plain or compressed)."""
    return find_json_file(folder, PEER_CHANNELS) is not None


def load_cln_export(folder: Path) -> NodeSnapshot:
    """Read a Core Lightning export folder.

    Args:
        folder: the export folder (files in the module docstring).

    Returns:
        A snapshot with the open channels (``CHANNELD_NORMAL``/``CHANNELD_AWAITING_SPLICE``), settled
        forwards oldest first, ``taken_at`` = the newest forward, state change or
        ``last_stable_connection`` (UTC), and every left-out record in ``skipped``.

    Raises:
        InputFileError: a required file is missing, unreadable or malformed, or ``getinfo`` is bad.

    Source: ``getinfo``, ``listpeerchannels``, ``listforwards`` or ``bkpr-listaccountevents``,
    ``listclosedchannels``, ``listfunds`` (Core Lightning JSON-RPC schemas, v23.08+).
    """
    pubkey, alias, block_height = _read_getinfo(require_json_file(folder, GETINFO, _CLI.format("getinfo")))
    peer = _read_peer_channels(require_json_file(folder, PEER_CHANNELS, _CLI.format("listpeerchannels")))
    forwards, forward_skips = _read_forwards(folder, peer.accounts)
    stamps = [t for t in (peer.newest_at, forwards[-1].resolved_at if forwards else None) if t]
    if not stamps:
        no_time = FieldError("state_changes", None, "a timestamp", missing=True)
        raise field_problem(folder / PEER_CHANNELS, no_time, hint="export a node with channels or forwards")
    return NodeSnapshot(
        pubkey=pubkey, alias=alias, implementation="cln", block_height=block_height, taken_at=max(stamps),
        channels=tuple(peer.channels), forwards=tuple(forwards), source=str(folder),
        skipped=(*peer.skipped, *forward_skips))


def _read_getinfo(path: Path) -> tuple[str, str, int]:
    document = read_json_object(path)
    try:
        return (pubkey_field(document, "id"), str_field(document, "alias", default=""),
                int_field(document, "blockheight", maximum=UINT32_MAX))
    except FieldError as exc:
        raise field_problem(path, exc, hint=f"export it again with `{_CLI.format('getinfo')}`") from exc


def _read_peer_channels(path: Path) -> _PeerChannels:
    result, seen = _PeerChannels(), set()
    for index, raw in enumerate(records_of(path, read_json_object(path), "channels")):
        item = _channel_item(raw, index)
        try:
            record = as_record(raw, f"channels[{index}]")
            _note_account(record, result.accounts)
            result.newest_at = max(filter(None, (result.newest_at, _channel_newest_at(record))), default=None)
            state = str_field(record, "state")
            if state not in OPEN_STATES:
                kind = "not yet open" if state in _OPENING_STATES else "closed"
                result.skipped.append(SkippedRecord(str(path), item, f"{kind} (state {state})"))
                continue
            channel = _parse_channel(record, state)
            if channel.chan_id in seen:
                raise FieldError("short_channel_id", str(channel.scid), "a channel listed only once")
        except FieldError as exc:
            result.skipped.append(SkippedRecord(str(path), item, str(exc)))
            continue
        seen.add(channel.chan_id)
        result.channels.append(channel)
    return result


def _channel_item(raw: object, index: int) -> str:
    if isinstance(raw, dict):
        for key in ("short_channel_id", "channel_id"):
            if isinstance(raw.get(key), str):
                return f"channel {raw[key]}"
    return f"channels[{index}]"


def _scid(record: JsonObject, key: str) -> Scid:
    text = str_field(record, key)
    try:
        return Scid.parse(text)
    except ValueError as exc:
        raise FieldError(key, text, "a short channel id BLOCKxTXxOUT") from exc


def _note_account(record: JsonObject, accounts: dict[str, int]) -> None:
    """Map the 32-byte ``channel_id`` (the bookkeeper ``account``) to the uint64 chan_id when both parse."""
    channel_id = record.get("channel_id")
    if isinstance(channel_id, str) and "short_channel_id" in record and channel_id not in accounts:
        # a bad scid: an open channel is then skipped with the reason; a closed one only loses its mapping
        with contextlib.suppress(FieldError):
            accounts[channel_id] = _scid(record, "short_channel_id").chan_id


def _channel_newest_at(record: JsonObject) -> datetime | None:
    times = [timestamp_field(record, "last_stable_connection")] if "last_stable_connection" in record else []
    for change in list_field(record, "state_changes"):
        if isinstance(change, dict) and isinstance(change.get("timestamp"), str):
            try:
                at = datetime.fromisoformat(change["timestamp"])
            except ValueError as exc:
                raise FieldError("state_changes.timestamp", change["timestamp"], "an ISO 8601 time") from exc
            times.append(at if at.tzinfo else at.replace(tzinfo=UTC))  # Core Lightning writes UTC ("...Z")
    return max(times, default=None)


def _parse_channel(record: JsonObject, state: str) -> Channel:
    scid = _scid(record, "short_channel_id")
    total_msat = int_field(record, "total_msat", minimum=1000, suffix="msat")
    capacity_sat = msat_to_sat(total_msat)
    local_sat = msat_to_sat(int_field(record, "to_us_msat", maximum=total_msat, suffix="msat"))
    opener = str_field(record, "opener", default="unknown")
    txid = str_field(record, "funding_txid", default="")
    return Channel(
        chan_id=scid.chan_id, scid=scid, peer_pubkey=pubkey_field(record, "peer_id"), peer_alias=None,
        chan_point=f"{txid}:{int_field(record, 'funding_outnum', maximum=UINT32_MAX)}" if txid else None,
        capacity_sat=capacity_sat, local_balance_sat=local_sat,
        remote_balance_sat=Sat(capacity_sat - local_sat),
        active=bool_field(record, "peer_connected", default=False) and state in OPEN_STATES,
        private=bool_field(record, "private", default=False),
        opener=Opener(opener) if opener in ("local", "remote") else Opener.UNKNOWN,
        local_policy=_local_policy(record), remote_policy=_gossip_policy(record, "remote"),
        pending_htlcs=_pending_htlcs(record),
        htlc_counters=HtlcCounters(*(int_field(record, key) for key in _COUNTERS))
        if all(key in record for key in _COUNTERS) else None)


def _gossip_policy(record: JsonObject, side: str) -> Policy | None:
    """``updates.local`` or ``updates.remote`` (Core Lightning v24.02+); None when absent."""
    updates, update = object_field(record, "updates"), None
    try:
        update = object_field(updates, side) if updates else None
        if update is None:
            return None
        return Policy(
            base_fee_msat=Msat(int_field(update, "fee_base_msat", maximum=UINT32_MAX, suffix="msat")),
            fee_rate_ppm=Ppm(int_field(update, "fee_proportional_millionths", maximum=UINT32_MAX)),
            time_lock_delta=int_field(update, "cltv_expiry_delta", maximum=_CLTV_MAX),
            min_htlc_msat=Msat(int_field(update, "htlc_minimum_msat", suffix="msat")),
            max_htlc_msat=Msat(int_field(update, "htlc_maximum_msat", suffix="msat")))
    except FieldError as exc:
        raise exc.within("updates" if update is None else f"updates.{side}") from None


def _local_policy(record: JsonObject) -> Policy | None:
    """Our policy: ``updates.local``, else the top-level fields of older Core Lightning (no CLTV there)."""
    policy = _gossip_policy(record, "local")
    if policy is not None or "fee_proportional_millionths" not in record:
        return policy
    return Policy(
        base_fee_msat=Msat(int_field(record, "fee_base_msat", maximum=UINT32_MAX, suffix="msat")),
        fee_rate_ppm=Ppm(int_field(record, "fee_proportional_millionths", maximum=UINT32_MAX)),
        min_htlc_msat=Msat(int_field(record, "minimum_htlc_out_msat", default=0, suffix="msat")),
        max_htlc_msat=Msat(int_field(record, "maximum_htlc_out_msat", suffix="msat"))
        if "maximum_htlc_out_msat" in record else None)


def _pending_htlcs(record: JsonObject) -> tuple[PendingHtlc, ...]:
    htlcs: list[PendingHtlc] = []
    for index, raw in enumerate(list_field(record, "htlcs")):
        try:
            htlc = as_record(raw, "htlc")
            direction = str_field(htlc, "direction")
            if direction not in _HTLC_DIRECTIONS:
                raise FieldError("direction", direction, "'in' or 'out'")
            amount_msat = Msat(int_field(htlc, "amount_msat", suffix="msat"))
            expiry = int_field(htlc, "expiry", maximum=UINT32_MAX)
            htlcs.append(PendingHtlc(_HTLC_DIRECTIONS[direction], amount_msat, expiry))
        except FieldError as exc:
            raise exc.within(f"htlcs[{index}]") from None
    return tuple(htlcs)


def _read_forwards(folder: Path, accounts: dict[str, int]) -> tuple[list[Forward], list[SkippedRecord]]:
    """Settled forwards from ``listforwards`` when present, else from bookkeeper ``routed`` events."""
    listforwards = find_json_file(folder, LISTFORWARDS)
    if listforwards is not None:
        return _read_listforwards(listforwards)
    events = find_json_file(folder, BKPR_EVENTS)
    if events is None:
        raise InputFileError(
            str(folder / LISTFORWARDS), f"not found, nor {BKPR_EVENTS} (each also looked for as .gz, .xz "
            "and .zip); one of them is needed for the forwarding history",
            hint=f"create it with `{_CLI.format('listforwards')}`")
    skipped: list[SkippedRecord] = []
    for path in filter(None, (find_json_file(folder, name) for name in ACCOUNT_MAPS)):
        document = read_json_object(path)
        key = "closedchannels" if "closedchannels" in document else "channels"
        for index, raw in enumerate(records_of(path, document, key)):
            try:
                _note_account(as_record(raw, f"{key}[{index}]"), accounts)
            except FieldError as exc:
                skipped.append(SkippedRecord(str(path), _channel_item(raw, index), str(exc)))
    forwards, pair_skips = _pair_routed_events(events, accounts)
    return forwards, skipped + pair_skips


def _read_listforwards(path: Path) -> tuple[list[Forward], list[SkippedRecord]]:
    forwards: list[Forward] = []
    skipped: list[SkippedRecord] = []
    for index, raw in enumerate(records_of(path, read_json_object(path), "forwards")):
        try:
            record = as_record(raw, f"forwards[{index}]")
            if record.get("status") == "settled":
                forwards.append(_parse_listforward(record))
        except FieldError as exc:
            skipped.append(SkippedRecord(str(path), f"forwards[{index}]", str(exc)))
    forwards.sort(key=lambda forward: forward.resolved_at)
    return forwards, skipped


def _parse_listforward(record: JsonObject) -> Forward:
    in_msat = int_field(record, "in_msat", suffix="msat")
    time_key = "resolved_time" if record.get("resolved_time") else "received_time"  # 0 for old forwards
    out_msat = int_field(record, "out_msat", maximum=in_msat, suffix="msat")
    if int_field(record, "fee_msat", default=in_msat - out_msat, suffix="msat") != in_msat - out_msat:
        raise FieldError("fee_msat", record["fee_msat"], f"in_msat - out_msat = {in_msat - out_msat}")
    return Forward(
        in_chan_id=_scid(record, "in_channel").chan_id, out_chan_id=_scid(record, "out_channel").chan_id,
        amount_in_msat=Msat(in_msat), amount_out_msat=Msat(out_msat), fee_msat=Msat(in_msat - out_msat),
        resolved_at=timestamp_field(record, time_key))


def _pair_routed_events(path: Path, accounts: dict[str, int]) -> tuple[list[Forward], list[SkippedRecord]]:
    """Rebuild forwards from bookkeeper ``routed`` events in one pass.

    The bookkeeper books a forward as a credit on the incoming channel's account and a debit on the
    outgoing one, with the same ``payment_id``, ``part_id`` and ``fees_msat`` and
    ``credit - fees_msat == debit``. Events wait under that key until their other half arrives
    (HTLCs of one payment may share ``payment_id`` and ``part_id``; the key tells them apart by
    amount). Legs still waiting at the end are skipped, not fatal.

    Source: ``bkpr-listaccountevents`` (``tag`` "routed"; ``account`` is the 32-byte ``channel_id``).
    """
    waiting: dict[tuple[str, int, int, int], list[_Leg]] = {}
    forwards: list[Forward] = []
    skipped: list[SkippedRecord] = []
    for index, raw in enumerate(records_of(path, read_json_object(path), "events")):
        if not (type(raw) is dict and raw.get("tag") == "routed" and raw.get("is_rebalance") is not True):
            continue
        try:
            payment_id, part_id = raw.get("payment_id"), raw.get("part_id", 0)
            if type(payment_id) is not str or type(part_id) is not int:
                payment_id, part_id = str_field(raw, "payment_id"), int_field(raw, "part_id", default=0)
            leg = _parse_leg(raw)
        except FieldError as exc:
            skipped.append(SkippedRecord(str(path), f"events[{index}]", str(exc)))
            continue
        out_msat = leg.amount_msat - leg.fee_msat if leg.is_credit else leg.amount_msat
        key = (payment_id, part_id, leg.fee_msat, out_msat)
        queue = waiting.get(key)
        if queue and queue[0].is_credit != leg.is_credit:
            other = queue.pop(0)
            forwards.append(_forward(leg, other, accounts) if leg.is_credit else _forward(other, leg, accounts))
        else:
            waiting.setdefault(key, []).append(leg)
    skipped += (SkippedRecord(str(path), f"payment_id {key[0]} part {key[1]}", _unpaired_reason(leg))
                for key, legs in waiting.items() for leg in legs)
    forwards.sort(key=lambda forward: forward.resolved_at)
    return forwards, skipped


def _parse_leg(record: JsonObject) -> _Leg:
    """One routed event; the common well-formed case is checked inline (25k events), the rest in full."""
    get = record.get
    credit, debit, fee, at_s, account = (get("credit_msat"), get("debit_msat"), get("fees_msat"),
                                         get("timestamp"), get("account"))
    if (type(credit) is int and type(debit) is int and type(fee) is int and type(at_s) is int
            and type(account) is str and credit >= 0 and debit >= 0 and 0 <= fee <= credit + debit
            and 0 <= at_s <= UINT32_MAX and (credit > 0) != (debit > 0)):
        return _Leg(account, credit or debit, fee, at_s, credit > 0)
    credit = int_field(record, "credit_msat", suffix="msat")
    debit = int_field(record, "debit_msat", suffix="msat")
    if (credit > 0) == (debit > 0):
        raise FieldError("credit_msat", credit, f"exactly one of credit_msat/debit_msat > 0 (debit {debit})")
    return _Leg(str_field(record, "account"), credit or debit,
                int_field(record, "fees_msat", maximum=credit + debit, suffix="msat"),
                int_field(record, "timestamp", maximum=UINT32_MAX), credit > 0)


def _forward(credit: _Leg, debit: _Leg, accounts: dict[str, int]) -> Forward:
    return Forward(
        in_chan_id=accounts.get(credit.account), out_chan_id=accounts.get(debit.account),
        amount_in_msat=Msat(credit.amount_msat), amount_out_msat=Msat(debit.amount_msat),
        fee_msat=Msat(credit.fee_msat), resolved_at=datetime.fromtimestamp(max(credit.at_s, debit.at_s), UTC))


def _unpaired_reason(leg: _Leg) -> str:
    side, other = ("credit", "debit") if leg.is_credit else ("debit", "credit")
    return (f"unpaired routed {side} of {leg.amount_msat} msat (fees_msat {leg.fee_msat}) on account "
            f"{leg.account}: no {other} with the same payment_id, part_id and fees_msat")
