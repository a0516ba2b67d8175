"""Emulated Lightning nodes that speak each backend's real contract over loopback, for tests and demos.

* ``state.NodeState`` — the in-memory node (from an export folder, a snapshot, or ``synthetic``);
* ``lnd_rest.LndEmulator`` — LND REST over HTTPS with a fresh ``tls.cert`` and macaroons;
* ``cln_rpc.ClnEmulator`` — Core Lightning JSON-RPC on a unix socket (``pyln-client`` compatible);
* ``lnbits_api.LnbitsEmulator`` — LNbits' node API over HTTP with ``X-API-KEY``;
* ``faults.FaultPlan`` — faults switched at run time on each of them (``emulator.faults``);
* ``recorder.Recorder`` — every exchange, for contract tests (``emulator.recorder``);
* ``cli_emulate`` — ``mcpln emulate lnd|cln|lnbits``.
"""

from mcp_lightning.emulators.cln_rpc import ClnEmulator
from mcp_lightning.emulators.faults import Fault, FaultPlan
from mcp_lightning.emulators.lnbits_api import LnbitsEmulator
from mcp_lightning.emulators.lnd_rest import LndEmulator
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.emulators.synthetic import synthetic_state

__all__ = ["ClnEmulator", "Fault", "FaultPlan", "LnbitsEmulator", "LndEmulator", "NodeState", "synthetic_state"]
