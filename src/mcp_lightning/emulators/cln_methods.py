"""The Core Lightning JSON-RPC methods the emulator answers, over a ``NodeState``.

``getinfo``, ``listpeerchannels``, ``listforwards`` (with ``index``/``start``/``limit`` paging),
``listchannels`` and ``setchannel``. Errors follow ``lightningd``: -32601 unknown command, -32602
bad parameters.
"""

from __future__ import annotations

from dataclasses import replace

from mcp_lightning.domain.channel import Channel
from mcp_lightning.emulators import cln_render as render
from mcp_lightning.emulators.faults import Fault, Injection
from mcp_lightning.emulators.state import NodeState, max_htlc_ceiling_msat
from mcp_lightning.units import Msat, Ppm

Json = dict[str, object]
INVALID_PARAMS = -32602
UNKNOWN_COMMAND = -32601
LIGHTNINGD = -1
_PARAMS: dict[str, tuple[str, ...]] = {
    "getinfo": (),
    "listpeerchannels": ("id", "short_channel_id", "channel_id"),
    "listforwards": ("status", "in_channel", "out_channel", "index", "start", "limit"),
    "listchannels": ("short_channel_id", "source", "destination"),
    "setchannel": ("id", "feebase", "feeppm", "htlcmin", "htlcmax", "enforcedelay", "ignorefeelimits"),
}


