"""The public channel graph: ingest of snapshots, network statistics and topology.

* ``graph.load.load_graph(path)`` — LND ``describegraph`` or Core Lightning ``listchannels`` JSON
  (plain, .gz, .xz, .zip), recognised from the content, with every dropped record counted in
  ``Graph.report``.
* ``graph.statistics.network_stats(graph)``, ``peer_stats(graph, pubkeys, exclude_pubkey=...)`` —
  robust fee figures.
* ``graph.topology.compute_topology(graph, method="exact" | "sampled")`` — centralities with
  percentile ranks.

The names are re-exported lazily so that importing one submodule does not load them all
(rustworkx and scipy are only needed when a topology is actually computed).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "IngestLimits": "mcp_lightning.graph.ingest_limits",
    "load_graph": "mcp_lightning.graph.load",
    "network_stats": "mcp_lightning.graph.statistics",
    "peer_stats": "mcp_lightning.graph.statistics",
    "Topology": "mcp_lightning.graph.topology",
    "compute_topology": "mcp_lightning.graph.topology",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mcp_lightning.graph' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
