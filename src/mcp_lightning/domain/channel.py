"""Channels and their routing policies, as seen from our own node."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from mcp_lightning.units import Msat, Ppm, Sat

_SCID_MAX_BLOCK = (1 << 24) - 1
_SCID_MAX_TX = (1 << 24) - 1
_SCID_MAX_OUT = (1 << 16) - 1


@dataclass(frozen=True, slots=True, order=True)
class ShortChannelId:
    """BOLT 7 short channel id: funding block height, transaction index, output index.

    ``chan_id`` is the same value packed into a uint64 (``block << 40 | tx << 16 | out``), which is
    what LND calls ``chan_id``/``channel_id``; ``str()`` gives Core Lightning's ``BLOCKxTXxOUT``.

    Raises:
        ValueError: from the constructors, when a component is out of range or the text is malformed.

    Source: BOLT 7, "Definition of short_channel_id".
    """

    block_height: int
    tx_index: int
    output_index: int

    def __post_init__(self) -> None:
        if not (
            0 <= self.block_height <= _SCID_MAX_BLOCK
            and 0 <= self.tx_index <= _SCID_MAX_TX
            and 0 <= self.output_index <= _SCID_MAX_OUT
        ):
            raise ValueError(
                f"short channel id component out of range: {self.block_height}x{self.tx_index}x{self.output_index}"
            )

    @classmethod
    def parse(cls, text: str) -> ShortChannelId:
        """Parse ``"BLOCKxTXxOUT"`` (Core Lightning) or ``"BLOCK:TX:OUT"`` (older LND logs)."""
        parts = text.replace(":", "x").split("x")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError(f"not a short channel id: {text!r} (expected BLOCKxTXxOUT)")
        return cls(int(parts[0]), int(parts[1]), int(parts[2]))

    @classmethod
    def from_chan_id(cls, chan_id: int) -> ShortChannelId:
        """Unpack LND's uint64 ``chan_id``."""
        if not 0 <= chan_id < 1 << 64:
            raise ValueError(f"chan_id {chan_id} is not a uint64")
        return cls(chan_id >> 40, (chan_id >> 16) & 0xFFFFFF, chan_id & 0xFFFF)

    @property
    def chan_id(self) -> int:
        """The uint64 packing used by LND (``block << 40 | tx << 16 | out``)."""
        return (self.block_height << 40) | (self.tx_index << 16) | self.output_index

    def __str__(self) -> str:
        return f"{self.block_height}x{self.tx_index}x{self.output_index}"


@dataclass(frozen=True, slots=True)
class Policy:
    """One direction's routing policy (BOLT 7 ``channel_update``), in our units.

    Attributes:
        base_fee_msat: fixed fee per forwarded HTLC, msat (>= 0).
        fee_rate_ppm: proportional fee, ppm of the forwarded amount (>= 0).
        time_lock_delta: CLTV expiry delta, blocks.
        min_htlc_msat: smallest HTLC forwarded, msat.
        max_htlc_msat: largest HTLC forwarded, msat; None when not announced.
        inbound_base_fee_msat: inbound base fee, msat; negative is a discount (LND 0.18+).
        inbound_fee_rate_ppm: inbound proportional fee, ppm; negative is a discount.
        disabled: the direction is announced as disabled.
        last_update_at: UTC time of the channel_update; None when unknown.
    """

    base_fee_msat: Msat
    fee_rate_ppm: Ppm
    time_lock_delta: int = 40
    min_htlc_msat: Msat = Msat(1000)
    max_htlc_msat: Msat | None = None
    inbound_base_fee_msat: Msat = Msat(0)
    inbound_fee_rate_ppm: Ppm = Ppm(0)
    disabled: bool = False
    last_update_at: datetime | None = None


class Opener(StrEnum):
    """Who funded the channel."""

    LOCAL = "local"
    REMOTE = "remote"
    UNKNOWN = "unknown"


class HtlcDirection(StrEnum):
    """Direction of a pending HTLC relative to our node."""

    IN = "in"
    OUT = "out"


@dataclass(frozen=True, slots=True)
class PendingHtlc:
    """An HTLC in flight on a channel (CLN ``htlcs[]``, LND ``pending_htlcs[]``)."""

    direction: HtlcDirection
    amount_msat: Msat
    expiry_height: int


@dataclass(frozen=True, slots=True)
class HtlcCounters:
    """Lifetime HTLC counters of a channel (CLN ``listpeerchannels`` ``in/out_payments_*``).

    ``n_out_offered - n_out_fulfilled`` approximates demand we could not serve outbound; the same on
    the ``in`` side counts HTLCs that arrived but failed further along (often probes).
    """

    n_in_offered: int
    n_in_fulfilled: int
    n_out_offered: int
    n_out_fulfilled: int


@dataclass(frozen=True, slots=True)
class Channel:
    """One of our channels, with balances and both directions' policies.

    Attributes:
        chan_id: canonical uint64 channel key (``ShortChannelId.chan_id``).
        scid: the short channel id; None only for unconfirmed channels.
        chan_point: ``txid:vout`` of the funding output, when known.
        peer_pubkey: 33-byte hex node id of the peer.
        peer_alias: the peer's alias when known.
        capacity_sat: channel capacity, sat (> 0).
        local_balance_sat: our side, sat, 0..capacity.
        remote_balance_sat: their side, sat, 0..capacity.
        pending_htlcs: HTLCs in flight.
        active: usable now (peer connected, channel normal).
        private: not announced to the network.
        opener: who funded it.
        local_policy: our outbound policy (what we charge to forward out through this channel).
        remote_policy: the peer's policy towards us; None when unknown.
        htlc_counters: lifetime HTLC counters, when the node exposes them.
        max_htlc_ceiling_msat: the largest ``htlc_maximum_msat`` the node will announce for this
            channel, msat; None when unknown. Core Lightning caps a larger ``setchannel htlcmax``
            at ``min(total - our_reserve, their_max_htlc_value_in_flight)``
            (``htlc_max_possible_send``); LND refuses one above ``local_constraints.max_pending_amt_msat``
            ("max htlc size ... is above max pending amount", ``routing/localchans``).
    """

    chan_id: int
    scid: ShortChannelId | None
    chan_point: str | None
    peer_pubkey: str
    peer_alias: str | None
    capacity_sat: Sat
    local_balance_sat: Sat
    remote_balance_sat: Sat
    active: bool
    private: bool
    opener: Opener
    local_policy: Policy | None
    remote_policy: Policy | None
    pending_htlcs: tuple[PendingHtlc, ...] = ()
    htlc_counters: HtlcCounters | None = None
    max_htlc_ceiling_msat: Msat | None = None

    @property
    def local_ratio(self) -> float:
        """Share of the capacity on our side, in [0, 1]."""
        if self.capacity_sat <= 0:
            return 0.0
        return min(1.0, max(0.0, self.local_balance_sat / self.capacity_sat))

    @property
    def opened_height(self) -> int | None:
        """Block height of the funding transaction, from the scid."""
        return self.scid.block_height if self.scid else None

    @property
    def pending_htlc_msat(self) -> Msat:
        """Total amount of pending HTLCs, msat."""
        return Msat(sum(h.amount_msat for h in self.pending_htlcs))
