"""The Core Lightning adapter against the emulator on a real unix socket, through pyln-client."""

# Test functions take the imported emulator fixtures as arguments, which pytest matches by name.
# ruff: noqa: F811

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pyln.client import LightningRpc  # type: ignore[import-untyped]

from mcp_lightning.adapters.cln import ClnConfig, ClnNode
from mcp_lightning.adapters.cln.node import CAPABILITIES
from mcp_lightning.domain.channel import HtlcCounters, Policy
from mcp_lightning.domain.node import NodeSnapshot
from mcp_lightning.emulators.cln_rpc import ClnEmulator
from mcp_lightning.emulators.faults import Fault
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.emulators.synthetic import synthetic_state
from mcp_lightning.errors import NodeOutcomeUnknown, NodeRejected, NodeUnavailable
from mcp_lightning.units import Msat, Ppm
from tests.adapters.emulator_fixtures import (  # noqa: F401  (fixtures are found by name)
    FAST_RPC,
    cln_config,
    cln_emulator,
    cln_node,
    loudtoll_snapshot,
    node_state,
    running_cln,
)


def _calls(emulator: ClnEmulator, method: str) -> list[Any]:
    return [e.request for e in emulator.recorder.exchanges() if e.path == method]


def test_pyln_client_talks_to_the_emulator_unchanged(cln_emulator: ClnEmulator, node_state: NodeState) -> None:
    """Stock LightningRpc calls getinfo, listforwards and setchannel on the emulator's socket."""
    rpc = LightningRpc(str(cln_emulator.socket_path))
    assert rpc.getinfo()["id"] == node_state.pubkey
    assert len(rpc.listforwards(status="settled")["forwards"]) == 300
    scid = str(node_state.channels()[0].scid)
    assert rpc.setchannel(scid, feeppm=4)["channels"][0]["fee_proportional_millionths"] == 4


def test_snapshot_reads_every_channel_with_both_policies_and_every_forward(cln_node: ClnNode,
                                                                          node_state: NodeState) -> None:
    """A snapshot returns the emulated node's channels, policies and settled forwards."""
    snapshot = cln_node.snapshot()
    assert (snapshot.pubkey, snapshot.implementation, snapshot.block_height) == (
        node_state.pubkey, "cln", node_state.block_height)
    no_htlcs_yet = HtlcCounters(0, 0, 0, 0)
    assert snapshot.channels == tuple(replace(c, peer_alias=None, htlc_counters=no_htlcs_yet)
                                      for c in node_state.channels())
    assert snapshot.forwards == node_state.forwards()


