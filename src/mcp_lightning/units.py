"""Units of the Lightning Network and every conversion between them.

All cross-unit arithmetic lives here, so a sat is never added to a msat by accident.

* ``Msat`` — millisatoshi, the unit of HTLC amounts and base fees (BOLT 2, BOLT 7).
* ``Sat`` — satoshi, the unit of channel capacity and on-chain amounts.
* ``Ppm`` — parts per million of the forwarded amount (BOLT 7 ``fee_proportional_millionths``).

Amounts are ``int``; only ratios are ``float``.
"""

from __future__ import annotations

from typing import NewType

Msat = NewType("Msat", int)
Sat = NewType("Sat", int)
Ppm = NewType("Ppm", int)

MSAT_PER_SAT = 1000
PPM_DENOMINATOR = 1_000_000
UINT32_MAX = 4_294_967_295
SECONDS_PER_DAY = 86_400
BLOCKS_PER_DAY = 144  # one block every 10 minutes on average (the difficulty target)


def sat_to_msat(amount_sat: int) -> Msat:
    """Convert sat to msat exactly.

    Args:
        amount_sat: an amount in sat (any sign).

    Returns:
        The same amount in msat.
    """
    return Msat(amount_sat * MSAT_PER_SAT)


def msat_to_sat(amount_msat: int) -> Sat:
    """Convert msat to sat, rounding towards zero (sub-sat dust cannot be spent on-chain).

    Args:
        amount_msat: an amount in msat (any sign).

    Returns:
        The whole sats contained in the amount.
    """
    whole = abs(amount_msat) // MSAT_PER_SAT
    return Sat(whole if amount_msat >= 0 else -whole)


def forward_fee_msat(amount_msat: int, base_fee_msat: int, fee_rate_ppm: int) -> Msat:
    """Fee a node charges to forward ``amount_msat``, per BOLT 7.

    ``fee = fee_base_msat + amount_to_forward * fee_proportional_millionths / 1_000_000``,
    rounded down as every implementation does.

    Args:
        amount_msat: amount forwarded, msat, >= 0.
        base_fee_msat: the policy's base fee, msat.
        fee_rate_ppm: the policy's proportional fee, ppm.

    Returns:
        The fee in msat.

    Source: BOLT 7, "HTLC Fees".
    """
    return Msat(base_fee_msat + amount_msat * fee_rate_ppm // PPM_DENOMINATOR)


def ppm_of(part_msat: int, whole_msat: int) -> float:
    """Express ``part_msat`` as parts per million of ``whole_msat`` (0.0 when ``whole_msat`` is 0)."""
    if whole_msat <= 0:
        return 0.0
    return part_msat * PPM_DENOMINATOR / whole_msat
