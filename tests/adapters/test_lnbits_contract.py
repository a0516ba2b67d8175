"""Every request the LNbits adapter sends and every answer the emulator gives keep LNbits' OpenAPI document."""

# Test functions take the imported emulator fixtures as arguments, which pytest matches by name.
# ruff: noqa: F811

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from mcp_lightning.adapters.lnbits import LnbitsNode
from mcp_lightning.emulators.lnbits_api import LnbitsEmulator
from mcp_lightning.emulators.recorder import Exchange
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.units import Ppm
from tests.adapters.emulator_contracts import LnbitsContract, all_problems
from tests.adapters.emulator_fixtures import (  # noqa: F401  (fixtures are found by name)
    lnbits_config,
    lnbits_emulator,
    lnbits_node,
    node_state,
)

CONTRACT = LnbitsContract()
CHANNEL = {"peer_id": "02" + "ab" * 32, "state": "active", "id": "1", "short_id": "1",
           "balance": {"local_msat": 1, "remote_msat": 2, "total_msat": 3},
           "point": {"funding_txid": "cd" * 32, "output_index": 0}, "name": "x", "color": "000000"}


@pytest.mark.parametrize(("channel", "expected"), [
    ({**CHANNEL, "state": "open"}, "'open' is not one of"),
    ({**CHANNEL, "balance": {"local_msat": "1", "remote_msat": 2, "total_msat": 3}}, "is not of type 'integer'"),
    ({key: value for key, value in CHANNEL.items() if key != "peer_id"}, "'peer_id' is a required property"),
    ({**CHANNEL, "fee_rate_ppm": 5}, "'fee_rate_ppm' was unexpected"),
])
def test_the_validator_rejects_a_wrong_shape(channel: dict[str, object], expected: str) -> None:
    """An unknown state, a quoted msat, a missing peer_id or a field of another API fails; the original passes."""
    assert CONTRACT.problems(Exchange("GET", "/node/api/v1/channels", "", None, 200, [CHANNEL])) == []
    problems = CONTRACT.problems(Exchange("GET", "/node/api/v1/channels", "", None, 200, [channel]))
    assert len(problems) == 1 and expected in problems[0]


def test_the_validator_rejects_a_put_body_with_a_string_fee() -> None:
    """fee_ppm must be an integer in the PUT body."""
    problems = CONTRACT.problems(Exchange("PUT", "/node/api/v1/channels/1", "", {"fee_ppm": "5", "fee_base_msat": 0},
                                          200, None))
    assert len(problems) == 1 and "fee_ppm" in problems[0]


def test_a_whole_session_keeps_the_document(lnbits_node: LnbitsNode, lnbits_emulator: LnbitsEmulator,
                                            node_state: NodeState) -> None:
    """Info, the channel list, each channel, a fee update and LNbits' 422 for an incomplete body all validate."""
    channel = lnbits_node.snapshot().channels[0]
    lnbits_node.set_policy(channel.chan_id, replace(lnbits_node.get_policy(channel.chan_id), fee_rate_ppm=Ppm(11)))
    lnbits_node.get_policy(channel.chan_id)
    incomplete = httpx.put(f"{lnbits_emulator.url}/node/api/v1/channels/{channel.chan_id}", json={"fee_ppm": 1},
                           headers={"X-API-KEY": lnbits_emulator.admin_key})
    assert incomplete.status_code == 422
    exchanges = lnbits_emulator.recorder.exchanges()
    assert all_problems(CONTRACT, exchanges) == []
    assert {(e.method, e.status) for e in exchanges} == {("GET", 200), ("PUT", 200), ("PUT", 422)}
