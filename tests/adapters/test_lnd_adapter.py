"""The LND REST adapter against the LND emulator over real HTTPS on loopback."""

# Test functions take the imported emulator fixtures as arguments, which pytest matches by name.
# ruff: noqa: F811

from __future__ import annotations

import json
import ssl
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcp_lightning.adapters.lnd import LndRestNode
from mcp_lightning.domain.channel import Policy
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.emulators.faults import Fault
from mcp_lightning.emulators.lnd_rest import LndEmulator
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.emulators.synthetic import synthetic_state
from mcp_lightning.errors import NodeOutcomeUnknown, NodeRejected, NodeUnavailable
from mcp_lightning.units import Msat, Ppm
from tests.adapters.emulator_fixtures import (  # noqa: F401  (fixtures are found by name)
    FAST_HTTP,
    lnd_config,
    lnd_emulator,
    lnd_node,
    loudtoll_snapshot,
    node_state,
    running_lnd,
)


def _undated(policy: Policy | None) -> Policy | None:
    return replace(policy, last_update_at=None) if policy else None


def _requests(emulator: LndEmulator, method: str, path: str) -> list[Any]:
    return [e.request for e in emulator.recorder.exchanges() if (e.method, e.path) == (method, path)]


def test_snapshot_reads_every_channel_with_both_policies_and_every_forward(
        lnd_node: LndRestNode, node_state: NodeState) -> None:
    """A snapshot returns exactly the emulated node's channels (both policies) and forwards."""
    snapshot = lnd_node.snapshot()
    assert (snapshot.pubkey, snapshot.alias, snapshot.implementation) == (node_state.pubkey, node_state.alias, "lnd")
    assert snapshot.channels == tuple(node_state.channels())
    assert snapshot.forwards == node_state.forwards()
    assert sum(1 for c in snapshot.channels if c.remote_policy is None) == 2


def test_snapshot_lists_pending_channels_as_skipped(lnd_node: LndRestNode, node_state: NodeState) -> None:
    """Channels still opening are left out of the snapshot with the reason."""
    skipped = lnd_node.snapshot().skipped
    assert [(s.item, s.reason) for s in skipped] == [
        (f"channel {node_state.pending[0].chan_point}", "not open (pending open)")]


def test_snapshot_of_loudtoll_matches_the_export(loudtoll_snapshot: NodeSnapshot, tmp_path: Path) -> None:
    """The real LOUDTOLL node served over LND REST reads back with the same channels, fees and forwards."""
    state = NodeState.from_snapshot(loudtoll_snapshot)
    with running_lnd(state, tmp_path) as emulator:
        node = LndRestNode(lnd_config(emulator))
        snapshot = node.snapshot()
        node.close()
    by_id = {c.chan_id: c for c in loudtoll_snapshot.channels}
    assert len(snapshot.channels) == len(loudtoll_snapshot.channels) == 85
    for channel in snapshot.channels:
        exported = by_id[channel.chan_id]
        assert (channel.capacity_sat, channel.local_balance_sat, channel.peer_pubkey) == (
            exported.capacity_sat, exported.local_balance_sat, exported.peer_pubkey)
        assert (channel.local_policy, _undated(channel.remote_policy)) == (
            exported.local_policy, _undated(exported.remote_policy))
    assert snapshot.forwards == state.forwards()
    assert len(snapshot.forwards) == len(loudtoll_snapshot.forwards) - state.n_forwards_dropped > 11_000


def test_forwards_are_read_page_after_page_until_a_short_page(lnd_emulator: LndEmulator,
                                                              node_state: NodeState) -> None:
    """With 7 events per page, 300 forwards take 43 calls of POST /v1/switch, each from the last offset."""
    node = LndRestNode(lnd_config(lnd_emulator, forwards_page_size=7))
    forwards = node.snapshot().forwards
    node.close()
    offsets = [body["index_offset"] for body in _requests(lnd_emulator, "POST", "/v1/switch")]
    assert forwards == node_state.forwards()
    assert offsets == list(range(0, 301, 7))


def test_forwards_since_reads_only_the_newer_forwards(lnd_node: LndRestNode, node_state: NodeState) -> None:
    """``forwards_since`` becomes ``start_time`` and older forwards are not returned."""
    since = node_state.forwards()[150].resolved_at.replace(microsecond=0) + timedelta(seconds=1)
    forwards = lnd_node.snapshot(forwards_since=since).forwards
    assert forwards == tuple(f for f in node_state.forwards() if f.resolved_at >= since)


