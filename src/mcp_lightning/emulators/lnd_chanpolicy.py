"""``POST /v1/chanpolicy`` as LND handles it: validation, the per-channel update, ``failed_updates``.

Follows LND ``rpcserver.go`` ``UpdateChannelPolicy`` and ``routing/localchans``: ``fee_rate`` and
``fee_rate_ppm`` are exclusive; the CLTV delta must be at least 18; positive inbound fees are
refused (LND's default without ``accept-positive-inbound-fees``); ``min_htlc_msat`` applies only
with ``min_htlc_msat_specified``; an unset/zero ``max_htlc_msat`` and an absent ``inbound_fee``
leave those values unchanged; an unknown channel or an invalid limit is reported in
``failed_updates`` with HTTP 200.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mcp_lightning.domain.channel import Channel, Policy
from mcp_lightning.emulators.faults import Fault, Injection
from mcp_lightning.emulators.lnd_render import Json, rpc_status
from mcp_lightning.emulators.state import NodeState, max_htlc_ceiling_msat
from mcp_lightning.units import Msat, Ppm

MIN_TIME_LOCK_DELTA = 18
_GRPC_UNKNOWN = 2
_GRPC_INVALID_ARGUMENT = 3
_FIELDS = frozenset({"global", "chan_point", "base_fee_msat", "fee_rate", "fee_rate_ppm", "time_lock_delta",
                     "max_htlc_msat", "min_htlc_msat", "min_htlc_msat_specified", "inbound_fee",
                     "create_missing_edge"})


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP status and JSON body."""

    status: int
    body: Json


class _BadRequest(Exception):
    pass


def _int(body: Json, key: str, default: int = 0) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _BadRequest(f"bad value for field {key!r}: {value!r}")
    try:
        return int(value)
    except ValueError as exc:
        raise _BadRequest(f"bad value for field {key!r}: {value!r}") from exc


def _failed(txid: str, index: int, reason: str, error: str) -> Answer:
    return Answer(200, {"failed_updates": [{"outpoint": {"txid_bytes": "", "txid_str": txid, "output_index": index},
                                            "reason": reason, "update_error": error}]})


def _target(state: NodeState, body: Json) -> tuple[str, int, Channel | None]:
    point = body.get("chan_point")
    if not isinstance(point, dict):
        raise _BadRequest("this emulator updates one channel at a time: chan_point is required")
    txid, index = point.get("funding_txid_str"), _int(point, "output_index")
    if not isinstance(txid, str):
        raise _BadRequest("chan_point.funding_txid_str is required (funding_txid_bytes is not emulated)")
    return txid, index, state.channel_by_point(f"{txid}:{index}")


def _new_policy(old: Policy, body: Json) -> Policy:
    if body.get("fee_rate") and body.get("fee_rate_ppm"):
        raise _BadRequest("cannot set both FeeRate and FeeRatePpm at the same time")
    ppm = round(float(str(body["fee_rate"])) * 1_000_000) if body.get("fee_rate") else _int(body, "fee_rate_ppm")
    delta = _int(body, "time_lock_delta")
    if delta < MIN_TIME_LOCK_DELTA:
        raise _BadRequest(f"time lock delta of {delta} is too small, minimum supported is {MIN_TIME_LOCK_DELTA}")
    policy = replace(old, base_fee_msat=Msat(_int(body, "base_fee_msat")), fee_rate_ppm=Ppm(ppm),
                     time_lock_delta=delta)
    if body.get("min_htlc_msat_specified") is True:
        policy = replace(policy, min_htlc_msat=Msat(_int(body, "min_htlc_msat")))
    if _int(body, "max_htlc_msat"):
        policy = replace(policy, max_htlc_msat=Msat(_int(body, "max_htlc_msat")))
    inbound = body.get("inbound_fee")
    if isinstance(inbound, dict):
        base, rate = _int(inbound, "base_fee_msat"), _int(inbound, "fee_rate_ppm")
        if base > 0 or rate > 0:
            raise _BadRequest("positive values for inbound fee rate ppm or inbound base fee msat is not supported")
        policy = replace(policy, inbound_base_fee_msat=Msat(base), inbound_fee_rate_ppm=Ppm(rate))
    return policy


def update_channel_policy(state: NodeState, body: object, injection: Injection | None) -> Answer:
    """Apply one ``PolicyUpdateRequest`` to ``state`` (or not, as the fault says).

    Returns:
        200 with ``failed_updates`` (empty on success), or 400/500 with a gRPC status like LND's.
    """
    try:
        if not isinstance(body, dict):
            raise _BadRequest("the body is not a JSON object")
        unknown = sorted(set(body) - _FIELDS)
        if unknown:
            return Answer(400, rpc_status(_GRPC_INVALID_ARGUMENT, f"unknown field {unknown[0]!r}"))
        txid, index, channel = _target(state, body)
        if channel is None:
            return _failed(txid, index, "UPDATE_FAILURE_NOT_FOUND", f"unable to find channel {txid}:{index}")
        policy = _new_policy(state.local_policy(channel.chan_id), body)
    except _BadRequest as exc:
        return Answer(500, rpc_status(_GRPC_UNKNOWN, str(exc)))
    max_pending_msat = max_htlc_ceiling_msat(channel)  # LND: LocalChanCfg.MaxPendingAmount (routing/localchans)
    if policy.max_htlc_msat is not None and policy.max_htlc_msat > max_pending_msat:
        return _failed(txid, index, "UPDATE_FAILURE_INVALID_PARAMETER",
                       f"max htlc size of {policy.max_htlc_msat} mSAT is above max pending amount of "
                       f"{max_pending_msat} mSAT")
    if policy.max_htlc_msat is not None and policy.min_htlc_msat > policy.max_htlc_msat:
        return _failed(txid, index, "UPDATE_FAILURE_INVALID_PARAMETER", "min_htlc is greater than max_htlc")
    if injection is not None and injection.fault is Fault.WRITE_FAILS:
        return _failed(txid, index, "UPDATE_FAILURE_INTERNAL_ERR", "emulated failure: this write fails")
    if injection is None or injection.fault is not Fault.NOT_APPLIED:
        state.apply_policy(channel.chan_id, policy)
    return Answer(200, {"failed_updates": []})
