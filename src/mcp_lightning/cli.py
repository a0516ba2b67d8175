"""The ``mcpln`` command line: one Typer app, one error boundary.

Exit codes: 0 success; 2 bad input or configuration (a one-line ``error:`` naming the file, field
and value, plus a ``hint:``); 1 any other failure (store unreachable, internal error). A traceback
is printed only with ``--debug``.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from mcp_lightning.bootstrap import default_graph_path, default_node_path, open_configured_store
from mcp_lightning.cli_execute import register as register_execution_commands
from mcp_lightning.cli_serve import api_key_app
from mcp_lightning.cli_serve import serve as serve_api
from mcp_lightning.cli_sim import register as register_simulator_commands
from mcp_lightning.config import Settings, config_fingerprint, default_config_path, load_engine_config
from mcp_lightning.errors import InputError, McplnError
from mcp_lightning.graph.topology import Method
from mcp_lightning.reporting.markdown import render_report
from mcp_lightning.reporting.serialize import iso, planned_dict, run_dict
from mcp_lightning.reporting.table import print_run
from mcp_lightning.runner import RunRequest, execute_run

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="MCP Lightning: score and decide the fees of a Lightning routing node, safely.",
)
config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
register_execution_commands(app)
app.command("serve")(serve_api)
register_simulator_commands(app)
app.add_typer(api_key_app, name="api-key")

WIDE_OUTPUT_COLUMNS = 200  # a pipe or file gets the whole table, not an 80-column cut


def _console(stderr: bool = False) -> Console:
    """A console on the current stdout/stderr; wide when it is not a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else WIDE_OUTPUT_COLUMNS)


class _Lazy:
    """Console proxies resolved at each use, so redirected streams (tests, pipes) are honoured."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr

    def print(self, *objects: object, **kwargs: object) -> None:
        _console(self._stderr).print(*objects, **kwargs)  # type: ignore[arg-type]


out = _Lazy(stderr=False)
err = _Lazy(stderr=True)
T = TypeVar("T")
_state = {"debug": False}


def guarded(action: Callable[[], T]) -> T:
    """Run ``action``; turn expected errors into a one-line message and an exit code."""
    try:
        return action()
    except McplnError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        if exc.hint:
            err.print(f"[bold]hint:[/] {exc.hint}", highlight=False, soft_wrap=True)
        if _state["debug"]:
            err.print(traceback.format_exc(), highlight=False)
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # the boundary: anything unexpected is reported, not dumped
        err.print(f"[bold red]error:[/] internal error: {exc.__class__.__name__}: {exc}", highlight=False)
        err.print("[bold]hint:[/] run again with --debug for the traceback and report it", highlight=False)
        if _state["debug"]:
            err.print(traceback.format_exc(), highlight=False)
        raise typer.Exit(1) from None


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(
            f"--now: value {text!r} is not an ISO-8601 time", hint="use e.g. 2026-07-07T04:00:00Z"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.callback()
def main_options(debug: Annotated[bool, typer.Option("--debug", help="Print tracebacks on errors.")] = False) -> None:
    """Global options."""
    _state["debug"] = debug


@app.command()
def run(
    graph: Annotated[
        Path | None,
        typer.Option(
            help="Graph snapshot: LND describegraph or CLN listchannels JSON "
            "(.json, .gz, .xz, .zip). Default: the bundled 2025-10-26 graph."
        ),
    ] = None,
    node: Annotated[
        str | None,
        typer.Option(help="Node export folder (Core Lightning or LND), or a live node URL: lnd+rest://host:port, "
                          "cln:///path/to/lightning-rpc, lnbits://host:port (credentials from MCPLN_* env or files). "
                          "Default: the bundled LOUDTOLL export."),
    ] = None,
    config: Annotated[Path | None, typer.Option(help="YAML configuration. Default: the bundled one.")] = None,
    profile: Annotated[
        str | None, typer.Option(help="conservative, balanced or aggressive (or one of your file's).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object instead of the table.")] = False,
    report: Annotated[Path | None, typer.Option(help="Also write a Markdown report to this path.")] = None,
    now: Annotated[
        str | None, typer.Option(help="Evaluation time (ISO-8601 UTC). Default: the node export's time.")
    ] = None,
    topology: Annotated[str, typer.Option(help="sampled (fast, default) or exact betweenness/closeness.")] = "sampled",
) -> None:
    """Score and decide every channel in shadow mode (nothing is sent to the node), and record the run."""

    def action() -> None:
        if topology != "sampled" and topology != "exact":
            raise InputError(f"--topology: value {topology!r} is not sampled or exact")
        method: Method = "exact" if topology == "exact" else "sampled"
        settings = Settings()
        request = RunRequest(
            graph_path=graph or default_graph_path(),
            node_path=node or default_node_path(),
            config_path=config,
            profile=profile,
            now=_parse_now(now),
            topology_method=method,
            cache_dir=settings.cache_dir,
            node_requests_per_minute=settings.node_requests_per_minute,
        )
        store = open_configured_store(settings)
        try:
            result = execute_run(request, store)
        finally:
            store.close()
        if report is not None:
            try:
                report.write_text(render_report(result.summary, result.planned, result.notes), encoding="utf-8")
            except OSError as exc:
                raise InputError(f"--report: cannot write {report} ({exc.strerror})") from exc
        if as_json:
            document = {
                **run_dict(result.summary),
                "notes": list(result.notes),
                "decisions": [planned_dict(p) for p in result.planned],
            }
            sys.stdout.write(json.dumps(document, indent=2) + "\n")
        else:
            for note in result.notes:
                err.print(f"[dim]{note}[/]", highlight=False, soft_wrap=True)
            print_run(_console(), result.summary, result.planned)

    guarded(action)


@app.command()
def history(
    run_id: Annotated[str | None, typer.Option("--run", help="Show the decisions of one run (id or prefix).")] = None,
    limit: Annotated[int, typer.Option(help="How many runs to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List recorded runs, or the decisions of one run (default: the newest)."""

    def action() -> None:
        store = open_configured_store(Settings())
        try:
            runs = store.list_runs(limit=limit)
            if not runs:
                out.print("No runs recorded yet: run `mcpln run` first.")
                return
            chosen = store.find_run(run_id) if run_id else runs[0]
            decisions = store.run_decisions(chosen.run_id)
        finally:
            store.close()
        if as_json:
            sys.stdout.write(
                json.dumps(
                    {
                        "runs": [run_dict(r) for r in runs],
                        "run": run_dict(chosen),
                        "decisions": [
                            {**planned_dict(d.to_planned()), "created_at": iso(d.created_at)} for d in decisions
                        ],
                    },
                    indent=2,
                )
                + "\n"
            )
            return
        runs_table = Table(title="Recorded runs (newest first)", header_style="bold")
        for col in ("run", "evaluated at", "recorded at", "node", "profile", "mode", "channels", "decisions"):
            runs_table.add_column(col)
        for r in runs:
            runs_table.add_row(
                r.run_id[:8],
                f"{r.evaluated_at:%Y-%m-%d %H:%M}",
                f"{r.finished_at:%Y-%m-%d %H:%M:%S}",
                r.node_alias,
                r.profile,
                r.mode,
                str(r.n_channels),
                ", ".join(f"{k} {v}" for k, v in sorted(r.decision_counts.items())),
            )
        out.print(runs_table)
        table = Table(title=f"Decisions of run {chosen.run_id[:8]}", header_style="bold")
        for col in (
            "channel",
            "peer",
            "decision",
            "conf",
            "composite",
            "current ppm",
            "proposed ppm",
            "safety",
            "main reason",
        ):
            table.add_column(col, overflow="fold", max_width=60 if col == "main reason" else None)
        for d in decisions:
            table.add_row(
                d.scid or str(d.chan_id),
                (d.peer_alias or d.peer_pubkey[:12])[:20],
                d.decision.value,
                f"{d.confidence:.2f}",
                f"{d.composite_score:.2f}",
                str(d.current.fee_rate_ppm) if d.current else "?",
                str(d.final_proposed.fee_rate_ppm) if d.final_proposed else "-",
                d.safety_verdict.value,
                d.reasons[0] if d.reasons else "",
            )
        out.print(table)

    guarded(action)