def test_set_policy_then_get_policy_shows_the_complete_new_policy(lnd_node: LndRestNode,
                                                                node_state: NodeState) -> None:
    """Every field of the policy sent is what get_policy reads back, inbound discount included."""
    chan_id = node_state.channels()[3].chan_id
    new = Policy(base_fee_msat=Msat(250), fee_rate_ppm=Ppm(777), time_lock_delta=144, min_htlc_msat=Msat(5_000),
                 max_htlc_msat=Msat(900_000_000), inbound_base_fee_msat=Msat(-100), inbound_fee_rate_ppm=Ppm(-25))
    lnd_node.set_policy(chan_id, new)
    read = lnd_node.get_policy(chan_id)
    assert read.last_update_at is not None
    assert replace(read, last_update_at=None) == new


def test_set_policy_sends_every_field_in_the_chanpolicy_body(lnd_node: LndRestNode, lnd_emulator: LndEmulator,
                                                            node_state: NodeState) -> None:
    """The POST /v1/chanpolicy body names the channel point and carries the whole policy."""
    channel = node_state.channels()[0]
    lnd_node.set_policy(channel.chan_id, Policy(Msat(1000), Ppm(10), 80, Msat(1000), Msat(5_000_000), Msat(-1),
                                                Ppm(-2)))
    txid, vout = (channel.chan_point or "").split(":")
    assert _requests(lnd_emulator, "POST", "/v1/chanpolicy") == [{
        "chan_point": {"funding_txid_str": txid, "output_index": int(vout)}, "base_fee_msat": "1000",
        "fee_rate_ppm": 10, "time_lock_delta": 80, "min_htlc_msat": "1000", "min_htlc_msat_specified": True,
        "max_htlc_msat": "5000000", "inbound_fee": {"base_fee_msat": -1, "fee_rate_ppm": -2}}]


def test_a_failed_update_raises_node_rejected_with_the_reason(lnd_node: LndRestNode, lnd_emulator: LndEmulator,
                                                              node_state: NodeState) -> None:
    """An update LND lists in failed_updates raises NodeRejected naming the channel and the reason."""
    channel = node_state.channels()[0]
    lnd_emulator.faults.set(Fault.WRITE_FAILS)
    with pytest.raises(NodeRejected, match="UPDATE_FAILURE_INTERNAL_ERR") as caught:
        lnd_node.set_policy(channel.chan_id, replace(node_state.local_policy(channel.chan_id), fee_rate_ppm=Ppm(9)))
    assert caught.value.ids["chan_id"] == channel.chan_id
    assert node_state.n_policy_writes == 0


def test_lnd_refuses_a_max_htlc_above_the_max_pending_amount(lnd_node: LndRestNode, node_state: NodeState) -> None:
    """As LND's routing/localchans: max_htlc_msat above local_constraints.max_pending_amt_msat is refused;
    the ceiling the adapter reads is exactly that amount, and a limit at it is accepted."""
    channel = node_state.channels()[2]
    ceiling = lnd_node.snapshot().channels[2].max_htlc_ceiling_msat
    assert ceiling == channel.capacity_sat * 990
    policy = node_state.local_policy(channel.chan_id)
    with pytest.raises(NodeRejected, match="above max pending amount"):
        lnd_node.set_policy(channel.chan_id, replace(policy, max_htlc_msat=Msat(ceiling + 1)))
    lnd_node.set_policy(channel.chan_id, replace(policy, max_htlc_msat=Msat(ceiling)))
    assert lnd_node.get_policy(channel.chan_id).max_htlc_msat == ceiling


def test_lnd_refuses_a_cltv_delta_below_18_without_a_retry(lnd_node: LndRestNode, lnd_emulator: LndEmulator,
                                                           node_state: NodeState) -> None:
    """LND's HTTP 500 refusal of a too small CLTV delta is NodeRejected, sent once."""
    channel = node_state.channels()[0]
    with pytest.raises(NodeRejected, match="too small"):
        lnd_node.set_policy(channel.chan_id, replace(node_state.local_policy(channel.chan_id), time_lock_delta=10))
    assert len(_requests(lnd_emulator, "POST", "/v1/chanpolicy")) == 1


def test_a_batch_failing_from_the_third_write_keeps_the_first_two(lnd_node: LndRestNode, lnd_emulator: LndEmulator,
                                                                  node_state: NodeState) -> None:
    """With writes failing from the third on, two policies are applied and the third raises."""
    lnd_emulator.faults.set(Fault.WRITE_FAILS, from_write=3)
    channels = node_state.channels()[:3]
    third_ppm = node_state.local_policy(channels[2].chan_id).fee_rate_ppm
    for channel in channels[:2]:
        lnd_node.set_policy(channel.chan_id, replace(node_state.local_policy(channel.chan_id), fee_rate_ppm=Ppm(1)))
    with pytest.raises(NodeRejected):
        lnd_node.set_policy(channels[2].chan_id, replace(node_state.local_policy(channels[2].chan_id),
                                                         fee_rate_ppm=Ppm(1)))
    assert [lnd_node.get_policy(c.chan_id).fee_rate_ppm for c in channels[:2]] == [1, 1]
    assert node_state.local_policy(channels[2].chan_id).fee_rate_ppm == third_ppm != 1