def test_snapshot_of_loudtoll_matches_the_export(loudtoll_snapshot: NodeSnapshot,
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    """The real LOUDTOLL node served over JSON-RPC reads back with the export's channels and forwards."""
    state = NodeState.from_snapshot(loudtoll_snapshot)
    with running_cln(state, tmp_path_factory.mktemp("loud")) as emulator:
        snapshot = ClnNode(cln_config(emulator)).snapshot()
    by_id = {c.chan_id: c for c in loudtoll_snapshot.channels}
    assert len(snapshot.channels) == 85
    for channel in snapshot.channels:
        exported = by_id[channel.chan_id]
        assert (channel.local_policy, channel.remote_policy, channel.local_balance_sat) == (
            exported.local_policy, exported.remote_policy, exported.local_balance_sat)
    assert snapshot.forwards == state.forwards()


def test_forwards_are_paged_by_created_index(cln_emulator: ClnEmulator, node_state: NodeState) -> None:
    """With pages of 64, 300 settled forwards take five listforwards calls, each starting after the last."""
    forwards = ClnNode(cln_config(cln_emulator, forwards_page_size=64)).snapshot().forwards
    assert forwards == node_state.forwards()
    assert [(c["start"], c["limit"], c["status"], c["index"]) for c in _calls(cln_emulator, "listforwards")] == [
        (start, 64, "settled", "created") for start in (0, 65, 129, 193, 257)]


def test_forwards_since_drops_the_older_forwards(cln_node: ClnNode, node_state: NodeState) -> None:
    """``forwards_since`` keeps forwards resolved at or after it."""
    since = node_state.forwards()[100].resolved_at + timedelta(microseconds=1)
    assert cln_node.snapshot(forwards_since=since).forwards == tuple(node_state.forwards()[101:])


def test_an_older_node_is_read_without_paging_or_updates(node_state: NodeState,
                                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    """A node without listforwards paging and listpeerchannels updates still gives policies and forwards."""
    with running_cln(node_state, tmp_path_factory.mktemp("old"), legacy=True) as emulator:
        node = ClnNode(cln_config(emulator))
        snapshot = node.snapshot()
        chan_id = node_state.channels()[2].chan_id
        policy = node.get_policy(chan_id)
    public = [c for c in node_state.channels() if c.remote_policy is not None]
    assert snapshot.forwards == node_state.forwards()
    assert {c.chan_id: c.remote_policy is not None for c in snapshot.channels} == {
        c.chan_id: c in public for c in node_state.channels()}
    assert (policy.base_fee_msat, policy.fee_rate_ppm) == (node_state.local_policy(chan_id).base_fee_msat,
                                                           node_state.local_policy(chan_id).fee_rate_ppm)
    assert len(_calls(emulator, "listchannels")) == len(node_state.channels())


def test_set_policy_then_get_policy_shows_the_new_policy(cln_node: ClnNode, cln_emulator: ClnEmulator,
                                                       node_state: NodeState) -> None:
    """Base fee, fee rate and both HTLC limits sent with setchannel read back unchanged."""
    channel = node_state.channels()[4]
    new = replace(node_state.local_policy(channel.chan_id), base_fee_msat=Msat(0), fee_rate_ppm=Ppm(321),
                  min_htlc_msat=Msat(2_000), max_htlc_msat=Msat(100_000_000))
    cln_node.set_policy(channel.chan_id, new)
    assert replace(cln_node.get_policy(channel.chan_id), last_update_at=None) == new
    assert _calls(cln_emulator, "setchannel") == [{"id": str(channel.scid), "feebase": 0, "feeppm": 321,
                                                   "htlcmin": 2000, "htlcmax": 100_000_000, "enforcedelay": 600}]


def test_core_lightning_caps_a_too_high_htlcmax_so_the_re_read_differs(cln_node: ClnNode, cln_emulator: ClnEmulator,
                                                                      node_state: NodeState) -> None:
    """lightningd caps htlcmax at htlc_max_possible_send (with a warning): what the executor's verify re-reads
    is the cap, not the request; the snapshot's ceiling is that cap."""
    channel = node_state.channels()[4]
    ceiling = next(c for c in cln_node.snapshot().channels if c.chan_id == channel.chan_id).max_htlc_ceiling_msat
    assert ceiling is not None and ceiling < channel.capacity_sat * 1000
    too_high = replace(node_state.local_policy(channel.chan_id), max_htlc_msat=Msat(channel.capacity_sat * 1000))
    cln_node.set_policy(channel.chan_id, too_high)
    assert cln_node.get_policy(channel.chan_id).max_htlc_msat == ceiling
    answer = next(e.response for e in reversed(cln_emulator.recorder.exchanges()) if e.path == "setchannel")
    assert answer["channels"][0]["maximum_htlc_out_msat"] == ceiling  # type: ignore[index]
    assert "warning_htlcmax_too_high" in answer["channels"][0]  # type: ignore[index]


@pytest.mark.parametrize(("change", "problem"), [
    ({"time_lock_delta": 144}, "cannot be set per channel"),
    ({"inbound_fee_rate_ppm": Ppm(-10)}, "no inbound fees"),
])
def test_a_policy_core_lightning_cannot_set_is_refused_before_sending(
        cln_node: ClnNode, cln_emulator: ClnEmulator, node_state: NodeState, change: dict[str, Any],
        problem: str) -> None:
    """A per-channel CLTV delta or an inbound fee raises NodeRejected and sends no setchannel."""
    chan_id = node_state.channels()[0].chan_id
    with pytest.raises(NodeRejected, match=problem):
        cln_node.set_policy(chan_id, replace(node_state.local_policy(chan_id), **change))
    assert _calls(cln_emulator, "setchannel") == []


def test_a_batch_failing_from_the_second_write_keeps_the_first(cln_node: ClnNode, cln_emulator: ClnEmulator,
                                                               node_state: NodeState) -> None:
    """With writes failing from the second on, the first policy is applied and the second raises NodeRejected."""
    cln_emulator.faults.set(Fault.WRITE_FAILS, from_write=2)
    first, second = node_state.channels()[:2]
    cln_node.set_policy(first.chan_id, replace(node_state.local_policy(first.chan_id), fee_rate_ppm=Ppm(2)))
    with pytest.raises(NodeRejected, match="emulated failure"):
        cln_node.set_policy(second.chan_id, replace(node_state.local_policy(second.chan_id), fee_rate_ppm=Ppm(2)))
    assert node_state.n_policy_writes == 1


def test_an_update_accepted_but_not_applied_shows_on_re_read(cln_node: ClnNode, cln_emulator: ClnEmulator,
                                                            node_state: NodeState) -> None:
    """setchannel answers as if applied; get_policy shows the old policy."""
    chan_id = node_state.channels()[0].chan_id
    old = cln_node.get_policy(chan_id)
    cln_emulator.faults.set(Fault.NOT_APPLIED)
    cln_node.set_policy(chan_id, replace(old, fee_rate_ppm=Ppm(old.fee_rate_ppm + 5)))
    assert cln_node.get_policy(chan_id) == old


def test_internal_errors_on_reads_are_retried_then_succeed(cln_node: ClnNode, cln_emulator: ClnEmulator,
                                                           node_state: NodeState) -> None:
    """Two -32603 answers are retried; the third call succeeds."""
    cln_emulator.faults.set(Fault.SERVER_ERROR, times=2)
    chan_id = node_state.channels()[0].chan_id
    assert cln_node.get_policy(chan_id) == node_state.local_policy(chan_id)
    assert [e.status for e in cln_emulator.recorder.wait_for(3)] == [500, 500, 200]


def test_a_dropped_connection_on_a_read_is_retried(cln_node: ClnNode, cln_emulator: ClnEmulator,
                                                   node_state: NodeState) -> None:
    """A call whose socket closes without an answer is tried again."""
    cln_emulator.faults.set(Fault.RESET, times=1)
    assert cln_node.snapshot().channels


def test_a_node_that_never_answers_raises_node_unavailable(cln_emulator: ClnEmulator) -> None:
    """With a 0.2 s timeout and two tries, a hanging node raises NodeUnavailable naming the timeout."""
    node = ClnNode(cln_config(cln_emulator, rpc=replace(FAST_RPC, timeout_s=0.2, max_attempts=2)))
    cln_emulator.faults.set(Fault.TIMEOUT)
    with pytest.raises(NodeUnavailable, match=r"no answer within 0.2 s.*gave up after 2 tries"):
        node.snapshot()


def test_a_setchannel_without_an_answer_is_outcome_unknown(cln_emulator: ClnEmulator, node_state: NodeState) -> None:
    """A setchannel whose socket drops raises NodeOutcomeUnknown after a single call."""
    node = ClnNode(cln_config(cln_emulator))
    chan_id = node_state.channels()[0].chan_id
    policy = node.get_policy(chan_id)
    cln_emulator.faults.set(Fault.RESET, writes_only=True)
    with pytest.raises(NodeOutcomeUnknown, match="may or may not have been applied"):
        node.set_policy(chan_id, replace(policy, fee_rate_ppm=Ppm(1)))
    assert node_state.n_policy_writes == 0


def test_a_missing_socket_raises_node_unavailable(tmp_path: Path) -> None:
    """No lightningd behind the path: NodeUnavailable after the retries, naming the socket."""
    node = ClnNode(ClnConfig(tmp_path / "lightning-rpc", rpc=FAST_RPC))
    with pytest.raises(NodeUnavailable, match=r"cannot connect to .*lightning-rpc") as caught:
        node.get_policy(1)
    assert "lightningd" in (caught.value.hint or "")


def test_an_unknown_channel_raises_node_rejected(cln_node: ClnNode) -> None:
    """get_policy of a chan_id no open channel has raises NodeRejected with the scid."""
    with pytest.raises(NodeRejected, match="scid=0x1x2"):
        cln_node.get_policy((1 << 16) | 2)


def test_the_capabilities_say_core_lightning_has_no_inbound_fees(cln_node: ClnNode) -> None:
    """Core Lightning lists forwards and the graph but sets neither inbound fees nor a per-channel CLTV delta."""
    capabilities = cln_node.capabilities
    assert (capabilities.has_forwarding_history, capabilities.has_graph, capabilities.supports_inbound_fees) == (
        True, True, False)
    assert capabilities is CAPABILITIES and CAPABILITIES.supports_time_lock_delta is False


def test_a_policy_equal_to_the_current_one_is_accepted(cln_node: ClnNode, node_state: NodeState) -> None:
    """Sending back the policy just read (a rollback of nothing) succeeds."""
    chan_id = node_state.channels()[1].chan_id
    current: Policy = cln_node.get_policy(chan_id)
    cln_node.set_policy(chan_id, current)
    assert cln_node.get_policy(chan_id) == replace(current, last_update_at=None)


def test_a_hundred_channel_node_is_read_and_updated_channel_by_channel(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """100 channels: one snapshot, then set and re-read every channel's policy, all within a few seconds."""
    state = synthetic_state(100, n_forwards=2_000, seed=3)
    with running_cln(state, tmp_path_factory.mktemp("big")) as emulator:
        node = ClnNode(cln_config(emulator))
        started = time.perf_counter()
        snapshot = node.snapshot()
        for channel in snapshot.channels:
            wanted = replace(node.get_policy(channel.chan_id), fee_rate_ppm=Ppm(7))
            node.set_policy(channel.chan_id, wanted)
            assert node.get_policy(channel.chan_id) == wanted
        elapsed = time.perf_counter() - started
    assert (len(snapshot.channels), len(snapshot.forwards), state.n_policy_writes) == (100, 2_000, 100)
    assert elapsed < 10


def test_faults_can_be_set_by_hand_through_the_emulator_fault_method(cln_node: ClnNode, cln_emulator: ClnEmulator,
                                                                      node_state: NodeState) -> None:
    """``emulator-fault`` sets a fault over the socket and ``fault=none`` clears it."""
    rpc = LightningRpc(str(cln_emulator.socket_path))
    assert rpc.call("emulator-fault", {"fault": "write_fails"}) == {"fault": "write_fails"}
    chan_id = node_state.channels()[0].chan_id
    with pytest.raises(NodeRejected):
        cln_node.set_policy(chan_id, cln_node.get_policy(chan_id))
    assert rpc.call("emulator-fault", {"fault": "none"}) == {"fault": None}
    cln_node.set_policy(chan_id, cln_node.get_policy(chan_id))
