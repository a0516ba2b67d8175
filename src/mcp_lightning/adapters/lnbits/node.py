"""A node behind LNbits' node API: the ``NodePort`` for LNbits (``LNBITS_NODE_UI=true``).

Reads ``GET /node/api/v1/info``, ``/node/api/v1/channels`` and ``/node/api/v1/channels/{id}``
(the list omits fees when LNbits runs on LND); writes ``PUT /node/api/v1/channels/{id}`` with
``{fee_ppm, fee_base_msat}``. Auth: the admin key in ``X-API-KEY``.

LNbits has no forwarding history and no graph, shows only the base fee and the fee rate, and
cannot set the CLTV delta, the HTLC limits or inbound fees: snapshots carry no forwards and say so
in ``warnings``; a policy that changes anything but the two fees is refused before sending.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import httpx

from mcp_lightning.adapters.files.json_files import FieldError, int_field, pubkey_field, str_field
from mcp_lightning.adapters.lnbits.parse import parse_node_channel
from mcp_lightning.adapters.lnd.capabilities import BackendCapabilities
from mcp_lightning.adapters.lnd.http_transport import HttpSettings, JsonHttpTransport
from mcp_lightning.domain.channel import Channel, Policy
from mcp_lightning.domain.node import NodeSnapshot, SkippedRecord
from mcp_lightning.engine.ports import NodeCapabilities
from mcp_lightning.errors import NodeRejected, NodeResponseError
from mcp_lightning.units import UINT32_MAX, Msat, Ppm

BACKEND = "lnbits"
API = "/node/api/v1"
NO_FORWARDS_WARNING = "LNbits exposes no forwarding history: pass --node-export or a CLN/LND source for forwards"
FEES_ONLY_WARNING = ("LNbits shows only the base fee and the fee rate of each channel: CLTV delta and HTLC limits "
                     "are defaults, and the peers' policies are unknown")
_AUTH_HINT = "set MCPLN_LNBITS_API_KEY (or MCPLN_LNBITS_API_KEY_FILE) to the admin key of a super user"

CAPABILITIES = BackendCapabilities(has_forwarding_history=False, has_graph=False, supports_inbound_fees=False,
                                   supports_time_lock_delta=False, supports_htlc_limits=False)
"""What this backend can do (``NodeCapabilities`` plus the per-channel fields it can set)."""


@dataclass(frozen=True)
class LnbitsConfig:
    """How to reach one LNbits instance.

    Attributes:
        url: ``http://127.0.0.1:5000`` (loopback) or ``https://…``; never carries the key.
        api_key: the admin key (never shown: excluded from ``repr``).
        verify: False for plain HTTP, True for HTTPS with the system CAs, or an SSL context.
        http: timeouts, retries and rate limit.
    """

    url: str
    api_key: str = field(repr=False)
    verify: ssl.SSLContext | bool = False
    http: HttpSettings = HttpSettings()


class LnbitsNode:
    """``NodePort`` for LNbits' node API.

    Args:
        config: endpoint, key and limits.
        now: the current UTC time (stamps ``taken_at``).
        transport: an httpx transport (tests only).
    """

    capabilities: NodeCapabilities = CAPABILITIES

    def __init__(self, config: LnbitsConfig, *, now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._now = now
        self._http = JsonHttpTransport(backend=BACKEND, base_url=config.url, headers={"X-API-KEY": config.api_key},
                                       verify=config.verify, settings=config.http, secrets=(config.api_key,),
                                       auth_hint=_AUTH_HINT, refusals_in_5xx=False, transport=transport)
        self._ids: dict[int, str] = {}

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def snapshot(self, *, forwards_since: datetime | None = None) -> NodeSnapshot:
        """Read identity and open channels with our fees; never forwards (see ``warnings``).

        Args:
            forwards_since: accepted for the protocol; LNbits has no forwards to filter.

        Raises:
            NodeError: any failure of a call.

        Source: LNbits ``NodeInfoResponse`` and ``NodeChannel``.
        """
        info = self._http.read("GET", f"{API}/info")
        try:
            pubkey, alias = pubkey_field(info, "id"), str_field(info, "alias", default="")
            block_height = int_field(info, "blockheight", maximum=UINT32_MAX)
        except FieldError as exc:
            raise NodeResponseError(BACKEND, f"GET {API}/info", str(exc)) from exc
        channels, skipped = self._channels()
        return NodeSnapshot(
            pubkey=pubkey, alias=alias, implementation=BACKEND, block_height=block_height, taken_at=self._now(),
            channels=tuple(channels), forwards=(), source=self.config.url, skipped=tuple(skipped),
            warnings=(NO_FORWARDS_WARNING, FEES_ONLY_WARNING))

    def get_policy(self, chan_id: int) -> Policy:
        """Our base fee and fee rate of one channel (``GET /node/api/v1/channels/{id}``); other fields default.

        Raises:
            NodeRejected: LNbits does not know the channel.
            NodeResponseError: the answer has no fees.
            NodeError: any other failure.
        """
        record = self._http.read("GET", f"{API}/channels/{self._lnbits_id(chan_id)}", ids={"chan_id": chan_id})
        try:
            return Policy(base_fee_msat=Msat(int_field(record, "fee_base_msat", maximum=UINT32_MAX)),
                          fee_rate_ppm=Ppm(int_field(record, "fee_ppm", maximum=UINT32_MAX)))
        except FieldError as exc:
            raise NodeResponseError(BACKEND, f"GET {API}/channels/{{id}}", str(exc), ids={"chan_id": chan_id}) from exc

    def set_policy(self, chan_id: int, policy: Policy) -> None:
        """Send the base fee and fee rate (``PUT /node/api/v1/channels/{id}``); never retried once sent.

        Raises:
            NodeRejected: the policy changes what LNbits cannot set (CLTV delta, HTLC limits,
                inbound fees), or LNbits refused it (4xx).
            NodeOutcomeUnknown: no answer came back, or a 5xx (LNbits may have failed after the
                node behind it applied the change); re-read with :meth:`get_policy`.
            NodeError: any other failure.
        """
        settable = replace(Policy(base_fee_msat=policy.base_fee_msat, fee_rate_ppm=policy.fee_rate_ppm),
                           disabled=policy.disabled, last_update_at=policy.last_update_at)
        if policy != settable:
            raise NodeRejected(BACKEND, f"PUT {API}/channels/{{id}}", "LNbits can set only the base fee and the fee "
                               "rate; this policy also changes the CLTV delta, an HTLC limit or an inbound fee",
                               ids={"chan_id": chan_id}, hint="use an LND or Core Lightning source to change those")
        channel_id = self._lnbits_id(chan_id)
        self._http.write("PUT", f"{API}/channels/{channel_id}", ids={"chan_id": chan_id},
                         body={"fee_ppm": int(policy.fee_rate_ppm), "fee_base_msat": int(policy.base_fee_msat)})

    def _channels(self) -> tuple[list[Channel], list[SkippedRecord]]:
        listing = self._http.read_list("GET", f"{API}/channels")
        channels: list[Channel] = []
        skipped: list[SkippedRecord] = []
        for index, raw in enumerate(listing):
            item = f"channels[{index}]"
            try:
                parsed = parse_node_channel(raw, item)
            except FieldError as exc:
                skipped.append(SkippedRecord(f"{self.config.url}{API}/channels", item, str(exc)))
                continue
            if parsed.channel is None:
                skipped.append(SkippedRecord(f"{self.config.url}{API}/channels", item, parsed.skip_reason or "?"))
                continue
            self._ids[parsed.channel.chan_id] = parsed.lnbits_id
            policy = parsed.channel.local_policy or self.get_policy(parsed.channel.chan_id)
            channels.append(replace(parsed.channel, local_policy=policy))
        return channels, skipped

    def _lnbits_id(self, chan_id: int) -> str:
        """LNbits' id of a channel: learnt from the channel list (LND backends use the chan_id itself)."""
        if chan_id not in self._ids:
            for raw in self._http.read_list("GET", f"{API}/channels"):
                try:
                    parsed = parse_node_channel(raw, "channels[]")
                except FieldError:
                    continue
                if parsed.channel is not None:
                    self._ids[parsed.channel.chan_id] = parsed.lnbits_id
        if chan_id not in self._ids:
            raise NodeRejected(BACKEND, f"GET {API}/channels", "LNbits lists no channel with this chan_id",
                               ids={"chan_id": chan_id})
        return self._ids[chan_id]

