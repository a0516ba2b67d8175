"""The LNbits adapter against the LNbits node-API emulator over real HTTP on loopback."""

# Test functions take the imported emulator fixtures as arguments, which pytest matches by name.
# ruff: noqa: F811

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from typing import Any

import pytest
import structlog

from mcp_lightning.adapters.lnbits import FEES_ONLY_WARNING, NO_FORWARDS_WARNING, LnbitsNode
from mcp_lightning.adapters.lnbits.node import CAPABILITIES
from mcp_lightning.domain.channel import Policy
from mcp_lightning.emulators.faults import Fault
from mcp_lightning.emulators.lnbits_api import LNBITS_TIME_LOCK_DELTA, LnbitsEmulator
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.errors import NodeAuthError, NodeOutcomeUnknown, NodeRejected, NodeUnavailable
from mcp_lightning.units import Msat, Ppm
from tests.adapters.emulator_fixtures import (  # noqa: F401  (fixtures are found by name)
    lnbits_config,
    lnbits_emulator,
    lnbits_node,
    node_state,
)


def _fees_only(policy: Policy | None) -> Policy | None:
    return Policy(policy.base_fee_msat, policy.fee_rate_ppm) if policy else None


def test_the_capabilities_say_lnbits_has_no_forwards_and_no_graph(lnbits_node: LnbitsNode) -> None:
    """LNbits lists no forwards, has no graph and cannot set inbound fees, CLTV delta or HTLC limits."""
    capabilities = lnbits_node.capabilities
    assert (capabilities.has_forwarding_history, capabilities.has_graph, capabilities.supports_inbound_fees) == (
        False, False, False)
    assert capabilities is CAPABILITIES
    assert (CAPABILITIES.supports_time_lock_delta, CAPABILITIES.supports_htlc_limits) == (False, False)


def test_snapshot_has_channels_and_fees_but_no_forwards_and_says_why(lnbits_node: LnbitsNode,
                                                                     node_state: NodeState) -> None:
    """Channels come with our base fee and fee rate; forwards are empty and the warnings say so."""
    snapshot = lnbits_node.snapshot()
    assert (snapshot.pubkey, snapshot.implementation, snapshot.forwards) == (node_state.pubkey, "lnbits", ())
    assert snapshot.warnings == (NO_FORWARDS_WARNING, FEES_ONLY_WARNING)
    assert "--node-export" in snapshot.warnings[0]
    assert [(c.chan_id, c.capacity_sat, c.local_balance_sat, c.local_policy) for c in snapshot.channels] == [
        (c.chan_id, c.capacity_sat, c.local_balance_sat, _fees_only(c.local_policy)) for c in node_state.channels()]
    assert all(c.remote_policy is None for c in snapshot.channels)


def test_fees_missing_from_the_list_are_read_per_channel(lnbits_node: LnbitsNode, lnbits_emulator: LnbitsEmulator,
                                                         node_state: NodeState) -> None:
    """LNbits on LND lists channels without fees, so each channel is read once more for them."""
    lnbits_node.snapshot()
    paths = [e.path for e in lnbits_emulator.recorder.exchanges()]
    assert paths == ["/node/api/v1/info", "/node/api/v1/channels"] + [
        f"/node/api/v1/channels/{c.chan_id}" for c in node_state.channels()]


def test_set_policy_then_get_policy_shows_the_new_fees(lnbits_node: LnbitsNode, lnbits_emulator: LnbitsEmulator,
                                                      node_state: NodeState) -> None:
    """The PUT carries fee_ppm and fee_base_msat only, and the fees read back."""
    channel = node_state.channels()[2]
    lnbits_node.set_policy(channel.chan_id, Policy(Msat(500), Ppm(42)))
    assert lnbits_node.get_policy(channel.chan_id) == Policy(Msat(500), Ppm(42))
    puts = [e.request for e in lnbits_emulator.recorder.exchanges() if e.method == "PUT"]
    assert puts == [{"fee_ppm": 42, "fee_base_msat": 500}]
    assert node_state.local_policy(channel.chan_id).time_lock_delta == LNBITS_TIME_LOCK_DELTA


