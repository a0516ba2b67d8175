"""A running LND node over its REST API: the ``NodePort`` for LND.

Reads ``GET /v1/getinfo``, ``/v1/fees``, ``/v1/channels``, ``/v1/channels/pending``,
``/v1/graph/node/{our pubkey}?include_channels=true`` (both policies of every public channel in one
call), ``/v1/graph/edge/{chan_id}`` (channels missing from it, and ``get_policy``), ``POST
/v1/switch`` (forwarding history, paged) and ``GET /v1/graph`` (saved to a file); writes ``POST /v1/chanpolicy``.
Authentication: the macaroon, hex, in ``Grpc-Metadata-macaroon``; TLS pinned to ``tls.cert``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

import httpx

from mcp_lightning.adapters.files.json_files import FieldError, JsonObject, as_record, int_field
from mcp_lightning.adapters.lnd.capabilities import BackendCapabilities
from mcp_lightning.adapters.lnd.chanpolicy import failed_update_problems, policy_update_body
from mcp_lightning.adapters.lnd.http_transport import HttpSettings, JsonHttpTransport
from mcp_lightning.adapters.lnd.rate_limit import TokenBucket
from mcp_lightning.adapters.lnd.rest_errors import classify_lnd_error
from mcp_lightning.adapters.lnd.rest_parse import (
    FeeEntry,
    NodeIdentity,
    edge_policies,
    local_policy,
    parse_channel,
    parse_fee_entry,
    parse_forwarding_event,
    parse_getinfo,
    pending_channels,
    to_unix_s,
)
from mcp_lightning.adapters.lnd.tls import pinned_ssl_context
from mcp_lightning.domain.channel import Channel, Policy
from mcp_lightning.domain.forward import Forward
from mcp_lightning.domain.node import NodeSnapshot, SkippedRecord
from mcp_lightning.engine.ports import NodeCapabilities
from mcp_lightning.errors import InputFileError, NodeRejected, NodeResponseError

BACKEND = "lnd"
T = TypeVar("T")
MAX_EVENTS_PER_PAGE = 50_000  # LND's cap per ForwardingHistory response
_Policies = tuple[Policy | None, Policy | None]
_AUTH_HINT = ("set MCPLN_LND_MACAROON_PATH (or MCPLN_LND_MACAROON_HEX) to a macaroon of this node; "
              "reading needs readonly.macaroon, set_policy needs offchain:write (admin or a baked macaroon)")

CAPABILITIES = BackendCapabilities(has_forwarding_history=True, has_graph=True, supports_inbound_fees=True)
"""What this backend can do (``NodeCapabilities`` plus the per-channel fields it can set)."""


@dataclass(frozen=True)
class LndRestConfig:
    """How to reach one LND node.

    Attributes:
        url: REST endpoint, e.g. ``https://127.0.0.1:8080`` (never carries credentials).
        macaroon_hex: the macaroon, hex encoded (never shown: excluded from ``repr``).
        tls_cert_pem: the node's ``tls.cert``, PEM; the only certificate trusted.
        tls_cert_source: where the certificate came from, for error messages.
        http: timeouts, retries and rate limit.
        forwards_page_size: ``num_max_events`` per ``/v1/switch`` page (1..50,000).
    """

    url: str
    macaroon_hex: str = field(repr=False)
    tls_cert_pem: str = field(repr=False)
    tls_cert_source: str = "tls.cert"
    http: HttpSettings = HttpSettings()
    forwards_page_size: int = MAX_EVENTS_PER_PAGE


class LndRestNode:
    """``NodePort`` for LND REST.

    Args:
        config: endpoint, credentials and limits.
        now: the current UTC time (injected in tests); stamps ``taken_at`` and ends the forward query.
        limiter: share one rate limiter between several adapters of the same node.
        transport: an httpx transport (tests only).

    Raises:
        InputFileError: from the constructor, when the TLS certificate cannot be loaded.
    """

    capabilities: NodeCapabilities = CAPABILITIES

    def __init__(self, config: LndRestConfig, *, now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 limiter: TokenBucket | None = None, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._now = now
        self._http = JsonHttpTransport(
            backend=BACKEND, base_url=config.url, headers={"Grpc-Metadata-macaroon": config.macaroon_hex},
            verify=pinned_ssl_context(config.tls_cert_pem, source=config.tls_cert_source), settings=config.http,
            secrets=(config.macaroon_hex,), classify=classify_lnd_error, auth_hint=_AUTH_HINT,
            tls_hint="point MCPLN_LND_TLS_CERT_PATH at this node's own tls.cert (the only certificate trusted)",
            limiter=limiter, transport=transport)
        self._identity: NodeIdentity | None = None
        self._chan_points: dict[int, str] = {}

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def identity(self) -> NodeIdentity:
        """Our pubkey, alias and chain tip (``GET /v1/getinfo``, cached after the first call)."""
        if self._identity is None:
            document = self._http.read("GET", "/v1/getinfo")
            self._identity = self._parse("GET /v1/getinfo", lambda: parse_getinfo(document))
        return self._identity

    def snapshot(self, *, forwards_since: datetime | None = None) -> NodeSnapshot:
        """Read identity, open channels with both policies, pending channels and forwards.

        Args:
            forwards_since: first forward time to include (UTC); None reads the whole history.

        Returns:
            The snapshot; ``taken_at`` is now; pending channels and bad records are in ``skipped``.

        Raises:
            NodeError: any failure of a call (see ``JsonHttpTransport``).

        Source: ``GetInfo``, ``FeeReport``, ``ListChannels``, ``GetNodeInfo``, ``GetChanInfo``,
        ``PendingChannels``, ``ForwardingHistory``.
        """
        self._identity = None
        identity, now = self.identity(), self._now()
        fees, skipped = self._fee_report()
        records = self._records(self._http.read("GET", "/v1/channels"), "channels", "GET /v1/channels")
        edges = self._our_edges(identity.pubkey)
        channels: list[Channel] = []
        for index, raw in enumerate(records):
            try:
                record = as_record(raw, f"channels[{index}]")
                chan_id = int(str(record.get("chan_id", "0")))
                ours, theirs = edges.get(chan_id) or self._edge(chan_id, identity.pubkey)
                channel = parse_channel(record, local_policy(fees.get(chan_id), ours), theirs)
            except (FieldError, ValueError) as exc:
                skipped.append(SkippedRecord(f"{self.config.url}/v1/channels", f"channels[{index}]", str(exc)))
                continue
            if channel.chan_point:
                self._chan_points[channel.chan_id] = channel.chan_point
            channels.append(channel)
        skipped += self._pending()
        forwards, forward_skips = self._forwards(forwards_since, now)
        return NodeSnapshot(
            pubkey=identity.pubkey, alias=identity.alias, implementation=BACKEND, block_height=identity.block_height,
            taken_at=now, channels=tuple(channels), forwards=tuple(forwards), source=self.config.url,
            skipped=(*skipped, *forward_skips))

    def get_policy(self, chan_id: int) -> Policy:
        """Our announced outbound policy of one channel, from ``GET /v1/graph/edge/{chan_id}``.

        Raises:
            NodeRejected: the channel is unknown, or we never announced a policy for it.
            NodeError: any other failure of the call.
        """
        ours, _ = self._edge(chan_id, self.identity().pubkey, missing_ok=False)
        if ours is None:
            raise NodeRejected(BACKEND, f"GET /v1/graph/edge/{chan_id}", "the edge holds no policy of ours",
                               ids={"chan_id": chan_id}, hint="the channel may still be confirming")
        return ours

    def set_policy(self, chan_id: int, policy: Policy) -> None:
        """Send the complete outbound policy of one channel (``POST /v1/chanpolicy``), never retried once sent.

        Raises:
            NodeRejected: the node refused it, or listed it in ``failed_updates``.
            NodeOutcomeUnknown: no answer came back; re-read with :meth:`get_policy`.
            NodeError: any other failure.
        """
        chan_point = self._chan_point(chan_id)
        ids: dict[str, str | int] = {"chan_id": chan_id, "chan_point": chan_point}
        answer = self._http.write("POST", "/v1/chanpolicy", body=policy_update_body(chan_point, policy), ids=ids)
        if not isinstance(answer, dict):
            raise NodeResponseError(BACKEND, "POST /v1/chanpolicy", f"the answer is not a JSON object: {answer!r:.80}",
                                    ids=ids)
        problems = failed_update_problems(answer)
        if problems:
            raise NodeRejected(BACKEND, "POST /v1/chanpolicy", "; ".join(problems), ids=ids)

    def save_graph(self, destination: Path) -> Path:
        """Save the public channel graph as the node sees it (``GET /v1/graph``, unparsed) to a file.

        ``graph.load.load_graph(destination)`` then reads it like any ``describegraph`` export.

        Raises:
            NodeError: the call failed.
            InputFileError: the file cannot be written.
        """
        data = self._http.read_bytes("GET", "/v1/graph")
        try:
            destination.write_bytes(data)
        except OSError as exc:
            raise InputFileError(str(destination), f"cannot be written: {exc.strerror or exc}",
                                 hint="choose a writable path") from exc
        return destination

    def _fee_report(self) -> tuple[dict[int, FeeEntry], list[SkippedRecord]]:
        fees: dict[int, FeeEntry] = {}
        skipped: list[SkippedRecord] = []
        for index, raw in enumerate(self._records(self._http.read("GET", "/v1/fees"), "channel_fees", "GET /v1/fees")):
            try:
                chan_id, _, entry = parse_fee_entry(as_record(raw, f"channel_fees[{index}]"))
            except FieldError as exc:
                skipped.append(SkippedRecord(f"{self.config.url}/v1/fees", f"channel_fees[{index}]", str(exc)))
                continue
            fees[chan_id] = entry
        return fees, skipped

    def _our_edges(self, pubkey: str) -> dict[int, _Policies]:
        """Both policies of our public channels in one call; empty when the graph does not know our node yet."""
        try:
            document = self._http.read("GET", f"/v1/graph/node/{pubkey}", params={"include_channels": "true"})
        except NodeRejected:
            return {}
        edges: dict[int, _Policies] = {}
        for raw in self._records(document, "channels", f"GET /v1/graph/node/{pubkey}"):
            try:
                chan_id, chan_point, ours, theirs = edge_policies(as_record(raw, "channels[]"), pubkey)
            except FieldError:
                continue  # the channel is read again through /v1/graph/edge/{chan_id}
            edges[chan_id] = (ours, theirs)
            if chan_point:
                self._chan_points[chan_id] = chan_point
        return edges

    def _edge(self, chan_id: int, pubkey: str, *, missing_ok: bool = True) -> _Policies:
        operation = f"GET /v1/graph/edge/{chan_id}"
        try:
            edge = self._http.read("GET", f"/v1/graph/edge/{chan_id}", ids={"chan_id": chan_id})
        except NodeRejected:
            if missing_ok:
                return None, None
            raise
        _, chan_point, ours, theirs = self._parse(operation, lambda: edge_policies(edge, pubkey), chan_id=chan_id)
        if chan_point:
            self._chan_points[chan_id] = chan_point
        return ours, theirs

    def _chan_point(self, chan_id: int) -> str:
        if chan_id not in self._chan_points:
            self._edge(chan_id, self.identity().pubkey, missing_ok=False)
        if chan_id not in self._chan_points:
            raise NodeRejected(BACKEND, f"GET /v1/graph/edge/{chan_id}", "the edge has no chan_point",
                               ids={"chan_id": chan_id})
        return self._chan_points[chan_id]

    def _pending(self) -> list[SkippedRecord]:
        document = self._http.read("GET", "/v1/channels/pending")
        return [SkippedRecord(f"{self.config.url}/v1/channels/pending", f"channel {point}", f"not open ({state})")
                for point, state in pending_channels(document)]

    def _forwards(self, since: datetime | None, now: datetime) -> tuple[list[Forward], list[SkippedRecord]]:
        """Every settled forward in [since, now], page after page until a short page."""
        page_size = max(1, min(self.config.forwards_page_size, MAX_EVENTS_PER_PAGE))
        body = {"start_time": str(to_unix_s(since) if since else 0), "end_time": str(to_unix_s(now) + 1),
                "num_max_events": page_size, "index_offset": 0}
        forwards: list[Forward] = []
        skipped: list[SkippedRecord] = []
        while True:
            answer = self._http.read("POST", "/v1/switch", body=body)
            events = self._records(answer, "forwarding_events", "POST /v1/switch")
            for index, raw in enumerate(events):
                try:
                    forward = parse_forwarding_event(as_record(raw, "forwarding_events[]"))
                    if since is None or forward.resolved_at >= since:  # start_time is whole seconds
                        forwards.append(forward)
                except FieldError as exc:
                    where = f"forwarding_events[{int(str(body['index_offset'])) + index}]"
                    skipped.append(SkippedRecord(f"{self.config.url}/v1/switch", where, str(exc)))
            if len(events) < page_size:
                break
            body["index_offset"] = self._parse("POST /v1/switch", partial(int_field, answer, "last_offset_index"))
        forwards.sort(key=lambda forward: forward.resolved_at)
        return forwards, skipped

    @staticmethod
    def _records(document: JsonObject, key: str, operation: str) -> list[object]:
        value = document.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            raise NodeResponseError(BACKEND, operation, f"field '{key}' is not a list")
        return value

    @staticmethod
    def _parse(operation: str, read: Callable[[], T], *, chan_id: int | None = None) -> T:
        try:
            return read()
        except (FieldError, KeyError, ValueError) as exc:
            ids: dict[str, str | int] = {"chan_id": chan_id} if chan_id is not None else {}
            raise NodeResponseError(BACKEND, operation, str(exc), ids=ids) from exc