def test_an_update_accepted_but_not_applied_shows_on_re_read(lnd_node: LndRestNode, lnd_emulator: LndEmulator,
                                                            node_state: NodeState) -> None:
    """set_policy cannot see a silently dropped update; re-reading the policy does."""
    channel = node_state.channels()[0]
    old = lnd_node.get_policy(channel.chan_id)
    lnd_emulator.faults.set(Fault.NOT_APPLIED)
    lnd_node.set_policy(channel.chan_id, replace(old, fee_rate_ppm=Ppm(old.fee_rate_ppm + 1)))
    assert lnd_node.get_policy(channel.chan_id) == old


def test_reads_retry_on_5xx_then_succeed(lnd_node: LndRestNode, lnd_emulator: LndEmulator,
                                         node_state: NodeState) -> None:
    """Two HTTP 503 answers are retried and the third try succeeds."""
    lnd_emulator.faults.set(Fault.SERVER_ERROR, times=2)
    policy = lnd_node.get_policy(node_state.channels()[0].chan_id)
    statuses = [e.status for e in lnd_emulator.recorder.wait_for(4)]
    assert policy == node_state.channels()[0].local_policy
    assert statuses == [503, 503, 200, 200]


def test_reads_give_up_after_three_tries_with_node_unavailable(lnd_node: LndRestNode,
                                                              lnd_emulator: LndEmulator) -> None:
    """A node that keeps answering 503 raises NodeUnavailable after exactly three requests."""
    lnd_emulator.faults.set(Fault.SERVER_ERROR)
    with pytest.raises(NodeUnavailable, match=r"HTTP 503.*gave up after 3 tries"):
        lnd_node.snapshot()
    assert len(lnd_emulator.recorder.wait_for(3)) == 3


def test_a_5xx_answer_to_chanpolicy_is_not_retried(lnd_node: LndRestNode, lnd_emulator: LndEmulator,
                                                   node_state: NodeState) -> None:
    """A write answered 503 by LND raises NodeRejected after one request, never a second."""
    channel = node_state.channels()[0]
    policy = lnd_node.get_policy(channel.chan_id)
    lnd_emulator.faults.set(Fault.SERVER_ERROR, writes_only=True)
    with pytest.raises(NodeRejected, match="503"):
        lnd_node.set_policy(channel.chan_id, replace(policy, fee_rate_ppm=Ppm(1)))
    assert len(_requests(lnd_emulator, "POST", "/v1/chanpolicy")) == 1


def test_a_node_that_never_answers_raises_node_unavailable(lnd_emulator: LndEmulator) -> None:
    """A hanging node is abandoned after the client timeout on each try."""
    node = LndRestNode(lnd_config(lnd_emulator, http=replace(FAST_HTTP, timeout_s=0.2, max_attempts=2)))
    lnd_emulator.faults.set(Fault.TIMEOUT)
    with pytest.raises(NodeUnavailable, match=r"no answer within 0.2 s.*gave up after 2 tries"):
        node.get_policy(1)
    node.close()


def test_a_write_that_times_out_is_outcome_unknown_and_sent_once(lnd_emulator: LndEmulator,
                                                                 node_state: NodeState) -> None:
    """A chanpolicy without an answer raises NodeOutcomeUnknown and is not sent again."""
    node = LndRestNode(lnd_config(lnd_emulator, http=replace(FAST_HTTP, timeout_s=0.3)))
    channel = node_state.channels()[0]
    policy = node.get_policy(channel.chan_id)
    lnd_emulator.faults.set(Fault.TIMEOUT, writes_only=True)
    with pytest.raises(NodeOutcomeUnknown, match="may or may not have been applied"):
        node.set_policy(channel.chan_id, replace(policy, fee_rate_ppm=Ppm(1)))
    node.close()
    lnd_emulator.stop()
    assert len(_requests(lnd_emulator, "POST", "/v1/chanpolicy")) == 1


def test_a_connection_reset_on_a_read_is_retried(lnd_node: LndRestNode, lnd_emulator: LndEmulator,
                                                 node_state: NodeState) -> None:
    """A TCP reset before the answer costs one retry, then the read succeeds."""
    lnd_emulator.faults.set(Fault.RESET, times=1)
    assert lnd_node.get_policy(node_state.channels()[0].chan_id) == node_state.channels()[0].local_policy


