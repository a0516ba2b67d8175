"""The execution CLI end to end: apply in each mode, approvals, rollback, kill switch, backups, secrets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from mcp_lightning import cli_execute
from mcp_lightning.adapters.store import open_store
from mcp_lightning.cli_execute import ConnectedNode, register, set_node_factory
from mcp_lightning.execution.fake_node import FakeNode
from tests.adapters.execution_fixtures import chan_ids, fake_node, new_policy, old_policy, record_plan
from tests.factories import OUR_PUBKEY

CHANS = chan_ids(3)


def make_app() -> typer.Typer:
    """A Typer app with the execution commands registered, as the main CLI will have them."""
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    register(app)
    return app


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str | None]:
    """A private SQLite home (any MCPLN_DATABASE_URL unset) holding one recorded run."""
    home = tmp_path / "home"
    with open_store(None, default_dir=home) as store:
        record_plan(store, CHANS)
    return {"MCPLN_HOME": str(home), "MCPLN_DATABASE_URL": None, "MCPLN_SECRET_KEY": None,
            "MCPLN_SECRET_KEY_FILE": None}


@pytest.fixture
def node() -> Iterator[FakeNode]:
    """The fake node every write command of the test connects to."""
    fake = fake_node(CHANS)
    set_node_factory(lambda _settings: ConnectedNode(fake, OUR_PUBKEY))
    yield fake
    set_node_factory(cli_execute._default_factory)


def invoke(env: dict[str, str | None], *args: str) -> Result:
    """Run one command in-process."""
    return CliRunner().invoke(make_app(), list(args), env=env, catch_exceptions=False)


def test_shadow_apply_is_the_default_and_sends_nothing(env: dict[str, str | None], node: FakeNode) -> None:
    """`apply` with no mode prints what would change and never calls set_policy."""
    result = invoke(env, "apply")
    assert result.exit_code == 0, result.output
    assert "shadow mode: nothing sent" in result.stdout and "would change 3 channel(s)" in result.stdout
    assert [c for c in node.calls if c.method == "set_policy"] == []


def test_approve_then_apply_approved_sends_only_the_approved_change(env: dict[str, str | None],
                                                                   node: FakeNode) -> None:
    """approve mode queues, approvals approve/reject decide, apply --approved sends what was approved."""
    assert invoke(env, "apply", "--mode", "approve").exit_code == 0
    queued = json.loads(invoke(env, "approvals", "list", "--json").stdout)
    assert [a["status"] for a in queued] == ["pending"] * 3
    ids = [str(a["approval_id"]) for a in queued]

    assert invoke(env, "approvals", "approve", ids[0]).exit_code == 0
    assert invoke(env, "approvals", "reject", ids[1], "--reason", "too steep").exit_code == 0
    again = invoke(env, "approvals", "approve", ids[1])
    result = invoke(env, "apply", "--approved", "--json")

    assert again.exit_code == 2 and "it is rejected, not pending" in again.output
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "SUCCESS"
    assert node.writes == [(CHANS[0], new_policy(CHANS[0]))]


def test_auto_apply_then_rollback_by_transaction_restores_every_channel(env: dict[str, str | None],
                                                                       node: FakeNode) -> None:
    """apply --mode auto changes the channels; rollback --tx puts them back; --list shows both."""
    applied = invoke(env, "apply", "--mode", "auto", "--json")
    assert applied.exit_code == 0, applied.output
    tx_id = json.loads(applied.stdout)["tx_id"]
    assert all(node.policies[c] == new_policy(c) for c in CHANS)

    rolled = invoke(env, "rollback", "--tx", tx_id[:8], "--json")
    listed = invoke(env, "rollback", "--list", "--json")

    assert rolled.exit_code == 0 and json.loads(rolled.stdout)["status"] == "SUCCESS"
    assert all(node.policies[c] == old_policy(c) for c in CHANS)
    assert [(t["kind"], t["status"]) for t in json.loads(listed.stdout)] == [("rollback", "SUCCESS"),
                                                                             ("apply", "ROLLED_BACK")]


def test_rollback_of_one_channel_and_of_a_stage_one_rollout(env: dict[str, str | None], node: FakeNode) -> None:
    """--allow/--stage 1 changes one channel; rollback --channel undoes exactly that one."""
    result = invoke(env, "apply", "--mode", "auto", "--allow", f"{CHANS[2]},{CHANS[0]}", "--stage", "1")
    assert result.exit_code == 0, result.output
    assert [c for c, _ in node.writes] == [CHANS[2]]

    rolled = invoke(env, "rollback", "--channel", str(CHANS[2]))
    assert rolled.exit_code == 0, rolled.output
    assert node.policies[CHANS[2]] == old_policy(CHANS[2])


def test_the_kill_switch_blocks_apply_until_released(env: dict[str, str | None], node: FakeNode) -> None:
    """killswitch on makes apply fail with a hint and no write; off lets it through."""
    assert invoke(env, "killswitch", "on", "--reason", "incident 7").exit_code == 0
    status = invoke(env, "killswitch", "status")
    blocked = invoke(env, "apply", "--mode", "auto")

    assert "ENGAGED (incident 7)" in status.stdout
    assert blocked.exit_code == 1 and "kill switch is engaged (incident 7)" in blocked.output
    assert "mcpln killswitch off" in blocked.output and node.writes == []
    assert invoke(env, "killswitch", "off").exit_code == 0
    assert invoke(env, "apply", "--mode", "auto").exit_code == 0 and len(node.writes) == 3


def test_backup_export_and_import_refuse_a_tampered_file(env: dict[str, str | None], node: FakeNode,
                                                        tmp_path: Path) -> None:
    """export writes the backups; import into a fresh home works; an edited file exits 2 with the reason."""
    assert invoke(env, "apply", "--mode", "auto").exit_code == 0
    path = tmp_path / "export.json"
    assert invoke(env, "backup", "export", str(path)).exit_code == 0
    fresh = {**env, "MCPLN_HOME": str(tmp_path / "fresh")}
    imported = invoke(fresh, "backup", "import", str(path))
    assert imported.exit_code == 0 and "imported 1 backup(s)" in imported.stdout

    path.write_text(path.read_text().replace('"fee_rate_ppm": 500', '"fee_rate_ppm": 5'))
    refused = invoke(fresh, "backup", "import", str(path))
    assert refused.exit_code == 2 and "checksum mismatch" in refused.output and "hint:" in refused.output


def test_bad_options_are_one_line_errors(env: dict[str, str | None], node: FakeNode) -> None:
    """An unknown mode, a bad stage or a non-numeric channel exit 2 with `error:`."""
    for args in (["apply", "--mode", "yolo"], ["apply", "--stage", "2"], ["rollback", "--channel", "abc"],
                 ["rollback"]):
        result = invoke(env, *args)
        assert result.exit_code == 2 and "error:" in result.output, args


def test_rollback_of_a_run_restores_every_transaction_of_it(env: dict[str, str | None], node: FakeNode) -> None:
    """rollback --run undoes each applied transaction of that run (here the one auto apply)."""
    applied = json.loads(invoke(env, "apply", "--mode", "auto", "--json").stdout)
    rolled = invoke(env, "rollback", "--run", applied["run_id"][:8], "--json")
    assert rolled.exit_code == 0, rolled.output
    assert all(node.policies[c] == old_policy(c) for c in CHANS)
    assert invoke(env, "rollback", "--run", applied["run_id"][:8]).exit_code == 2
