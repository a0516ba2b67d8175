"""CLI of safe execution: ``apply``, ``rollback``, ``approvals``, ``backup``, ``killswitch``, ``secrets``.

Wire it into the main app with ``register(app)``. Commands that write to a node build it with the
node factory (``set_node_factory``; by default ``bootstrap.open_node`` when it exists) and recover
open transactions before anything else. Errors go through ``cli.guarded`` (one boundary).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import structlog
import typer
from rich.console import Console
from rich.table import Table

from mcp_lightning.adapters.secrets import SecretKey, SecretVault, load_secret_key, read_key_file, write_key_file
from mcp_lightning.adapters.store import Store
from mcp_lightning.adapters.store.backup_file import export_backups, import_backups
from mcp_lightning.bootstrap import open_configured_store
from mcp_lightning.config import Settings, load_engine_config
from mcp_lightning.engine.plan import RunSummary
from mcp_lightning.engine.ports import NodePort
from mcp_lightning.errors import ConfigError, InputError
from mcp_lightning.execution import approvals as queue
from mcp_lightning.execution.executor import Executor, ExecutorOptions
from mcp_lightning.execution.journal import EventLog
from mcp_lightning.execution.model import ApprovalStatus, Mode, TxReport, TxStatus
from mcp_lightning.execution.selection import ROLLOUT_STAGES, Rollout

T = TypeVar("T")
out = Console()
err = Console(stderr=True)
approvals_app = typer.Typer(help="The approvals queue (approve mode).", no_args_is_help=True)
backup_app = typer.Typer(help="Policy backups: list, prune, export and import.", no_args_is_help=True)
killswitch_app = typer.Typer(help="The kill switch: stop every policy write at once.", no_args_is_help=True)
secrets_app = typer.Typer(help="Encrypted secrets (macaroons, API keys).", no_args_is_help=True)


@dataclass(frozen=True, slots=True)
class ConnectedNode:
    """A node to write to, its id, and how to release it."""

    node: NodePort
    pubkey: str
    close: Callable[[], None] = lambda: None


NodeFactory = Callable[[Settings], ConnectedNode]


def _default_factory(settings: Settings) -> ConnectedNode:
    from mcp_lightning import bootstrap

    open_node = getattr(bootstrap, "open_node", None)
    if open_node is None:
        raise ConfigError("no node backend is configured for writing",
                          hint="configure the node connection (MCPLN_LND_URL, ...) in this version's bootstrap")
    node: NodePort = open_node(settings)
    identity = getattr(node, "identity", None)
    pubkey = identity().pubkey if identity is not None else node.snapshot(forwards_since=datetime.now(UTC)).pubkey
    return ConnectedNode(node, pubkey, getattr(node, "close", lambda: None))


_factory: list[NodeFactory] = [_default_factory]


def set_node_factory(factory: NodeFactory) -> None:
    """Choose how write commands connect to the node (the composition root, or a test)."""
    _factory[0] = factory


def _guarded(action: Callable[[], T]) -> T:
    from mcp_lightning.cli import guarded  # late: cli imports this module to register it

    return guarded(action)


def _now() -> datetime:
    return datetime.now(UTC)


def _with_store(action: Callable[[Store], T]) -> T:
    store = open_configured_store(Settings())
    try:
        return action(store)
    finally:
        store.close()


def _with_executor(action: Callable[[Executor, Store], T], config: Path | None = None) -> T:
    settings = Settings()
    limits = load_engine_config(config).safety
    connected = _factory[0](settings)
    store = open_configured_store(settings)
    try:
        executor = Executor(store, connected.node, connected.pubkey, options=ExecutorOptions(limits=limits),
                            log=_stderr_log())
        for report in executor.recover():
            err.print(f"recovered open transaction {report.tx.tx_id[:8]}: {report.tx.status.value}", highlight=False)
        return action(executor, store)
    finally:
        store.close()
        connected.close()


def _stderr_log() -> EventLog | None:
    """Log events to stderr (stdout is for tables and --json), unless logging was set up to go elsewhere.

    structlog's default prints to stdout; ``logging_setup.configure_logging`` routes it through the
    standard library to stderr, and then the global logger is used as it is.
    """
    config = structlog.get_config()
    if not isinstance(config["logger_factory"], structlog.PrintLoggerFactory):
        return None
    logger: EventLog = structlog.wrap_logger(structlog.PrintLogger(file=sys.stderr), processors=config["processors"])
    return logger


def _print_report(report: TxReport, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(report_dict(report), indent=2) + "\n")
        return
    tx = report.tx
    table = Table(title=f"{tx.kind.value} transaction {tx.tx_id[:8]}: {tx.status.value}", header_style="bold")
    for col in ("channel", "step", "target ppm", "node ppm", "attempts", "reason"):
        table.add_column(col, overflow="fold", max_width=70 if col == "reason" else None)
    for s in report.steps:
        table.add_row(str(s.chan_id), s.status.value, str(s.target.fee_rate_ppm),
                      str(s.observed.fee_rate_ppm) if s.observed else "-", str(s.n_attempts), s.reason or "")
    out.print(table)
    if tx.reason:
        out.print(f"reason: {tx.reason}", highlight=False, soft_wrap=True)


def report_dict(report: TxReport) -> dict[str, object]:
    """A transaction as JSON-ready values (what ``--json`` prints)."""
    tx = report.tx
    return {"tx_id": tx.tx_id, "kind": tx.kind.value, "mode": tx.mode.value, "status": tx.status.value,
            "node_pubkey": tx.node_pubkey, "run_id": tx.run_id, "parent_tx_id": tx.parent_tx_id,
            "backup_id": tx.backup_id, "reason": tx.reason, "created_at": tx.created_at.isoformat(),
            "channels": [{"chan_id": s.chan_id, "status": s.status.value, "target_fee_rate_ppm": s.target.fee_rate_ppm,
                          "observed_fee_rate_ppm": s.observed.fee_rate_ppm if s.observed else None,
                          "n_attempts": s.n_attempts, "reason": s.reason} for s in report.steps]}


def _parse_ids(values: list[str] | None, what: str) -> list[int]:
    ids = []
    for value in values or []:
        for part in value.split(","):
            if not part.strip().isdigit():
                raise InputError(f"{what}: value {part!r} is not a number", hint="give uint64 chan_ids or ids")
            ids.append(int(part))
    return ids


def _rollout(allow: list[str] | None, stage: str) -> Rollout:
    choices = {str(s) if s else "all": s for s in ROLLOUT_STAGES}
    if stage not in choices:
        raise InputError(f"--stage: value {stage!r} is not one of {', '.join(choices)}")
    allowed = _parse_ids(allow, "--allow")
    return Rollout(tuple(allowed) if allowed else None, choices[stage])


def apply(
    run: Annotated[str | None, typer.Option(help="Run id (or prefix) to carry out. Default: the newest.")] = None,
    mode: Annotated[str, typer.Option(help="shadow (send nothing), approve (queue) or auto (apply).")] = "shadow",
    approved: Annotated[bool, typer.Option("--approved", help="Apply the approved queue instead of a run.")] = False,
    allow: Annotated[list[str] | None, typer.Option(help="Allow-list chan_id (repeat, or comma-separated).")] = None,
    stage: Annotated[str, typer.Option(help="Rollout stage: 1, 3, 5 or all channels of the allow-list.")] = "all",
    config: Annotated[Path | None, typer.Option(help="YAML configuration (cooldown, daily cap).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Carry out a recorded plan: shadow (default, nothing sent), approve (queue) or auto (apply and verify)."""
    def action() -> None:
        if mode not in {m.value for m in Mode}:
            raise InputError(f"--mode: value {mode!r} is not shadow, approve or auto")
        rollout = _rollout(allow, stage)
        if Mode(mode) is Mode.SHADOW and not approved:
            _shadow(run, rollout, as_json)
            return
        _with_executor(lambda ex, store: _apply_with(ex, store, run, Mode(mode), approved, rollout, as_json), config)
    _guarded(action)


