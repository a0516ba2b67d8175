"""The liquidity valve: announce an ``htlc_maximum_msat`` that our outbound liquidity can serve.

A sender does not know our balance. When a channel's local side is short, HTLCs larger than it
reach us anyway and fail there (``temporary_channel_failure``): the payment waits, the sender's
mission control marks us unreliable, and we earn nothing. A channel's ``htlc_maximum_msat``
(BOLT 7 ``channel_update``) is the one liquidity figure we announce, and pathfinding honours it:
LND skips an edge whose max HTLC is below the amount (``routing/unified_edges.go``), Core Lightning
and LDK likewise. Lowering it on a drained channel turns a failure at our node into a route the
sender never tries, while every HTLC our balance can serve still comes. This is the "valve" René
Pickhardt proposed ("`htlc_maximum_msat` as a valve for flow control on the Lightning Network",
lightning-dev, September 2022: failure rates per channel drop by up to an order of magnitude);
Eclair lowers its announced limit from its own balance estimate likewise, and the ceebalancer
plugin for Core Lightning does it by a fraction of the balance. CLBOSS, charge-lnd, LNDg and
feelancer leave the limit alone.

Rule (per channel; parallel channels each by their own balance):

* ``spendable`` = local balance minus the channel reserve (1 % of the capacity, the BOLT 2 default
  ``channel_reserve_satoshis`` that LND and Core Lightning propose) and our outgoing HTLCs in flight;
* below ``engage_below_local_ratio`` of the capacity the valve is engaged: the limit we want is
  ``max_htlc_local_ratio x spendable`` (headroom for the HTLCs that arrive before the next
  decision), never below the channel's ``htlc_minimum_msat``;
* it is lowered only when the announced limit exceeds the whole spendable balance (an HTLC above it
  must fail), and raised only when the wanted limit is at least twice the announced one (or when
  the channel is no longer scarce: then it opens to the capacity less the reserve, or the most
  the node will announce: ``Channel.max_htlc_ceiling_msat``) — so a limit
  changes when the balance has halved or doubled, not with every forward (gossip cost).

Pure: figures in, an optional new limit out.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp_lightning.domain.channel import Channel, HtlcDirection
from mcp_lightning.engine.engine_config import ValveRules
from mcp_lightning.units import Msat, msat_to_sat, sat_to_msat

RESERVE_RATIO = 0.01  # BOLT 2 channel_reserve_satoshis as LND and Core Lightning set it: 1 % of the capacity


@dataclass(frozen=True, slots=True)
class ValveVerdict:
    """A new ``htlc_maximum_msat`` for one channel and the sentence that explains it."""

    max_htlc_msat: Msat
    reason: str


def spendable_msat(channel: Channel) -> int:
    """Local balance minus the reserve and our outgoing HTLCs in flight, msat (0 at least)."""
    capacity_msat = sat_to_msat(channel.capacity_sat)
    local_msat = sat_to_msat(channel.local_balance_sat)
    reserve_msat = round(capacity_msat * RESERVE_RATIO)
    in_flight_msat = sum(int(h.amount_msat) for h in channel.pending_htlcs if h.direction is HtlcDirection.OUT)
    return max(0, local_msat - reserve_msat - in_flight_msat)


def open_limit_msat(channel: Channel) -> int:
    """The limit of a channel that is not short of liquidity, msat: the capacity less the reserve,
    and never above what the node will announce (``Channel.max_htlc_ceiling_msat``, when known)."""
    capacity_msat = sat_to_msat(channel.capacity_sat)
    open_msat = capacity_msat - round(capacity_msat * RESERVE_RATIO)
    ceiling = channel.max_htlc_ceiling_msat
    return open_msat if ceiling is None else min(open_msat, int(ceiling))


def valve(channel: Channel, rules: ValveRules) -> ValveVerdict | None:
    """The ``htlc_maximum_msat`` the channel should announce now, or None to leave it as it is.

    Args:
        channel: the channel (balances in sat; ``local_policy`` read for the current limits).
        rules: the valve's configuration.

    Returns:
        A :class:`ValveVerdict` when the announced limit should change (see the module rule), else
        None — also when the valve is off, the channel is inactive, private, empty or its policy
        unknown.
    """
    policy = channel.local_policy
    if not rules.enabled or policy is None or not channel.active or channel.private or channel.capacity_sat <= 0:
        return None
    open_msat = open_limit_msat(channel)
    announced_msat = open_msat if policy.max_htlc_msat is None else min(int(policy.max_htlc_msat), open_msat)
    can_leave_msat = spendable_msat(channel)
    can_leave_sat = msat_to_sat(can_leave_msat)
    if channel.local_ratio >= rules.engage_below_local_ratio:
        if announced_msat * 2 <= open_msat and can_leave_msat >= 2 * announced_msat:
            return ValveVerdict(Msat(open_msat), f"HTLC limit opened to {msat_to_sat(open_msat):,} sat: the channel "
                                f"has {can_leave_sat:,} sat to spend again.")
        return None
    wanted_msat = max(int(policy.min_htlc_msat), min(open_msat, round(can_leave_msat * rules.max_htlc_local_ratio)))
    if announced_msat > can_leave_msat and wanted_msat < announced_msat:
        return ValveVerdict(Msat(wanted_msat), f"HTLC limit lowered to {msat_to_sat(wanted_msat):,} sat: only "
                            f"{can_leave_sat:,} sat can leave; larger HTLCs would fail here.")
    if wanted_msat >= 2 * announced_msat:
        return ValveVerdict(Msat(wanted_msat), f"HTLC limit raised to {msat_to_sat(wanted_msat):,} sat: "
                            f"{can_leave_sat:,} sat can leave now.")
    return None
