"""`mcpln run --node URL` reads a running node (emulated on loopback) in shadow mode, and writes nothing."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcp_lightning.cli import app
from mcp_lightning.emulators.state import NodeState
from tests.adapters.emulator_fixtures import LOUDTOLL, running_cln, running_lnbits, running_lnd

EVALUATED_AT = "2026-07-07T04:04:37Z"  # the newest forward of the LOUDTOLL export


@pytest.fixture(scope="module")
def loudtoll_state() -> NodeState:
    """The real LOUDTOLL node, served by the emulators."""
    return NodeState.from_export(LOUDTOLL)


def run_json(tmp_path: Path, node_url: str, extra_env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    """`mcpln run --json --node URL` with a private store and cache; returns the parsed output."""
    env = {"MCPLN_HOME": str(tmp_path / "home"), "MCPLN_CACHE_DIR": str(tmp_path / "cache"),
           "MCPLN_DATABASE_URL": None, "MCPLN_NODE_REQUESTS_PER_MINUTE": "60000", **extra_env}
    result = CliRunner().invoke(app, ["run", "--json", "--node", node_url, "--now", EVALUATED_AT], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_run_reads_a_live_lnd_node_and_sends_no_write(tmp_path: Path, loudtoll_state: NodeState) -> None:
    """With only the read-only macaroon over pinned TLS, every channel is decided and nothing is written."""
    with running_lnd(loudtoll_state, tmp_path / "lnd") as emulator:
        out = run_json(tmp_path, emulator.url.replace("https://", "lnd+rest://"),
                       {"MCPLN_LND_MACAROON_PATH": str(emulator.readonly_macaroon_path),
                        "MCPLN_LND_TLS_CERT_PATH": str(emulator.tls.cert_path)})
        exchanges = emulator.recorder.exchanges()
        writes = [e for e in exchanges if "chanpolicy" in e.path]
    assert len(out["decisions"]) == 85 and out["node_alias"] == "LOUDTOLL"
    assert any(d["decision"] != "NO_ACTION" for d in out["decisions"])
    assert exchanges and writes == []


def test_run_reads_a_live_core_lightning_node(tmp_path: Path, loudtoll_state: NodeState) -> None:
    """Over the JSON-RPC unix socket, every channel is decided."""
    short = Path(tempfile.mkdtemp(prefix="cln-", dir="/tmp"))  # unix socket paths are limited to 107 bytes
    try:
        with running_cln(loudtoll_state, short) as emulator:
            out = run_json(tmp_path, f"cln://{emulator.socket_path}", {})
    finally:
        shutil.rmtree(short, ignore_errors=True)
    assert len(out["decisions"]) == 85


def test_run_on_lnbits_says_it_has_no_forwarding_history(tmp_path: Path, loudtoll_state: NodeState) -> None:
    """LNbits exposes no forwards: the run still decides (NO_ACTION for lack of history) and says why."""
    with running_lnbits(loudtoll_state, tmp_path / "lnbits") as emulator:
        out = run_json(tmp_path, emulator.url.replace("http://", "lnbits://"),
                       {"MCPLN_LNBITS_API_KEY_FILE": str(emulator.admin_key_path)})
    assert {d["decision"] for d in out["decisions"]} == {"NO_ACTION"}
    assert any("forwarding history" in n for n in out["notes"])
