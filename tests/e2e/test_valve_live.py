"""The liquidity valve end to end: `mcpln run` on the real LOUDTOLL node behind the LND emulator
proposes HTLC limits, `mcpln apply --mode auto` sends them, each is verified on the node, and a
rollback restores the previous limits."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mcp_lightning.cli import app
from mcp_lightning.emulators.state import NodeState, max_htlc_ceiling_msat
from tests.adapters.emulator_fixtures import LOUDTOLL, running_lnd

EVALUATED_AT = "2026-07-07T04:04:37Z"  # the newest forward of the LOUDTOLL export


def test_valve_limits_are_applied_verified_and_rolled_back_on_a_live_lnd_node(tmp_path: Path) -> None:
    """Every HTLC limit the run proposes reaches the node within its ceiling; rollback puts the old ones back."""
    state = NodeState.from_export(LOUDTOLL)
    before = {c.chan_id: state.local_policy(c.chan_id) for c in state.channels()}
    with running_lnd(state, tmp_path / "lnd") as emulator:
        url = emulator.url.replace("https://", "lnd+rest://")
        env = {"MCPLN_HOME": str(tmp_path / "home"), "MCPLN_CACHE_DIR": str(tmp_path / "cache"),
               "MCPLN_DATABASE_URL": None, "MCPLN_NODE_REQUESTS_PER_MINUTE": "60000", "MCPLN_NODE_URL": url,
               "MCPLN_LND_MACAROON_PATH": str(emulator.admin_macaroon_path),
               "MCPLN_LND_TLS_CERT_PATH": str(emulator.tls.cert_path)}

        def invoke(*args: str) -> str:
            result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.stdout

        run = json.loads(invoke("run", "--json", "--node", url, "--now", EVALUATED_AT))
        limits = {int(d["chan_id"]): d["proposed"]["max_htlc_msat"] for d in run["decisions"]
                  if d["proposed"] is not None and d["proposed"]["max_htlc_msat"] != d["current"]["max_htlc_msat"]}
        assert len(limits) >= 5, "LOUDTOLL has drained and refilled channels whose limits the valve moves"
        applied = invoke("apply", "--mode", "auto", "--json")
        assert '"status": "SUCCESS"' in applied
        for chan_id, limit in limits.items():
            on_node = state.local_policy(chan_id).max_htlc_msat
            assert on_node == limit, chan_id
            assert limit <= max_htlc_ceiling_msat(next(c for c in state.channels() if c.chan_id == chan_id))
        tx_id = json.loads(invoke("rollback", "--list", "--json"))[0]["tx_id"]
        invoke("rollback", "--tx", tx_id)
    for chan_id in limits:
        assert state.local_policy(chan_id).max_htlc_msat == before[chan_id].max_htlc_msat, chan_id