@pytest.mark.parametrize("change", [{"time_lock_delta": 144}, {"min_htlc_msat": Msat(1)},
                                    {"max_htlc_msat": Msat(10**9)}, {"inbound_fee_rate_ppm": Ppm(-5)}])
def test_a_policy_changing_more_than_the_fees_is_refused_before_sending(
        lnbits_node: LnbitsNode, lnbits_emulator: LnbitsEmulator, node_state: NodeState,
        change: dict[str, Any]) -> None:
    """LNbits can set only the two fees: anything else raises NodeRejected and no PUT is sent."""
    chan_id = node_state.channels()[0].chan_id
    with pytest.raises(NodeRejected, match="only the base fee and the fee rate"):
        lnbits_node.set_policy(chan_id, replace(Policy(Msat(1), Ppm(1)), **change))
    assert [e for e in lnbits_emulator.recorder.exchanges() if e.method == "PUT"] == []


def test_an_unknown_channel_raises_node_rejected(lnbits_node: LnbitsNode) -> None:
    """A chan_id LNbits does not list raises NodeRejected."""
    with pytest.raises(NodeRejected, match="no channel with this chan_id"):
        lnbits_node.get_policy(7)


def test_reads_retry_on_5xx_and_writes_do_not(lnbits_node: LnbitsNode, lnbits_emulator: LnbitsEmulator,
                                              node_state: NodeState) -> None:
    """Two 503s on a read are retried; a 503 on the PUT is outcome unknown (LNbits may have reached the node)."""
    chan_id = node_state.channels()[0].chan_id
    lnbits_emulator.faults.set(Fault.SERVER_ERROR, times=2)
    policy = lnbits_node.get_policy(chan_id)
    lnbits_emulator.faults.set(Fault.SERVER_ERROR, writes_only=True)
    with pytest.raises(NodeOutcomeUnknown, match="503"):
        lnbits_node.set_policy(chan_id, replace(policy, fee_rate_ppm=Ppm(3)))
    assert [e.status for e in lnbits_emulator.recorder.wait_for(5)] == [503, 503, 200, 200, 503]


def test_a_failed_write_is_outcome_unknown_and_leaves_the_fees(lnbits_node: LnbitsNode, lnbits_emulator: LnbitsEmulator,
                                                   node_state: NodeState) -> None:
    """LNbits' HTTP 500 on the PUT raises NodeOutcomeUnknown (re-read to know) and here nothing changed."""
    channel = node_state.channels()[0]
    lnbits_node.snapshot()
    lnbits_emulator.faults.set(Fault.WRITE_FAILS)
    with pytest.raises(NodeOutcomeUnknown, match="emulated failure"):
        lnbits_node.set_policy(channel.chan_id, Policy(Msat(0), Ppm(0)))
    assert node_state.n_policy_writes == 0


def test_a_hanging_lnbits_raises_node_unavailable(lnbits_emulator: LnbitsEmulator) -> None:
    """A node that never answers is given up after the timeout on each try."""
    node = LnbitsNode(lnbits_config(lnbits_emulator, http=replace(lnbits_config(lnbits_emulator).http,
                                                                  timeout_s=0.2, max_attempts=2)))
    lnbits_emulator.faults.set(Fault.TIMEOUT)
    with pytest.raises(NodeUnavailable, match=r"no answer within 0\.2 s"):
        node.snapshot()
    node.close()


def test_a_wrong_key_is_an_auth_error_and_no_key_is_ever_shown(lnbits_emulator: LnbitsEmulator,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    """403 for a foreign key, 403 for the invoice key: NodeAuthError; neither key nor the admin key in any text."""
    wrong = secrets.token_hex(16)
    seen: list[str] = []
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        for key in (wrong, lnbits_emulator.invoice_key):
            node = LnbitsNode(lnbits_config(lnbits_emulator, api_key=key))
            with pytest.raises(NodeAuthError) as caught:
                node.snapshot()
            seen += [str(caught.value), repr(caught.value), caught.value.hint or "", repr(node.config)]
            node.close()
    text = "\n".join(seen) + caplog.text + repr(logs)
    assert "MCPLN_LNBITS_API_KEY" in text
    for secret in (wrong, lnbits_emulator.invoice_key, lnbits_emulator.admin_key):
        assert secret not in text
