"""Forwards rebuilt from Core Lightning bookkeeper events, for exports without ``listforwards``.

The bookkeeper (``bkpr-listaccountevents``) books each forward as two ``routed`` events on the
channels' accounts (the 32-byte ``channel_id``); this module pairs them and maps accounts to chan_ids
with the ``channel_id``/``short_channel_id`` pairs of ``listpeerchannels``, ``listclosedchannels``
and ``listfunds``. Core Lightning field names of these events stay in this module.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mcp_lightning.adapters.cln.parse import scid_field
from mcp_lightning.adapters.files.json_files import (
    FieldError,
    JsonObject,
    int_field,
    read_json_object,
    records_of,
    str_field,
)
from mcp_lightning.domain.forward import Forward
from mcp_lightning.domain.node import SkippedRecord
from mcp_lightning.units import UINT32_MAX, Msat


@dataclass(slots=True)
class _Leg:
    """One bookkeeper ``routed`` event: half a forward (credit = incoming side, debit = outgoing side)."""

    account: str
    amount_msat: int
    fee_msat: int
    at_s: int
    is_credit: bool


def note_account(record: JsonObject, accounts: dict[str, int]) -> None:
    """Map the 32-byte ``channel_id`` (the bookkeeper ``account``) to the uint64 chan_id when both parse."""
    channel_id = record.get("channel_id")
    if isinstance(channel_id, str) and "short_channel_id" in record and channel_id not in accounts:
        # a bad scid: an open channel is then skipped with the reason; a closed one only loses its mapping
        with contextlib.suppress(FieldError):
            accounts[channel_id] = scid_field(record, "short_channel_id").chan_id


def pair_routed_events(path: Path, accounts: dict[str, int]) -> tuple[list[Forward], list[SkippedRecord]]:
    """Rebuild forwards from bookkeeper ``routed`` events in one pass.

    The bookkeeper books a forward as a credit on the incoming channel's account and a debit on the
    outgoing one, with the same ``payment_id``, ``part_id`` and ``fees_msat`` and
    ``credit - fees_msat == debit``. Events wait under that key until their other half arrives
    (HTLCs of one payment may share ``payment_id`` and ``part_id``; the key tells them apart by
    amount). Legs still waiting at the end are skipped, not fatal.

    Returns:
        The forwards oldest first (chan_id None where an account is not in ``accounts``) and the
        skipped events: malformed ones and unpaired legs.

    Raises:
        InputFileError: the file is unreadable or has no top-level ``events`` list.

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
