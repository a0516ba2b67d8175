"""Choosing a node adapter by URL, loading credentials from files or the environment, and ``mcpln emulate``."""

# Test functions take the imported emulator fixtures as arguments, which pytest matches by name.
# ruff: noqa: F811

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from mcp_lightning.adapters.cln import ClnNode
from mcp_lightning.adapters.lnbits import LnbitsNode
from mcp_lightning.adapters.lnd import LndRestNode
from mcp_lightning.adapters.node_url import NodeTarget, load_lnd_credentials, open_node, parse_node_url
from mcp_lightning.emulators.cli_emulate import emulate, start_emulator
from mcp_lightning.emulators.lnd_rest import LndEmulator
from mcp_lightning.emulators.state import NodeState
from mcp_lightning.errors import ConfigError, InputFileError
from tests.adapters.emulator_fixtures import FAST_HTTP, lnd_emulator, node_state  # noqa: F401


@pytest.mark.parametrize(("url", "target"), [
    ("lnd+rest://127.0.0.1:8080", NodeTarget("lnd", base_url="https://127.0.0.1:8080")),
    ("lnd+rest://node.example:10009", NodeTarget("lnd", base_url="https://node.example:10009")),
    ("cln:///home/me/.lightning/bitcoin/lightning-rpc",
     NodeTarget("cln", socket_path=Path("/home/me/.lightning/bitcoin/lightning-rpc"))),
    ("lnbits://127.0.0.1:5000", NodeTarget("lnbits", base_url="http://127.0.0.1:5000")),
    ("lnbits://localhost:5000", NodeTarget("lnbits", base_url="http://localhost:5000")),
    ("lnbits://pay.example:443", NodeTarget("lnbits", base_url="https://pay.example:443")),
    ("lnbits+https://127.0.0.1:5001", NodeTarget("lnbits", base_url="https://127.0.0.1:5001")),
])
def test_a_node_url_picks_the_backend_and_the_transport(url: str, target: NodeTarget) -> None:
    """LND is always HTTPS, LNbits plain HTTP on loopback only, Core Lightning a socket path."""
    assert parse_node_url(url) == target


@pytest.mark.parametrize(("url", "message"), [
    ("grpc://127.0.0.1:10009", "scheme 'grpc' is not supported"),
    ("127.0.0.1:8080", "is not supported"),
    ("lnd+rest://admin:secretpass@127.0.0.1:8080", "carries credentials"),
    ("cln://relative/lightning-rpc", "absolute socket path"),
    ("cln:lightning-rpc", "absolute socket path"),
    ("lnd+rest://127.0.0.1", "needs a host and a port"),
    ("lnbits://127.0.0.1:99999", "invalid port"),
])
def test_a_bad_node_url_is_a_config_error_naming_the_problem(url: str, message: str) -> None:
    """Unknown schemes are named; credentials in the URL, relative sockets and missing ports are refused."""
    with pytest.raises(ConfigError, match=message) as caught:
        parse_node_url(url)
    assert "secretpass" not in str(caught.value)


def test_open_node_reaches_lnd_with_the_macaroon_file_and_the_cert(lnd_emulator: LndEmulator,
                                                                  node_state: NodeState) -> None:
    """MCPLN_LND_MACAROON_PATH (binary file) and MCPLN_LND_TLS_CERT_PATH are enough to read the node."""
    env = {"MCPLN_LND_MACAROON_PATH": str(lnd_emulator.admin_macaroon_path),
           "MCPLN_LND_TLS_CERT_PATH": str(lnd_emulator.tls.cert_path)}
    node = open_node(f"lnd+rest://127.0.0.1:{lnd_emulator.server.port}", environ=env, http=FAST_HTTP)
    assert isinstance(node, LndRestNode)
    assert node.snapshot().pubkey == node_state.pubkey
    node.close()


def test_the_macaroon_may_come_as_hex_from_the_environment(lnd_emulator: LndEmulator) -> None:
    """MCPLN_LND_MACAROON_HEX is used when no macaroon file is named."""
    env = {"MCPLN_LND_MACAROON_HEX": lnd_emulator.macaroons.admin_hex.upper(),
           "MCPLN_LND_TLS_CERT_PATH": str(lnd_emulator.tls.cert_path)}
    macaroon_hex, cert_pem, source = load_lnd_credentials(env)
    assert (macaroon_hex, cert_pem, source) == (lnd_emulator.macaroons.admin_hex, lnd_emulator.tls.cert_pem,
                                                str(lnd_emulator.tls.cert_path))


