"""Forwards: HTLCs our node routed from one channel to another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mcp_lightning.units import Msat


@dataclass(frozen=True, slots=True)
class Forward:
    """One settled forward.

    Attributes:
        in_chan_id: channel the HTLC came in on (uint64 chan_id); None if that channel is unknown.
        out_chan_id: channel it went out on; None if unknown.
        amount_in_msat: amount received, msat.
        amount_out_msat: amount sent on, msat.
        fee_msat: ``amount_in_msat - amount_out_msat``, msat (>= 0).
        resolved_at: UTC time the forward settled.

    Source: LND ``ForwardingEvent`` (``chan_id_in``, ``amt_in_msat``, ``fee_msat``,
    ``timestamp_ns``); Core Lightning ``listforwards`` or bookkeeper ``routed`` events.
    """

    in_chan_id: int | None
    out_chan_id: int | None
    amount_in_msat: Msat
    amount_out_msat: Msat
    fee_msat: Msat
    resolved_at: datetime