def _shadow(run: str | None, rollout: Rollout, as_json: bool) -> None:
    """Shadow mode needs no node connection: it shows what would be sent (no cooldown check)."""
    def show(store: Store) -> None:
        from mcp_lightning.execution.selection import apply_rollout, targets_from_plan

        chosen = store.find_run(run) if run else _newest_run(store)
        selected, held = apply_rollout(targets_from_plan(store.run_plan(chosen.run_id)), rollout)
        if as_json:
            sys.stdout.write(json.dumps({"mode": "shadow", "run_id": chosen.run_id, "would_send": [
                {"chan_id": t.chan_id, "fee_rate_ppm": t.target.fee_rate_ppm} for t in selected],
                "held_back": [{"chan_id": t.chan_id, "reason": r} for t, r in held]}, indent=2) + "\n")
            return
        out.print(f"shadow mode: nothing sent. Run {chosen.run_id[:8]} would change {len(selected)} channel(s); "
                  f"{len(held)} held back by the rollout.", highlight=False)
        for t in selected:
            out.print(f"  {t.chan_id}: -> {t.target.fee_rate_ppm} ppm, {t.target.base_fee_msat} msat", highlight=False)
    _with_store(show)


def _newest_run(store: Store) -> RunSummary:
    runs = store.list_runs(limit=1)
    if not runs:
        raise InputError("no run recorded yet", hint="run `mcpln run` first")
    return runs[0]