@app.command()
def emulate(
    backend: Annotated[str, typer.Argument(help="lnd, cln or lnbits")],
    host: Annotated[str, typer.Option(help="Loopback address to listen on.")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="TCP port (LND 8080, LNbits 5000 by default).")] = None,
    socket: Annotated[Path | None, typer.Option(help="Unix socket path for cln.")] = None,
    state: Annotated[Path | None, typer.Option(help="Node export folder to serve (default: synthetic).")] = None,
    channels: Annotated[int, typer.Option(help="Channels of the synthetic node.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic node.")] = 1,
) -> None:
    """Serve an emulated LND, Core Lightning or LNbits node on loopback until Ctrl-C (demos, manual tests)."""
    from mcp_lightning.emulators.cli_emulate import emulate as serve_emulator  # heavy: FastAPI, uvicorn

    guarded(lambda: serve_emulator(backend, host, port, socket, state, n_channels=channels, seed=seed,
                                   echo=typer.echo))


@config_app.command("check")
def config_check(
    config: Annotated[Path | None, typer.Option(help="YAML configuration. Default: the bundled one.")] = None,
    profile: Annotated[str | None, typer.Option(help="Profile to resolve.")] = None,
) -> None:
    """Validate a configuration and print it resolved (secrets redacted)."""

    def action() -> None:
        resolved = load_engine_config(config, profile)
        settings = Settings()
        out.print(f"configuration: {config or default_config_path()}")
        out.print(f"profile: {resolved.profile}  fingerprint: {config_fingerprint(resolved)[:16]}")
        out.print(f"database: {_redacted_url(settings.database_url) or 'sqlite (default, ' + str(settings.home) + ')'}")
        out.print(f"cache: {settings.cache_dir}")
        for item in resolved.heuristics:
            out.print(f"  {item.heuristic.name:<18} weight {item.weight:.2f}  {item.heuristic!r}")
        for section in ("bands", "liquidity", "steps", "data", "safety", "valve"):
            out.print(f"{section}: {getattr(resolved, section)!r}", soft_wrap=True)

    guarded(action)


def _redacted_url(url: str | None) -> str | None:
    if url is None:
        return None
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL is shown without its credentials part
        return url.split("@")[-1]


def main() -> None:
    """Entry point of the ``mcpln`` script."""
    app()
