"""Every request the LND adapter sends and every answer the LND emulator gives keep lightning.swagger.json."""

# Test functions take the imported emulator fixtures as arguments, which pytest matches by name.
# ruff: noqa: F811

from __future__ import annotations

import copy
import secrets
from dataclasses import replace
from pathlib import Path

import pytest

from mcp_lightning.adapters.lnd import LndRestNode
from mcp_lightning.domain.channel import Policy
from mcp_lightning.emulators import lnd_render
from mcp_lightning.emulators.faults import Fault
from mcp_lightning.emulators.lnd_rest import LndEmulator
from mcp_lightning.emulators.recorder import Exchange
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.errors import NodeError, NodeRejected
from mcp_lightning.units import Msat, Ppm
from tests.adapters.emulator_contracts import LndContract, all_problems
from tests.adapters.emulator_fixtures import (  # noqa: F401  (fixtures are found by name)
    lnd_config,
    lnd_emulator,
    lnd_node,
    node_state,
)

CONTRACT = LndContract()


def _channels_answer(state: NodeState) -> dict[str, object]:
    return {"channels": [lnd_render.channel(c) for c in state.channels()]}


def test_the_validator_accepts_the_emulators_channel_list(node_state: NodeState) -> None:
    """A rendered ListChannelsResponse keeps the contract (the baseline for the next test)."""
    assert CONTRACT.problems(Exchange("GET", "/v1/channels", "", None, 200, _channels_answer(node_state))) == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda c: c.update(chan_id=int(str(c["chan_id"]))), "is not of type 'string'"),
    (lambda c: c.update(capacity="12.5"), "does not match"),
    (lambda c: c.pop("local_balance"), "'local_balance' is a required property"),
    (lambda c: c.update(fee_rate_mili_msat="1"), "'fee_rate_mili_msat' was unexpected"),
    (lambda c: c.update(csv_delay="144"), "is not of type 'integer'"),
])
def test_the_validator_rejects_a_wrong_shape(node_state: NodeState, change: object, expected: str) -> None:
    """A uint64 sent as a number, a non-decimal string, a missing field, a typo or a quoted int32 fails."""
    answer = copy.deepcopy(_channels_answer(node_state))
    change(answer["channels"][0])  # type: ignore[index, operator]
    problems = CONTRACT.problems(Exchange("GET", "/v1/channels", "", None, 200, answer))
    assert len(problems) == 1 and expected in problems[0]


def test_the_validator_rejects_a_chanpolicy_body_with_ints_as_numbers() -> None:
    """base_fee_msat is int64 (a string in REST) and fee_rate_ppm a plain integer."""
    body = {"chan_point": {"funding_txid_str": "ab" * 32, "output_index": 0}, "base_fee_msat": 1000,
            "fee_rate_ppm": "10", "time_lock_delta": 80}
    problems = CONTRACT.problems(Exchange("POST", "/v1/chanpolicy", "", body, 200, {"failed_updates": []}))
    assert [p.split(": ", 2)[1] for p in problems] == ["base_fee_msat", "fee_rate_ppm"]


def test_a_whole_session_keeps_the_contract(lnd_emulator: LndEmulator, node_state: NodeState,
                                            tmp_path: Path) -> None:
    """Snapshot (paged), get/set policy, refused and failed updates, unknown edge, graph, auth and 5xx all validate."""
    node = LndRestNode(lnd_config(lnd_emulator, forwards_page_size=64))
    snapshot = node.snapshot()
    channel = snapshot.channels[0]
    node.set_policy(channel.chan_id, Policy(Msat(0), Ppm(5), 80, Msat(1), None, Msat(-10), Ppm(-1)))
    node.get_policy(channel.chan_id)
    failures: list[type[NodeError]] = []
    for action in (lambda: node.get_policy(42),
                   lambda: node.set_policy(channel.chan_id, replace(Policy(Msat(0), Ppm(5)), time_lock_delta=1)),
                   lambda: node.set_policy(channel.chan_id, Policy(Msat(0), Ppm(5), 80, Msat(1), None, Msat(5)))):
        with pytest.raises(NodeError) as caught:
            action()
        failures.append(type(caught.value))
    assert failures == [NodeRejected, NodeRejected, NodeRejected]
    lnd_emulator.faults.set(Fault.WRITE_FAILS, times=1)
    with pytest.raises(NodeError):
        node.set_policy(channel.chan_id, Policy(Msat(0), Ppm(6)))
    lnd_emulator.faults.set(Fault.SERVER_ERROR, times=1)
    node.save_graph(tmp_path / "graph.json")
    node.close()
    stranger = LndRestNode(lnd_config(lnd_emulator, macaroon_hex=secrets.token_hex(8)))
    with pytest.raises(NodeError):
        stranger.snapshot()
    stranger.close()
    exchanges = lnd_emulator.recorder.exchanges()
    assert all_problems(CONTRACT, exchanges) == []
    assert {(e.method, CONTRACT.operation(e.method, e.path)["operationId"]) for e in exchanges} >= {
        ("GET", "Lightning_GetInfo"), ("GET", "Lightning_FeeReport"), ("GET", "Lightning_ListChannels"),
        ("GET", "Lightning_GetNodeInfo"), ("GET", "Lightning_GetChanInfo"), ("GET", "Lightning_PendingChannels"),
        ("POST", "Lightning_ForwardingHistory"), ("POST", "Lightning_UpdateChannelPolicy"),
        ("GET", "Lightning_DescribeGraph")}
    assert {e.status for e in exchanges} == {200, 403, 500, 503}
    assert len(snapshot.forwards) == 300
