"""The LND adapter's credentials, TLS pinning, rate limit and secret hygiene, over real HTTPS."""

# Test functions take the imported emulator fixtures as arguments, which pytest matches by name.
# ruff: noqa: F811

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import replace
from pathlib import Path

import pytest
import structlog

from mcp_lightning.adapters.lnd import LndRestNode
from mcp_lightning.emulators.faults import Fault
from mcp_lightning.emulators.lnd_rest import LndEmulator
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.emulators.tls import make_self_signed
from mcp_lightning.errors import NodeAuthError, NodeError
from mcp_lightning.units import Ppm
from tests.adapters.emulator_fixtures import (  # noqa: F401  (fixtures are found by name)
    FAST_HTTP,
    lnd_config,
    lnd_emulator,
    lnd_node,
    node_state,
    running_lnd,
)


def test_a_wrong_macaroon_raises_node_auth_error_after_one_request(lnd_emulator: LndEmulator) -> None:
    """HTTP 403 for a foreign macaroon is NodeAuthError, not retried, with a hint about the variables."""
    node = LndRestNode(lnd_config(lnd_emulator, macaroon_hex=secrets.token_hex(32)))
    with pytest.raises(NodeAuthError, match=r"403.*verification failed") as caught:
        node.snapshot()
    node.close()
    assert "MCPLN_LND_MACAROON_PATH" in (caught.value.hint or "")
    assert len(lnd_emulator.recorder.wait_for(1)) == 1


def test_lnds_own_http_500_auth_answers_are_auth_errors(node_state: NodeState, tmp_path: Path) -> None:
    """A real LND answers a bad macaroon with HTTP 500 and gRPC code 2: still NodeAuthError, sent once."""
    with running_lnd(node_state, tmp_path, auth_error_style="lnd") as emulator:
        node = LndRestNode(lnd_config(emulator, macaroon_hex=secrets.token_hex(32)))
        with pytest.raises(NodeAuthError, match=r"500.*signature mismatch"):
            node.snapshot()
        node.close()
        assert [e.status for e in emulator.recorder.wait_for(1)] == [500]


def test_the_readonly_macaroon_reads_but_cannot_set_a_policy(lnd_emulator: LndEmulator, node_state: NodeState) -> None:
    """A read-only macaroon is enough for snapshots; set_policy raises NodeAuthError (permission denied)."""
    node = LndRestNode(lnd_config(lnd_emulator, macaroon_hex=lnd_emulator.macaroons.readonly_hex))
    channel = node.snapshot().channels[0]
    policy = node.get_policy(channel.chan_id)
    with pytest.raises(NodeAuthError, match="permission denied"):
        node.set_policy(channel.chan_id, replace(policy, fee_rate_ppm=Ppm(1)))
    node.close()
    assert node_state.n_policy_writes == 0


def test_a_different_self_signed_certificate_is_refused(lnd_emulator: LndEmulator, tmp_path: Path) -> None:
    """Pinned to another tls.cert (also for 127.0.0.1), the adapter refuses the node before any request."""
    other = make_self_signed(tmp_path / "other")
    node = LndRestNode(lnd_config(lnd_emulator, tls_cert_pem=other.cert_pem))
    with pytest.raises(NodeAuthError, match=r"TLS certificate .* is not the trusted one") as caught:
        node.get_policy(1)
    node.close()
    assert "MCPLN_LND_TLS_CERT_PATH" in (caught.value.hint or "")
    assert lnd_emulator.recorder.exchanges() == []


def test_the_rate_limiter_spaces_requests(lnd_emulator: LndEmulator, node_state: NodeState) -> None:
    """At 600 requests/min with a burst of 1, six requests take at least half a second; unlimited they do not."""
    chan_id = node_state.channels()[0].chan_id

    def six_requests(node: LndRestNode) -> float:
        started = time.perf_counter()
        for _ in range(6):
            node.get_policy(chan_id)
        elapsed = time.perf_counter() - started
        node.close()
        return elapsed

    limited = six_requests(LndRestNode(lnd_config(lnd_emulator, http=replace(FAST_HTTP, requests_per_minute=600,
                                                                             burst=1))))
    unlimited = six_requests(LndRestNode(lnd_config(lnd_emulator)))
    assert limited >= 0.5 > unlimited


def test_no_exception_or_log_line_contains_the_macaroon(lnd_emulator: LndEmulator, node_state: NodeState,
                                                        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Auth, TLS, 5xx, timeout and reset failures never show the macaroon in messages, reprs or logs."""
    wrong = secrets.token_hex(64)
    admin = lnd_emulator.macaroons.admin_hex
    quick = replace(FAST_HTTP, timeout_s=0.2, max_attempts=2)
    nodes = [LndRestNode(lnd_config(lnd_emulator, macaroon_hex=wrong)),
             LndRestNode(lnd_config(lnd_emulator, tls_cert_pem=make_self_signed(tmp_path / "x").cert_pem)),
             LndRestNode(lnd_config(lnd_emulator, http=quick))]
    faults = [None, None, Fault.SERVER_ERROR, Fault.TIMEOUT, Fault.RESET]
    seen: list[str] = []
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        for index, fault in enumerate(faults):
            if fault is not None:
                lnd_emulator.faults.set(fault)
            with pytest.raises(NodeError) as caught:
                nodes[min(index, 2)].snapshot()
            seen += [str(caught.value), repr(caught.value), caught.value.hint or "", repr(caught.value.__cause__)]
    for node in nodes:
        seen.append(repr(node.config))
        node.close()
    text = "\n".join(seen) + caplog.text + repr(logs)
    assert logs, "the retries were logged"
    assert admin not in text and wrong not in text
