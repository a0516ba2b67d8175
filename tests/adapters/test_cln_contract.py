"""Every call the Core Lightning adapter makes and every result the emulator gives keep doc/schemas."""

# Test functions take the imported emulator fixtures as arguments, which pytest matches by name.
# ruff: noqa: F811

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from mcp_lightning.adapters.cln import ClnNode
from mcp_lightning.emulators import cln_render
from mcp_lightning.emulators.cln_rpc import ClnEmulator
from mcp_lightning.emulators.faults import Fault
from mcp_lightning.emulators.recorder import Exchange
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.errors import NodeRejected
from mcp_lightning.units import Ppm
from tests.adapters.emulator_contracts import ClnContract, all_problems
from tests.adapters.emulator_fixtures import (  # noqa: F401  (fixtures are found by name)
    cln_config,
    cln_emulator,
    cln_node,
    node_state,
    running_cln,
)

CONTRACT = ClnContract()
METHODS = ("getinfo", "listpeerchannels", "listforwards", "listchannels", "setchannel")


@pytest.mark.parametrize("method", METHODS)
def test_the_validator_accepts_the_official_examples(method: str) -> None:
    """Each schema's own request/response examples validate (the custom types are right)."""
    examples = CONTRACT.schema(method)["examples"]
    for example in examples:
        exchange = Exchange("RPC", method, "", example["request"]["params"], 200, example["response"])
        assert CONTRACT.problems(exchange) == []
    assert examples


@pytest.mark.parametrize(("change", "expected"), [
    (lambda c: c.update(fee_proportional_millionths="5"), "is not of type 'u32'"),
    (lambda c: c.update(short_channel_id="1:2:3"), "is not of type 'short_channel_id'"),
    (lambda c: c.pop("features"), "'features' is a required property"),
    (lambda c: c["updates"]["local"].update(fee_per_millionth=1), "'fee_per_millionth' was unexpected"),
])
def test_the_validator_rejects_a_wrong_shape(node_state: NodeState, change: object, expected: str) -> None:
    """A quoted u32, a malformed scid, a missing required field or a field of another method fails."""
    result = {"channels": [cln_render.peer_channel(node_state.pubkey, c) for c in node_state.channels()]}
    assert CONTRACT.problems(Exchange("RPC", "listpeerchannels", "", {}, 200, result)) == []
    broken = copy.deepcopy(result)
    change(broken["channels"][0])  # type: ignore[operator]
    problems = CONTRACT.problems(Exchange("RPC", "listpeerchannels", "", {}, 200, broken))
    assert len(problems) == 1 and expected in problems[0]


def test_the_validator_rejects_unknown_request_parameters() -> None:
    """A setchannel with a misspelt parameter breaks the request schema."""
    problems = CONTRACT.problems(Exchange("RPC", "setchannel", "", {"id": "1x1x1", "fee_ppm": 5}, 200,
                                          {"channels": []}))
    assert problems == ["setchannel request: (top): Additional properties are not allowed ('fee_ppm' was unexpected)"]


def test_a_whole_session_keeps_the_schemas(cln_emulator: ClnEmulator, node_state: NodeState) -> None:
    """Snapshot (paged forwards), get/set policy, a refused and a failed write all validate."""
    node = ClnNode(cln_config(cln_emulator, forwards_page_size=100))
    channel = node.snapshot().channels[0]
    policy = node.get_policy(channel.chan_id)
    node.set_policy(channel.chan_id, replace(policy, fee_rate_ppm=Ppm(9), max_htlc_msat=None))
    cln_emulator.faults.set(Fault.WRITE_FAILS)
    with pytest.raises(NodeRejected):
        node.set_policy(channel.chan_id, policy)
    exchanges = cln_emulator.recorder.exchanges()
    assert all_problems(CONTRACT, exchanges) == []
    assert {e.path for e in exchanges} == set(METHODS)  # listchannels: the two peers without updates.remote


def test_an_older_nodes_session_keeps_the_schemas(node_state: NodeState,
                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    """Without ``updates``, the adapter's listchannels calls and the fallbacks validate too."""
    with running_cln(node_state, tmp_path_factory.mktemp("old"), legacy=True) as emulator:
        node = ClnNode(cln_config(emulator))
        channel = node.snapshot().channels[0]
        node.set_policy(channel.chan_id, node.get_policy(channel.chan_id))
    exchanges = emulator.recorder.exchanges()
    assert all_problems(CONTRACT, exchanges) == []
    assert {e.path for e in exchanges} == set(METHODS)
    assert [e.status for e in exchanges if e.status != 200] == [500, 500]  # the two "unknown parameter" answers