def test_a_connection_reset_on_chanpolicy_is_outcome_unknown(lnd_node: LndRestNode, lnd_emulator: LndEmulator,
                                                             node_state: NodeState) -> None:
    """A reset after the policy update was sent raises NodeOutcomeUnknown, not a retry."""
    channel = node_state.channels()[0]
    policy = lnd_node.get_policy(channel.chan_id)
    lnd_emulator.faults.set(Fault.RESET, writes_only=True)
    with pytest.raises(NodeOutcomeUnknown):
        lnd_node.set_policy(channel.chan_id, replace(policy, fee_rate_ppm=Ppm(1)))
    assert node_state.n_policy_writes == 0


def test_slow_answers_within_the_timeout_succeed(lnd_node: LndRestNode, lnd_emulator: LndEmulator,
                                                node_state: NodeState) -> None:
    """Answers 0.3 s late still arrive inside the 1 s timeout, without retries."""
    lnd_emulator.faults.set(Fault.SLOW, delay_s=0.3, times=1)
    assert lnd_node.get_policy(node_state.channels()[1].chan_id) == node_state.channels()[1].local_policy
    assert len(lnd_emulator.recorder.wait_for(2)) == 2


def test_an_unknown_channel_raises_node_rejected_without_retries(lnd_node: LndRestNode,
                                                                lnd_emulator: LndEmulator) -> None:
    """LND's HTTP 500 "edge not found" is an answer, not an outage: one request, NodeRejected."""
    with pytest.raises(NodeRejected, match="edge not found"):
        lnd_node.get_policy(123456789)
    assert len(_requests(lnd_emulator, "GET", "/v1/graph/edge/123456789")) == 1


def test_save_graph_writes_the_describegraph_answer(lnd_node: LndRestNode, node_state: NodeState,
                                                   tmp_path: Path) -> None:
    """GET /v1/graph is saved unparsed: our public channels as edges, our peers as nodes."""
    path = lnd_node.save_graph(tmp_path / "graph.json")
    graph = json.loads(path.read_text())
    public = [c for c in node_state.channels() if not c.private]
    assert {e["channel_id"] for e in graph["edges"]} == {str(c.chan_id) for c in public}
    assert len(graph["nodes"]) == 1 + len({c.peer_pubkey for c in public})


def test_the_capabilities_say_lnd_has_forwards_graph_and_inbound_fees(lnd_node: LndRestNode) -> None:
    """LND can list forwards, describe the graph and set inbound fees."""
    capabilities = lnd_node.capabilities
    assert (capabilities.has_forwarding_history, capabilities.has_graph, capabilities.supports_inbound_fees) == (
        True, True, True)


def test_a_hundred_channel_node_is_read_and_updated_channel_by_channel(tmp_path: Path) -> None:
    """100 channels: one snapshot, then set and re-read every channel's policy, all within a few seconds."""
    state = synthetic_state(100, n_forwards=2_000, seed=3)
    with running_lnd(state, tmp_path) as emulator:
        node = LndRestNode(lnd_config(emulator))
        started = time.perf_counter()
        snapshot = node.snapshot()
        for channel in snapshot.channels:
            current = node.get_policy(channel.chan_id)
            wanted = replace(current, fee_rate_ppm=Ppm(current.fee_rate_ppm + 1), last_update_at=None)
            node.set_policy(channel.chan_id, wanted)
            assert replace(node.get_policy(channel.chan_id), last_update_at=None) == wanted
        elapsed = time.perf_counter() - started
        node.close()
    assert (len(snapshot.channels), len(snapshot.forwards), state.n_policy_writes) == (100, 2_000, 100)
    assert elapsed < 10


def test_faults_can_be_switched_through_the_control_endpoint(lnd_node: LndRestNode, lnd_emulator: LndEmulator,
                                                            node_state: NodeState) -> None:
    """POST /emulator/faults (no macaroon, loopback) sets a fault; DELETE clears it; a bad name is a 400."""
    verify = ssl.create_default_context(cafile=lnd_emulator.tls.cert_path)
    assert httpx.post(f"{lnd_emulator.url}/emulator/faults", json={"fault": "bogus"}, verify=verify).status_code == 400
    httpx.post(f"{lnd_emulator.url}/emulator/faults", json={"fault": "server_error", "times": 3}, verify=verify)
    with pytest.raises(NodeUnavailable):
        lnd_node.get_policy(node_state.channels()[0].chan_id)
    httpx.post(f"{lnd_emulator.url}/emulator/faults", json={"fault": "server_error"}, verify=verify)
    httpx.delete(f"{lnd_emulator.url}/emulator/faults", verify=verify)
    assert lnd_node.get_policy(node_state.channels()[0].chan_id) == node_state.channels()[0].local_policy
