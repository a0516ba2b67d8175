"""What a node backend can do, as a frozen value (implements ``engine.ports.NodeCapabilities``).

Shared by the LND, Core Lightning and LNbits adapters.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BackendCapabilities:
    """Capabilities of one backend; the first three are the ``NodeCapabilities`` protocol.

    Attributes:
        has_forwarding_history: the backend can list settled forwards.
        has_graph: the backend can describe the public channel graph.
        supports_inbound_fees: the backend can set inbound fees (LND 0.18+).
        supports_time_lock_delta: the CLTV delta can be set per channel (not on Core Lightning,
            where ``cltv-delta`` is node-wide, nor through LNbits).
        supports_htlc_limits: min/max HTLC can be set per channel (not through LNbits).
    """

    has_forwarding_history: bool
    has_graph: bool
    supports_inbound_fees: bool
    supports_time_lock_delta: bool = True
    supports_htlc_limits: bool = True
