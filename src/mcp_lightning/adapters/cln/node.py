"""A running Core Lightning node over its unix socket: the ``NodePort`` for Core Lightning.

Reads ``getinfo``, ``listpeerchannels`` (our policy in ``updates.local``, the peer's in
``updates.remote``; ``listchannels short_channel_id=…`` when the latter is missing) and
``listforwards status=settled`` paged with ``index=created``/``start``/``limit`` (v23.11+; older
nodes get one unpaged call). Writes ``setchannel id feebase feeppm htlcmin htlcmax enforcedelay``.

Core Lightning has no inbound fees and sets the CLTV delta node-wide (``cltv-delta``), so a policy
that changes either is refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mcp_lightning.adapters.cln.parse import (
    OPEN_STATES,
    half_channel_policy,
    parse_forward,
    parse_peer_channel,
    scid_field,
)
from mcp_lightning.adapters.cln.rpc import BACKEND, ClnRpc, Json, RpcSettings, is_unknown_parameter
from mcp_lightning.adapters.files.json_files import (
    FieldError,
    JsonObject,
    as_record,
    int_field,
    pubkey_field,
    str_field,
)
from mcp_lightning.adapters.lnd.capabilities import BackendCapabilities
from mcp_lightning.domain.channel import Channel, Policy, ShortChannelId
from mcp_lightning.domain.forward import Forward
from mcp_lightning.domain.node import NodeSnapshot, SkippedRecord
from mcp_lightning.engine.ports import NodeCapabilities
from mcp_lightning.errors import NodeRejected, NodeResponseError
from mcp_lightning.units import UINT32_MAX

CAPABILITIES = BackendCapabilities(has_forwarding_history=True, has_graph=True, supports_inbound_fees=False,
                                   supports_time_lock_delta=False)
"""What this backend can do (``NodeCapabilities`` plus the per-channel fields it can set)."""


@dataclass(frozen=True)
class ClnConfig:
    """How to reach one Core Lightning node.

    Attributes:
        socket_path: the ``lightning-rpc`` unix socket (absolute path).
        rpc: timeout and retries.
        forwards_page_size: ``limit`` per ``listforwards`` page.
        enforce_delay_s: ``setchannel enforcedelay``: seconds the old fees stay accepted after a raise.
    """

    socket_path: Path
    rpc: RpcSettings = RpcSettings()
    forwards_page_size: int = 10_000
    enforce_delay_s: int = 600


class ClnNode:
    """``NodePort`` for Core Lightning.

    Args:
        config: socket, timeouts and paging.
        now: the current UTC time (injected in tests).
    """

    capabilities: NodeCapabilities = CAPABILITIES

    def __init__(self, config: ClnConfig, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.config = config
        self._rpc = ClnRpc(config.socket_path, config.rpc)
        self._now = now
        self._filter_by_scid = True  # False once the node said it has no listpeerchannels short_channel_id=

    @property
    def source(self) -> str:
        """``cln://<socket path>``."""
        return f"cln://{self.config.socket_path}"

    def close(self) -> None:
        """Nothing to close: each call opens its own socket."""

    def snapshot(self, *, forwards_since: datetime | None = None) -> NodeSnapshot:
        """Read identity, open channels with both policies and settled forwards since a time.

        Raises:
            NodeError: any failure of a call.

        Source: ``getinfo``, ``listpeerchannels``, ``listchannels``, ``listforwards``.
        """
        info = self._rpc.read("getinfo")
        try:
            pubkey, alias = pubkey_field(info, "id"), str_field(info, "alias", default="")
            block_height = int_field(info, "blockheight", maximum=UINT32_MAX)
        except FieldError as exc:
            raise NodeResponseError(BACKEND, "getinfo", str(exc)) from exc
        now = self._now()
        channels, skipped = self._channels()
        forwards, forward_skips = self._forwards(forwards_since)
        return NodeSnapshot(pubkey=pubkey, alias=alias, implementation=BACKEND, block_height=block_height,
                            taken_at=now, channels=tuple(channels), forwards=tuple(forwards), source=self.source,
                            skipped=(*skipped, *forward_skips))

    def get_policy(self, chan_id: int) -> Policy:
        """Our outbound policy of one channel (``listpeerchannels short_channel_id=…``, ``updates.local``).

        Raises:
            NodeRejected: no open channel has this chan_id.
            NodeError: any other failure.
        """
        record = self._peer_channel(chan_id)
        try:
            policy = parse_peer_channel(record).local_policy
        except FieldError as exc:
            raise NodeResponseError(BACKEND, "listpeerchannels", str(exc), ids=_ids(chan_id)) from exc
        if policy is None:
            raise NodeResponseError(BACKEND, "listpeerchannels", "the channel shows no policy of ours",
                                    ids=_ids(chan_id))
        return policy

    def set_policy(self, chan_id: int, policy: Policy) -> None:
        """Send base fee, fee rate and HTLC limits with ``setchannel``; never retried once sent.

        Raises:
            NodeRejected: the policy changes the CLTV delta or sets inbound fees (Core Lightning
                cannot), or the node refused it, or its answer does not list the channel.
            NodeOutcomeUnknown: the answer was lost; re-read with :meth:`get_policy`.
            NodeError: any other failure.
        """
        scid = str(ShortChannelId.from_chan_id(chan_id))
        current = self.get_policy(chan_id)
        if policy.time_lock_delta != current.time_lock_delta:
            raise NodeRejected(BACKEND, "setchannel", f"the CLTV delta is {current.time_lock_delta} blocks for "
                               f"every channel; {policy.time_lock_delta} cannot be set per channel",
                               ids=_ids(chan_id), hint="change `cltv-delta` in the node's config instead")
        if policy.inbound_base_fee_msat or policy.inbound_fee_rate_ppm:
            raise NodeRejected(BACKEND, "setchannel", "Core Lightning has no inbound fees", ids=_ids(chan_id))
        answer = self._rpc.write("setchannel", id=scid, feebase=policy.base_fee_msat, feeppm=policy.fee_rate_ppm,
                                 htlcmin=policy.min_htlc_msat, htlcmax=policy.max_htlc_msat,
                                 enforcedelay=self.config.enforce_delay_s)
        results = answer.get("channels")
        if not isinstance(results, list) or not any(
                isinstance(r, dict) and r.get("short_channel_id") == scid for r in results):
            raise NodeRejected(BACKEND, "setchannel", "the answer does not list the channel", ids=_ids(chan_id))

    def _peer_channel(self, chan_id: int) -> Json:
        scid = str(ShortChannelId.from_chan_id(chan_id))
        found: list[object] | None = None
        if self._filter_by_scid:
            try:
                found = _list(self._rpc.read("listpeerchannels", short_channel_id=scid), "channels",
                              "listpeerchannels")
            except NodeRejected as exc:
                if not is_unknown_parameter(exc):  # short_channel_id= arrived in v25.05
                    raise
                self._filter_by_scid = False
        if found is None:
            found = _list(self._rpc.read("listpeerchannels"), "channels", "listpeerchannels")
        for raw in found:
            if isinstance(raw, dict) and raw.get("short_channel_id") == scid and raw.get("state") in OPEN_STATES:
                return raw
        raise NodeRejected(BACKEND, "listpeerchannels", "no open channel has this short channel id", ids=_ids(chan_id))

    def _channels(self) -> tuple[list[Channel], list[SkippedRecord]]:
        channels: list[Channel] = []
        skipped: list[SkippedRecord] = []
        for index, raw in enumerate(_list(self._rpc.read("listpeerchannels"), "channels", "listpeerchannels")):
            item = f"channels[{index}]"
            try:
                record = as_record(raw, item)
                state = str_field(record, "state")
                if state not in OPEN_STATES:
                    skipped.append(SkippedRecord(f"{self.source} listpeerchannels", item, f"not open (state {state})"))
                    continue
                updates = record.get("updates")
                remote = None if isinstance(updates, dict) and "remote" in updates else self._remote_policy(record)
                channels.append(parse_peer_channel(record, remote))
            except FieldError as exc:
                skipped.append(SkippedRecord(f"{self.source} listpeerchannels", item, str(exc)))
        return channels, skipped

    def _remote_policy(self, record: JsonObject) -> Policy | None:
        """The peer's direction from ``listchannels short_channel_id=…`` (public channels only)."""
        scid = scid_field(record, "short_channel_id")
        try:
            answer = self._rpc.read("listchannels", short_channel_id=str(scid))
        except NodeRejected:
            return None
        for raw in _list(answer, "channels", "listchannels"):
            if isinstance(raw, dict) and raw.get("source") == record.get("peer_id"):
                return half_channel_policy(raw)
        return None

    def _forwards(self, since: datetime | None) -> tuple[list[Forward], list[SkippedRecord]]:
        forwards: list[Forward] = []
        skipped: list[SkippedRecord] = []
        for index, raw in enumerate(self._forward_records()):
            try:
                forward = parse_forward(as_record(raw, f"forwards[{index}]"))
            except FieldError as exc:
                skipped.append(SkippedRecord(f"{self.source} listforwards", f"forwards[{index}]", str(exc)))
                continue
            if since is None or forward.resolved_at >= since:
                forwards.append(forward)
        forwards.sort(key=lambda forward: forward.resolved_at)
        return forwards, skipped

    def _forward_records(self) -> list[object]:
        """Every settled forward, page after page by ``created_index`` until a short page."""
        limit, start, records = max(1, self.config.forwards_page_size), 0, []
        while True:
            try:
                page = _list(self._rpc.read("listforwards", status="settled", index="created", start=start,
                                            limit=limit), "forwards", "listforwards")
            except NodeRejected as exc:
                if start or not is_unknown_parameter(exc):  # paging arrived in v23.11
                    raise
                return _list(self._rpc.read("listforwards", status="settled"), "forwards", "listforwards")
            records += page
            if len(page) < limit:
                return records
            try:
                start = int_field(as_record(page[-1], "forwards[-1]"), "created_index", minimum=start) + 1
            except FieldError as exc:
                raise NodeResponseError(BACKEND, "listforwards", f"cannot page on: {exc}") from exc


def _list(answer: Json, key: str, method: str) -> list[object]:
    value = answer.get(key)
    if not isinstance(value, list):
        raise NodeResponseError(BACKEND, method, f"field '{key}' is missing or not a list")
    return value


def _ids(chan_id: int) -> dict[str, str | int]:
    return {"chan_id": chan_id, "scid": str(ShortChannelId.from_chan_id(chan_id))}
