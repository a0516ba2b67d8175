"""Load a channel-graph snapshot from a file, whatever its format and compression."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mcp_lightning.domain.graph import Graph
from mcp_lightning.errors import InputFileError
from mcp_lightning.graph.assemble import assemble
from mcp_lightning.graph.describegraph import parse_describegraph
from mcp_lightning.graph.ingest import ParsedGraph
from mcp_lightning.graph.ingest_limits import DEFAULT_LIMITS, IngestLimits
from mcp_lightning.graph.json_file import load_json_object
from mcp_lightning.graph.listchannels import parse_listchannels

INGEST_VERSION = 1
"""Bump when a change to ingest alters the graph it builds from the same file (cache key)."""

_FORMATS_HINT = ("give LND `lncli describegraph` JSON ({\"nodes\": [...], \"edges\": [...]}) or Core Lightning "
                 "`lightning-cli listchannels` JSON ({\"channels\": [...]}), plain, .gz, .xz or a .zip of one .json")


def load_graph(path: Path, *, nodes_path: Path | None = None, limits: IngestLimits = DEFAULT_LIMITS) -> Graph:
    """Load a graph snapshot; the format is recognised from the content, not the file name.

    Accepted: LND ``describegraph`` / ``GET /v1/graph`` JSON and Core Lightning ``listchannels``
    JSON (optionally wrapped in a JSON-RPC ``{"result": ...}``), plain, gzip, xz, or a zip holding
    one ``.json``. For ``listchannels`` the aliases come from ``nodes_path`` (``listnodes`` output),
    or, when not given, from a sibling file found by replacing ``channels`` with ``nodes`` in the
    name (``channels_X.json.xz`` -> ``nodes_X.json.xz``, ``listchannels.json`` -> ``listnodes.json``).
    ``nodes_path`` is not used for LND files, which carry their nodes.

    Args:
        path: the graph file.
        nodes_path: a Core Lightning ``listnodes`` file, for aliases.
        limits: ingest limits (absurd values, stale horizon, zombie pruning, refusal ratio).

    Returns:
        The graph; ``fingerprint`` is the sha256 hex of ``path``'s bytes, ``taken_at`` the stated
        snapshot time or the newest update, and ``report`` counts everything set aside.

    Raises:
        InputFileError: when a file cannot be read, is truncated, is not JSON, has the wrong shape,
            or most of its records are malformed or absurd; the message names file, field and value.
    """
    with gc_paused():
        return _load(path, nodes_path, limits)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of acyclic objects are built.

    With the decoded JSON alive, every automatic full collection walks millions of objects; pausing
    it cuts the load of the 2025 graph by about a third. Ingest creates no reference cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load(path: Path, nodes_path: Path | None, limits: IngestLimits) -> Graph:
    top, raw = load_json_object(path)
    source = str(path)
    fingerprint = hashlib.sha256(raw).hexdigest()
    parsed: ParsedGraph
    if "edges" in top:
        parsed = parse_describegraph(top, source=source, limits=limits)
    elif "channels" in top:
        nodes_file = nodes_path if nodes_path is not None else sibling_nodes_file(path)
        nodes_top = load_json_object(nodes_file)[0] if nodes_file is not None else None
        parsed = parse_listchannels(top, source=source, limits=limits, nodes_top=nodes_top,
                                    nodes_source=str(nodes_file or ""))
    elif "nodes" in top:
        raise InputFileError(source, "holds only a node list (no 'edges' or 'channels'), not a channel graph",
                             hint="pass the listchannels file as the graph and this file as nodes_path")
    else:
        keys = ", ".join(sorted(top)[:8]) or "none"
        raise InputFileError(source, f"is JSON but has neither an 'edges' nor a 'channels' list (keys: {keys})",
                             hint=_FORMATS_HINT)
    return assemble(parsed, source=source, fingerprint=fingerprint, limits=limits)


def sibling_nodes_file(channels_path: Path) -> Path | None:
    """The ``listnodes`` file next to a ``listchannels`` file, when one exists.

    ``channels_5-14-19.json.xz`` -> ``nodes_5-14-19.json.xz``; ``listchannels.json`` -> ``listnodes.json``.
    """
    name = channels_path.name
    if "channels" not in name:
        return None
    candidate = channels_path.with_name(name.replace("channels", "nodes", 1))
    return candidate if candidate.is_file() else None