def _apply_with(ex: Executor, store: Store, run: str | None, mode: Mode, approved: bool, rollout: Rollout,
                as_json: bool) -> None:
    if approved:
        reports = ex.apply_approved(rollout)
        if not reports:
            out.print("no approved change is waiting")
        for report in reports:
            _print_report(report, as_json)
        return
    run_id = run or _newest_run(store).run_id
    outcome = ex.apply_run(run_id, mode=mode, rollout=rollout)
    if outcome.report is not None:
        _print_report(outcome.report, as_json)
    else:
        out.print(f"queued {len(outcome.approvals)} change(s) for approval; they expire in 24 h "
                  "(`mcpln approvals list`)", highlight=False)


def rollback(
    tx: Annotated[str | None, typer.Option("--tx", help="Transaction id (or prefix) to roll back.")] = None,
    channel: Annotated[list[str] | None, typer.Option(help="Only these chan_ids (repeat); alone: each one's "
                                                           "latest applied change.")] = None,
    run: Annotated[str | None, typer.Option(help="Every transaction of this run (or its --channel subset).")] = None,
    backup: Annotated[int | None, typer.Option(help="Restore a stored or imported backup by id.")] = None,
    force: Annotated[bool, typer.Option(help="Restore even channels changed by hand since.")] = False,
    reason: Annotated[str, typer.Option(help="Recorded with the rollback.")] = "manual rollback",
    list_only: Annotated[bool, typer.Option("--list", help="List recent transactions and exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Put channels back to the backup taken before a change (a transaction, channels, a run, a backup)."""
    def action() -> None:
        chans = _parse_ids(channel, "--channel") or None
        if list_only:
            _with_store(lambda store: _list_transactions(store, as_json))
            return
        if sum(x is not None for x in (tx, run, backup)) > 1 or not (tx or run or backup is not None or chans):
            raise InputError("give exactly one of --tx, --run, --backup, or only --channel")
        _with_executor(lambda ex, store: _rollback_with(ex, store, tx, run, backup, chans, force, reason, as_json))
    _guarded(action)


def _rollback_with(ex: Executor, store: Store, tx: str | None, run: str | None, backup: int | None,
                   chans: list[int] | None, force: bool, reason: str, as_json: bool) -> None:
    if tx is not None:
        reports = [ex.rollback_tx(tx, chan_ids=chans, reason=reason, force=force)]
    elif backup is not None:
        reports = [ex.rollback_backup(backup, chan_ids=chans, reason=reason)]
    elif run is not None:
        found = store.find_run(run)
        done = [r for r in store.list_transactions(1000, run_id=found.run_id)
                if r.tx.kind.value == "apply" and r.tx.status in (TxStatus.SUCCESS, TxStatus.PARTIAL)]
        if not done:
            raise InputError(f"run {found.run_id[:8]} has no applied transaction to roll back")
        reports = [ex.rollback_tx(r.tx.tx_id, chan_ids=chans, reason=reason, force=force) for r in done]
    else:
        reports = ex.rollback_channels(chans or [], reason=reason, force=force)
    for report in reports:
        _print_report(report, as_json)


def _list_transactions(store: Store, as_json: bool) -> None:
    reports = store.list_transactions(20)
    if as_json:
        sys.stdout.write(json.dumps([report_dict(r) for r in reports], indent=2) + "\n")
        return
    table = Table(title="Transactions (newest first)", header_style="bold")
    for col in ("tx", "kind", "status", "run", "created", "channels", "reason"):
        table.add_column(col, overflow="fold", max_width=60 if col == "reason" else None)
    for r in reports:
        table.add_row(r.tx.tx_id[:8], r.tx.kind.value, r.tx.status.value, (r.tx.run_id or "-")[:8],
                      f"{r.tx.created_at:%Y-%m-%d %H:%M:%S}", str(len(r.steps)), r.tx.reason or "")
    out.print(table)


@approvals_app.command("list")
def approvals_list(
    status: Annotated[str, typer.Option(help="pending, approved, rejected, expired, applied, failed, all")] = "pending",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List queued changes (overdue ones are marked expired first)."""
    def action() -> None:
        wanted = None if status == "all" else [_approval_status(status)]
        def show(store: Store) -> None:
            queue.expire_due(store, _now())
            items = store.approvals(statuses=wanted)
            if as_json:
                docs = [{"approval_id": a.approval_id, "run_id": a.run_id, "chan_id": a.chan_id,
                         "status": a.status.value, "proposed_fee_rate_ppm": a.proposed.fee_rate_ppm,
                         "current_fee_rate_ppm": a.current.fee_rate_ppm if a.current else None,
                         "expires_at": a.expires_at.isoformat(), "reason": a.reason} for a in items]
                sys.stdout.write(json.dumps(docs, indent=2) + "\n")
                return
            table = Table(title=f"Approvals ({status})", header_style="bold")
            for col in ("id", "channel", "current ppm", "proposed ppm", "status", "expires", "reason"):
                table.add_column(col, overflow="fold")
            for a in items:
                table.add_row(str(a.approval_id), str(a.chan_id), str(a.current.fee_rate_ppm) if a.current else "?",
                              str(a.proposed.fee_rate_ppm), a.status.value, f"{a.expires_at:%Y-%m-%d %H:%M}",
                              a.reason or "")
            out.print(table)
        _with_store(show)
    _guarded(action)


def _approval_status(text: str) -> ApprovalStatus:
    try:
        return ApprovalStatus(text)
    except ValueError as exc:
        raise InputError(f"--status: value {text!r} is not an approval status",
                         hint=", ".join(s.value for s in ApprovalStatus) + " or all") from exc


def _decide(ids: list[str], approve: bool, reason: str | None) -> None:
    def action() -> None:
        chosen = _parse_ids(ids, "ID")
        decided = _with_store(lambda store: queue.decide(store, chosen, approve, _now(), reason=reason))
        verb = "approved" if approve else "rejected"
        for a in decided.changed:
            out.print(f"{verb} {a.approval_id}: channel {a.chan_id} -> {a.proposed.fee_rate_ppm} ppm", highlight=False)
        for approval_id, why in decided.refused:
            err.print(f"not {verb} {approval_id}: {why}", highlight=False)
        if decided.refused:
            raise typer.Exit(2)
    _guarded(action)


@approvals_app.command("approve")
def approvals_approve(ids: Annotated[list[str], typer.Argument(help="Approval ids.")]) -> None:
    """Approve pending changes (send them with `mcpln apply --approved`)."""
    _decide(ids, True, None)


@approvals_app.command("reject")
def approvals_reject(ids: Annotated[list[str], typer.Argument(help="Approval ids.")],
                     reason: Annotated[str, typer.Option(help="Recorded with the rejection.")] = "rejected") -> None:
    """Reject pending changes: they are never sent."""
    _decide(ids, False, reason)


@backup_app.command("export")
def backup_export(path: Annotated[Path, typer.Argument(help="JSON file to write.")]) -> None:
    """Write every backup, with checksums, to a JSON file (disaster recovery)."""
    _guarded(lambda: out.print(f"exported {_with_store(lambda s: export_backups(s, path, _now()))} backup(s) "
                               f"to {path}", highlight=False))


@backup_app.command("import")
def backup_import(path: Annotated[Path, typer.Argument(help="A file written by `mcpln backup export`.")]) -> None:
    """Verify an export's checksums and store its backups (a tampered file is refused)."""
    def action() -> None:
        report = _with_store(lambda s: import_backups(s, path, _now()))
        out.print(f"imported {report.n_imported} backup(s); {report.n_already_present} already present",
                  highlight=False)
    _guarded(action)


@backup_app.command("list")
def backup_list() -> None:
    """List stored backups (each checksum verified)."""
    def action() -> None:
        for b in _with_store(lambda s: s.list_backups()):
            out.print(f"{b.backup_id}: v{b.version} {b.created_at:%Y-%m-%d %H:%M} {b.tier.value} "
                      f"{len(b.policies)} channels sha256 {b.checksum_sha256[:16]} {b.label}", highlight=False)
    _guarded(action)


@backup_app.command("prune")
def backup_prune() -> None:
    """Move backups to their retention tier (hot < 7 d, warm < 30 d, cold < 90 d) and delete older ones."""
    _guarded(lambda: out.print(repr(_with_store(lambda s: s.prune_backups(_now()))), highlight=False))


@killswitch_app.command("on")
def killswitch_on(
    reason: Annotated[str, typer.Option(help="Why (shown to every refused write).")] = "engaged by hand",
) -> None:
    """Engage the kill switch: every process stops writing policies before its next write."""
    _guarded(lambda: _with_store(lambda s: s.set_kill_switch(True, reason, _now())))
    out.print("kill switch ENGAGED: no policy will be written")


@killswitch_app.command("off")
def killswitch_off() -> None:
    """Release the kill switch."""
    _guarded(lambda: _with_store(lambda s: s.set_kill_switch(False, None, _now())))
    out.print("kill switch released")


@killswitch_app.command("status")
def killswitch_status() -> None:
    """Show the kill switch."""
    state = _guarded(lambda: _with_store(lambda s: s.kill_switch()))
    shown = f"ENGAGED ({state.reason})" if state.engaged else "released"
    out.print(f"kill switch: {shown}", highlight=False)


def _vault(store: Store, key_file: Path | None) -> SecretVault:
    return SecretVault(store, load_secret_key(os.environ, key_file))


@secrets_app.command("keygen")
def secrets_keygen(path: Annotated[Path, typer.Argument(help="New key file (created 0600).")]) -> None:
    """Create a new random 256-bit key file."""
    def action() -> None:
        key = SecretKey.generate()
        write_key_file(path, key)
        out.print(f"wrote key {key.key_id} to {path} (mode 0600)", highlight=False)
    _guarded(action)


@secrets_app.command("set")
def secrets_set(
    name: Annotated[str, typer.Argument(help="e.g. lnd.macaroon")],
    from_file: Annotated[Path, typer.Option(help="Read the value from this file ('-' for stdin).")],
    expires_in_days: Annotated[float | None, typer.Option(help="Warn this many days ahead of expiry.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="Key file (else MCPLN_SECRET_KEY[_FILE]).")] = None,
) -> None:
    """Store a secret encrypted (AES-256-GCM); the value is never printed."""
    def action() -> None:
        value = sys.stdin.buffer.read() if str(from_file) == "-" else _read_bytes(from_file)
        now = _now()
        expires = now + timedelta(days=expires_in_days) if expires_in_days is not None else None
        info = _with_store(lambda s: _vault(s, key_file).put(name, value, now=now, expires_at=expires))
        out.print(f"stored secret {info.name!r} ({len(value)} bytes) with key {info.key_id}", highlight=False)
    _guarded(action)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"--from-file: cannot read {path} ({exc.strerror})") from exc


@secrets_app.command("list")
def secrets_list(key_file: Annotated[Path | None, typer.Option(help="Key file.")] = None) -> None:
    """List secrets: name, times and key id (never the value)."""
    def action() -> None:
        for info in _with_store(lambda s: _vault(s, key_file).infos()):
            expiry = f"expires {info.expires_at:%Y-%m-%d}" if info.expires_at else "no expiry"
            out.print(f"{info.name}  {expiry}  key {info.key_id}", highlight=False)
    _guarded(action)


@secrets_app.command("rotate")
def secrets_rotate(new_key_file: Annotated[Path, typer.Option(help="The new key file (0600).")],
                   key_file: Annotated[Path | None, typer.Option(help="The current key file.")] = None) -> None:
    """Re-encrypt every secret with a new key, in one transaction."""
    def action() -> None:
        new_key = read_key_file(new_key_file)
        n = _with_store(lambda s: _vault(s, key_file).rotate(new_key))
        out.print(f"re-encrypted {n} secret(s) with key {new_key.key_id}", highlight=False)
    _guarded(action)


@secrets_app.command("expiring")
def secrets_expiring(days: Annotated[float, typer.Option(help="Horizon, days.")] = 14.0,
                     key_file: Annotated[Path | None, typer.Option(help="Key file.")] = None) -> None:
    """List secrets that expire within --days (exit 1 when any does)."""
    def action() -> None:
        due = _with_store(lambda s: _vault(s, key_file).expiring_within(_now(), days))
        for info in due:
            err.print(f"warning: secret {info.name!r} expires {info.expires_at:%Y-%m-%d %H:%M} UTC", highlight=False)
        if due:
            raise typer.Exit(1)
        out.print(f"no secret expires within {days:g} days", highlight=False)
    _guarded(action)


def register(app: typer.Typer) -> None:
    """Add ``apply``, ``rollback`` and the ``approvals``, ``backup``, ``killswitch``, ``secrets`` groups to ``app``."""
    app.command("apply")(apply)
    app.command("rollback")(rollback)
    app.add_typer(approvals_app, name="approvals")
    app.add_typer(backup_app, name="backup")
    app.add_typer(killswitch_app, name="killswitch")
    app.add_typer(secrets_app, name="secrets")
