"""A known macaroon and the key that encrypts it never appear in any output: CLI output, logs, the
database (every row and the file itself) or an exported backup, in plain, hex or base64 form."""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner, Result

from mcp_lightning import cli_execute
from mcp_lightning.adapters.lnd.node import LndRestNode
from mcp_lightning.adapters.secrets import SecretKey, SecretVault, load_secret_key
from mcp_lightning.adapters.store import open_store
from mcp_lightning.cli_execute import ConnectedNode, register, set_node_factory
from mcp_lightning.config import Settings
from mcp_lightning.emulators.lnd_rest import LndEmulator
from mcp_lightning.emulators.synthetic import synthetic_state
from mcp_lightning.units import Ppm
from tests.adapters.emulator_fixtures import lnd_config, running_lnd
from tests.adapters.execution_fixtures import record_changes


def forms(secret: bytes) -> list[str]:
    """Every text form the secret could leak in: plain, hex (both cases), base64 (standard and url-safe)."""
    return [secret.hex(), secret.hex().upper(), base64.b64encode(secret).decode(),
            base64.urlsafe_b64encode(secret).decode(), base64.b64encode(secret).decode().rstrip("="),
            secret.decode("latin-1")]


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[LndEmulator]:
    """An emulated LND node over HTTPS whose admin macaroon is the secret under test."""
    with running_lnd(synthetic_state(3, n_forwards=0, seed=11), tmp_path / "lnd") as running:
        yield running


@pytest.fixture
def factory(emulator: LndEmulator) -> Iterator[None]:
    """Write commands connect like the composition root will: the macaroon comes from the encrypted store."""
    def connect(settings: Settings) -> ConnectedNode:
        with open_store(settings.database_url, default_dir=settings.home) as store:
            macaroon = SecretVault(store, load_secret_key(os.environ)).get("lnd.macaroon")
        node = LndRestNode(lnd_config(emulator, macaroon_hex=macaroon.hex()))
        return ConnectedNode(node, node.identity().pubkey, node.close)

    set_node_factory(connect)
    yield
    set_node_factory(cli_execute._default_factory)


def make_app() -> typer.Typer:
    """The execution commands on a fresh app."""
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    register(app)
    return app


def database_dump(url: str) -> str:
    """Every row of every table, values as repr (bytes as their repr, hex and base64 too)."""
    engine = create_engine(url)
    parts = []
    try:
        with engine.connect() as conn:
            for table in inspect(engine).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        parts.append(repr(value))
                        if isinstance(value, bytes | memoryview):
                            raw = bytes(value)
                            parts += [raw.hex(), base64.b64encode(raw).decode(), raw.decode("latin-1")]
    finally:
        engine.dispose()
    return "\n".join(parts)


def test_the_macaroon_and_the_key_never_appear_in_any_output(tmp_path: Path, emulator: LndEmulator, factory: None,
                                                            capsys: pytest.CaptureFixture[str],
                                                            caplog: pytest.LogCaptureFixture) -> None:
    """Store the macaroon, apply over HTTPS, roll back, list, warn, export: search every output for every form."""
    caplog.set_level(logging.DEBUG)
    key = SecretKey.generate()
    home = tmp_path / "home"
    macaroon = emulator.admin_macaroon_path.read_bytes()
    policies = {c.chan_id: emulator.state.local_policy(c.chan_id) for c in emulator.state.channels()}
    with open_store(None, default_dir=home) as store:
        record_changes(store, emulator.state.pubkey,
                       {c: (p, replace(p, fee_rate_ppm=Ppm(p.fee_rate_ppm + 7))) for c, p in policies.items()})
    (tmp_path / "mac.bin").write_bytes(macaroon)
    env = {"MCPLN_HOME": str(home), "MCPLN_DATABASE_URL": None, "MCPLN_SECRET_KEY": key.encoded()}
    runner, app = CliRunner(), make_app()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    results = [
        run("secrets", "set", "lnd.macaroon", "--from-file", str(tmp_path / "mac.bin"), "--expires-in-days", "5"),
        run("secrets", "list"), run("secrets", "expiring", "--days", "30"),
        run("apply", "--mode", "auto", "--json"), run("rollback", "--list", "--json"),
        run("apply", "--mode", "approve"), run("approvals", "list", "--json"),
        run("backup", "export", str(tmp_path / "export.json")), run("killswitch", "status"),
    ]
    tx_id = json.loads(results[4].stdout)[0]["tx_id"]
    results.append(run("rollback", "--tx", tx_id))
    results.append(run("secrets", "rotate", "--new-key-file", str(tmp_path / "missing.key")))

    assert [r.exit_code for r in results] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2], [r.output for r in results]
    assert '"status": "SUCCESS"' in results[3].stdout, "the node accepted the stored macaroon"
    assert emulator.state.n_policy_writes == 2 * len(policies)
    captured = capsys.readouterr()
    outputs = {
        "cli": "\n".join(r.output for r in results),
        "stdout/stderr": captured.out + captured.err,
        "logging": caplog.text,
        "database rows": database_dump(f"sqlite:///{home / 'mcpln.sqlite3'}"),
        "database file": (home / "mcpln.sqlite3").read_bytes().decode("latin-1"),
        "export": (tmp_path / "export.json").read_text(),
    }
    assert forms(macaroon)[0] in (tmp_path / "mac.bin").read_bytes().hex(), "the search itself works"
    for secret in (macaroon, key.material):
        for form in forms(secret):
            for name, output in outputs.items():
                assert form not in output, f"a form of a secret appears in {name}"
    assert "lnd.macaroon" in outputs["cli"]
