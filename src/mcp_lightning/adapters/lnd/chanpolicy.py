"""``POST /v1/chanpolicy`` (``UpdateChannelPolicy``): the request body for one channel and its answer.

The body always carries the COMPLETE policy — base fee, fee rate (ppm), CLTV delta, both HTLC
limits and the inbound fee — so nothing is left at a value the caller did not choose.
"""

from __future__ import annotations

from mcp_lightning.adapters.files.json_files import JsonObject
from mcp_lightning.domain.channel import Policy

_CHAN_POINT_PARTS = 2


def split_chan_point(chan_point: str) -> tuple[str, int]:
    """``"txid:vout"`` -> ``(txid, vout)``.

    Raises:
        ValueError: when the text is not ``<64 hex>:<int>``.
    """
    parts = chan_point.split(":")
    if len(parts) != _CHAN_POINT_PARTS or len(parts[0]) != 64 or not parts[1].isdigit():
        raise ValueError(f"not a channel point: {chan_point!r} (expected <funding txid>:<output index>)")
    int(parts[0], 16)
    return parts[0], int(parts[1])


def policy_update_body(chan_point: str, policy: Policy) -> dict[str, object]:
    """The ``PolicyUpdateRequest`` for one channel.

    int64/uint64 fields are strings (``base_fee_msat``, ``min_htlc_msat``, ``max_htlc_msat``) and
    the others numbers, as the swagger file declares. ``max_htlc_msat`` is left out when unknown
    (None), which LND reads as "unchanged"; ``min_htlc_msat_specified`` is always true so the
    minimum is applied. ``disabled`` and ``last_update_at`` are not part of a policy update.

    Raises:
        ValueError: when ``chan_point`` is malformed.

    Source: ``lnrpcPolicyUpdateRequest`` in ``lightning.swagger.json``; ``fee_rate_ppm`` is ppm
    (``fee_rate`` in milli-msat is never sent: LND refuses both at once).
    """
    txid, output_index = split_chan_point(chan_point)
    body: dict[str, object] = {
        "chan_point": {"funding_txid_str": txid, "output_index": output_index},
        "base_fee_msat": str(policy.base_fee_msat),
        "fee_rate_ppm": int(policy.fee_rate_ppm),
        "time_lock_delta": policy.time_lock_delta,
        "min_htlc_msat": str(policy.min_htlc_msat),
        "min_htlc_msat_specified": True,
        "inbound_fee": {"base_fee_msat": int(policy.inbound_base_fee_msat),
                        "fee_rate_ppm": int(policy.inbound_fee_rate_ppm)},
    }
    if policy.max_htlc_msat is not None:
        body["max_htlc_msat"] = str(policy.max_htlc_msat)
    return body


def failed_update_problems(answer: JsonObject) -> list[str]:
    """The ``failed_updates`` of a ``PolicyUpdateResponse``, one sentence each (empty: all applied)."""
    problems: list[str] = []
    failed = answer.get("failed_updates")
    for raw in failed if isinstance(failed, list) else []:
        if not isinstance(raw, dict):
            problems.append(f"failed update {raw!r}")
            continue
        outpoint = raw.get("outpoint") if isinstance(raw.get("outpoint"), dict) else {}
        where = f"{outpoint.get('txid_str', '?')}:{outpoint.get('output_index', '?')}" if outpoint else "?"
        problems.append(f"{where} {raw.get('reason', 'UPDATE_FAILURE_UNKNOWN')}: {raw.get('update_error', '')}".strip())
    return problems