@pytest.mark.parametrize(("env", "error", "message"), [
    ({}, ConfigError, "set MCPLN_LND_MACAROON_PATH or MCPLN_LND_MACAROON_HEX"),
    ({"MCPLN_LND_MACAROON_HEX": "zz-not-hex-0123"}, ConfigError, r"not hex-encoded \(value not shown\)"),
    ({"MCPLN_LND_MACAROON_HEX": "abcd"}, ConfigError, "set MCPLN_LND_TLS_CERT_PATH"),
    ({"MCPLN_LND_MACAROON_PATH": "/nonexistent/admin.macaroon"}, InputFileError, "admin.macaroon: cannot be read"),
])
def test_missing_or_bad_lnd_credentials_are_clear_errors(env: dict[str, str], error: type[Exception],
                                                         message: str) -> None:
    """Each missing variable or unreadable file is named, and a bad hex value is never echoed."""
    with pytest.raises(error, match=message) as caught:
        open_node("lnd+rest://127.0.0.1:8080", environ=env)
    assert "zz-not-hex" not in str(caught.value)


def test_a_certificate_file_that_is_not_pem_is_refused(tmp_path: Path) -> None:
    """A tls.cert path pointing at something else raises InputFileError naming the file."""
    (tmp_path / "tls.cert").write_text("not a certificate")
    env = {"MCPLN_LND_MACAROON_HEX": "abcd", "MCPLN_LND_TLS_CERT_PATH": str(tmp_path / "tls.cert")}
    with pytest.raises(InputFileError, match=r"tls.cert: is not a PEM certificate"):
        open_node("lnd+rest://127.0.0.1:8080", environ=env)


def test_the_lnbits_key_comes_from_the_environment_or_a_file(tmp_path: Path) -> None:
    """MCPLN_LNBITS_API_KEY wins; MCPLN_LNBITS_API_KEY_FILE is read and stripped; neither is a ConfigError."""
    (tmp_path / "key").write_text("  filekey \n")
    from_env = open_node("lnbits://127.0.0.1:5000", environ={"MCPLN_LNBITS_API_KEY": "envkey"})
    from_file = open_node("lnbits://127.0.0.1:5000", environ={"MCPLN_LNBITS_API_KEY_FILE": str(tmp_path / "key")})
    assert isinstance(from_env, LnbitsNode) and isinstance(from_file, LnbitsNode)
    assert (from_env.config.api_key, from_file.config.api_key) == ("envkey", "filekey")
    with pytest.raises(ConfigError, match="MCPLN_LNBITS_API_KEY or MCPLN_LNBITS_API_KEY_FILE"):
        open_node("lnbits://127.0.0.1:5000", environ={})


def test_a_cln_url_needs_no_credentials(tmp_path: Path) -> None:
    """Core Lightning is reached through its socket; the socket file's permissions are the access control."""
    node = open_node(f"cln://{tmp_path}/lightning-rpc", environ={})
    assert isinstance(node, ClnNode) and node.config.socket_path == tmp_path / "lightning-rpc"


@pytest.mark.parametrize("backend", ["lnd", "cln", "lnbits"])
def test_the_emulate_exports_are_what_open_node_reads(backend: str, node_state: NodeState,
                                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each started emulator prints a URL and export lines with which open_node reads the same node."""
    running = start_emulator(backend, node_state, folder=tmp_path_factory.mktemp(backend))
    try:
        env = dict(line.removeprefix("export ").split("=", 1) for line in running.exports)
        node = open_node(running.url, environ=env, http=FAST_HTTP)
        assert node.snapshot().pubkey == node_state.pubkey
        getattr(node, "close", lambda: None)()
    finally:
        running.stop()


def test_emulate_serves_until_told_to_stop_and_refuses_other_hosts(tmp_path: Path) -> None:
    """emulate() prints where it listens and returns when stopped; a non-loopback host is a ConfigError."""
    lines: list[str] = []
    until = threading.Event()
    until.set()
    emulate("lnbits", port=0, n_channels=3, folder=tmp_path, echo=lines.append, until=until)
    assert lines[0].startswith("lnbits emulator serving EMULATED-1 (3 channels") and "lnbits://127.0.0.1:" in lines[0]
    assert lines[1].startswith("export MCPLN_LNBITS_API_KEY_FILE=")
    with pytest.raises(ConfigError, match="loopback only"):
        emulate("lnd", host="0.0.0.0", n_channels=1, folder=tmp_path, echo=lines.append, until=until)
    with pytest.raises(ConfigError, match="unknown emulator backend 'eclair'"):
        emulate("eclair", n_channels=1, folder=tmp_path, echo=lines.append, until=until)


def test_a_taken_port_is_a_config_error_naming_it(node_state: NodeState, tmp_path: Path) -> None:
    """Starting a second emulator on a port in use says which address is taken."""
    first = start_emulator("lnbits", node_state, folder=tmp_path / "a")
    port = int(first.url.rsplit(":", 1)[1])
    try:
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            start_emulator("lnd", node_state, folder=tmp_path / "b", port=port)
    finally:
        first.stop()