class RpcFailure(Exception):
    """A JSON-RPC error answer."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_NEWER_PARAMS = frozenset({("listforwards", "index"), ("listforwards", "start"), ("listforwards", "limit"),
                           ("listpeerchannels", "short_channel_id"), ("listpeerchannels", "channel_id")})
"""Parameters an older node does not know (``listforwards`` paging: v23.11; ``listpeerchannels`` filters: v25.05+)."""


def named_params(method: str, params: object, *, legacy: bool = False) -> Json:
    """The call's parameters by name (positional lists are mapped in the documented order).

    Args:
        method: the JSON-RPC method.
        params: its ``params`` (an object or a list).
        legacy: answer like an older node that lacks ``listforwards`` paging and the
            ``listpeerchannels`` filters.

    Raises:
        RpcFailure: unknown command, unknown parameter or too many positional ones.
    """
    if method not in _PARAMS:
        raise RpcFailure(UNKNOWN_COMMAND, f"Unknown command '{method}'")
    names = tuple(name for name in _PARAMS[method] if not (legacy and (method, name) in _NEWER_PARAMS))
    if isinstance(params, list):
        if len(params) > len(names):
            raise RpcFailure(INVALID_PARAMS, f"too many parameters: got {len(params)}, expected <= {len(names)}")
        return dict(zip(names, params, strict=False))
    named = dict(params) if isinstance(params, dict) else {}
    for name in named:
        if name not in names:
            raise RpcFailure(INVALID_PARAMS, f"unknown parameter: {name}")
    return named


def _msat(value: object, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.endswith("msat") and value[:-4].isdigit():
        return int(value[:-4])
    raise RpcFailure(INVALID_PARAMS, f"{name}: should be a millisatoshi amount: invalid token '{value}'")


def _matching(state: NodeState, key: object) -> list[Channel]:
    if not isinstance(key, str):
        raise RpcFailure(INVALID_PARAMS, "id: should be a channel ID or short channel ID or peer id or 'all'")
    channels = state.channels()
    if key == "all":
        return channels
    found = [c for c in channels if key in (str(c.scid), c.peer_pubkey)
             or (c.chan_point and key == render.channel_id(c.chan_point))]
    if not found:
        raise RpcFailure(INVALID_PARAMS, f"Could not find any active channels of peer with that id: {key}")
    return found


def getinfo(state: NodeState, params: Json) -> Json:
    """``getinfo``."""
    return render.getinfo(state)


def listpeerchannels(state: NodeState, params: Json) -> dict[str, list[Json]]:
    """``listpeerchannels`` [id | short_channel_id | channel_id]."""
    channels = state.channels()
    if params.get("id") is not None:
        channels = [c for c in channels if c.peer_pubkey == params["id"]]
    if params.get("short_channel_id") is not None:
        channels = [c for c in channels if str(c.scid) == params["short_channel_id"]]
    if params.get("channel_id") is not None:
        channels = [c for c in channels if c.chan_point and render.channel_id(c.chan_point) == params["channel_id"]]
    return {"channels": [render.peer_channel(state.pubkey, c) for c in channels]}


def listforwards(state: NodeState, params: Json) -> Json:
    """``listforwards``: every forward is settled here; ``created_index`` starts at 1."""
    if params.get("status") not in (None, "settled", "offered", "failed", "local_failed"):
        raise RpcFailure(INVALID_PARAMS, f"status: should be a valid status: invalid token '{params['status']}'")
    indexed = list(enumerate(state.forwards(), start=1))
    if params.get("status") not in (None, "settled"):
        indexed = []
    for key, attribute in (("in_channel", "in_chan_id"), ("out_channel", "out_chan_id")):
        if params.get(key) is not None:
            indexed = [(i, f) for i, f in indexed if render.scid_text(getattr(f, attribute)) == params[key]]
    if params.get("index") is not None:
        start = int(str(params.get("start", 0)))
        indexed = [(i, f) for i, f in indexed if i >= start]
        if params.get("limit") is not None:
            indexed = indexed[:int(str(params["limit"]))]
    return {"forwards": [render.forward(f, i) for i, f in indexed]}


def listchannels(state: NodeState, params: Json) -> Json:
    """``listchannels`` [short_channel_id] [source] [destination]: both directions of our channels."""
    entries = [e for c in state.channels() for ours in (True, False)
               if (e := render.half_channel(state, c, ours=ours)) is not None]
    for key in ("short_channel_id", "source", "destination"):
        if params.get(key) is not None:
            entries = [e for e in entries if e[key] == params[key]]
    return {"channels": entries}


def setchannel(state: NodeState, params: Json, injection: Injection | None) -> Json:
    """``setchannel`` id [feebase] [feeppm] [htlcmin] [htlcmax] [enforcedelay]: unset values stay."""
    if injection is not None and injection.fault is Fault.WRITE_FAILS:
        raise RpcFailure(LIGHTNINGD, "emulated failure: this write fails")
    results = []
    for channel in _matching(state, params.get("id")):
        policy = state.local_policy(channel.chan_id)
        capped = False
        if params.get("feebase") is not None:
            policy = replace(policy, base_fee_msat=Msat(_msat(params["feebase"], "feebase")))
        if params.get("feeppm") is not None:
            policy = replace(policy, fee_rate_ppm=Ppm(int(str(params["feeppm"]))))
        if params.get("htlcmin") is not None:
            policy = replace(policy, min_htlc_msat=Msat(_msat(params["htlcmin"], "htlcmin")))
        if params.get("htlcmax") is not None:
            wanted, possible = _msat(params["htlcmax"], "htlcmax"), max_htlc_ceiling_msat(channel)
            capped = wanted > possible  # lightningd caps at htlc_max_possible_send and warns
            policy = replace(policy, max_htlc_msat=Msat(min(wanted, possible)))
        if policy.max_htlc_msat is not None and policy.min_htlc_msat > policy.max_htlc_msat:
            raise RpcFailure(INVALID_PARAMS, "htlcmax cannot be less than htlcmin")
        if injection is None or injection.fault is not Fault.NOT_APPLIED:
            channel = state.apply_policy(channel.chan_id, policy)
        else:
            channel = replace(channel, local_policy=policy)
        result = render.setchannel_result(channel)
        if capped:
            result["warning_htlcmax_too_high"] = ("The requested htlcmax was greater than the channel capacity, "
                                                  "so we set it to the channel capacity.")
        results.append(result)
    return {"channels": results}
