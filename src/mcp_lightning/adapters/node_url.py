"""Choose a node adapter by URL; credentials come from files or the environment only.

=================================  ==========================================================
URL                                backend
=================================  ==========================================================
``lnd+rest://HOST:PORT``           LND REST over HTTPS, pinned to the node's ``tls.cert``
``cln:///ABS/PATH/lightning-rpc``  Core Lightning JSON-RPC on its unix socket
``lnbits://HOST:PORT``             LNbits node API: HTTP on loopback, HTTPS elsewhere
``lnbits+https://HOST:PORT``       LNbits node API over HTTPS (system CAs)
=================================  ==========================================================

Credentials never travel in the URL or on the command line (a URL with ``user:pass@`` is refused):

* LND: ``MCPLN_LND_MACAROON_PATH`` (the binary macaroon file) or ``MCPLN_LND_MACAROON_HEX``, and
  ``MCPLN_LND_TLS_CERT_PATH`` (the node's ``tls.cert``);
* LNbits: ``MCPLN_LNBITS_API_KEY`` or ``MCPLN_LNBITS_API_KEY_FILE`` (the admin key);
* Core Lightning: none — access to the socket file is the permission.
"""

from __future__ import annotations

import ipaddress
import os
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from mcp_lightning.adapters.cln.node import ClnConfig, ClnNode
from mcp_lightning.adapters.cln.rpc import RpcSettings
from mcp_lightning.adapters.lnbits import LnbitsConfig, LnbitsNode
from mcp_lightning.adapters.lnd.http_transport import HttpSettings
from mcp_lightning.adapters.lnd.node import LndRestConfig, LndRestNode
from mcp_lightning.engine.ports import NodePort
from mcp_lightning.errors import ConfigError, InputFileError

SCHEMES = ("lnd+rest", "cln", "lnbits", "lnbits+https")
LND_MACAROON_PATH = "MCPLN_LND_MACAROON_PATH"
LND_MACAROON_HEX = "MCPLN_LND_MACAROON_HEX"
LND_TLS_CERT_PATH = "MCPLN_LND_TLS_CERT_PATH"
LNBITS_API_KEY = "MCPLN_LNBITS_API_KEY"
LNBITS_API_KEY_FILE = "MCPLN_LNBITS_API_KEY_FILE"
_MAX_SECRET_BYTES = 64 * 1024
_URL_HINT = "use lnd+rest://127.0.0.1:8080, cln:///home/me/.lightning/bitcoin/lightning-rpc or lnbits://127.0.0.1:5000"


@dataclass(frozen=True, slots=True)
class NodeTarget:
    """A parsed node URL: ``backend`` (``"lnd"``, ``"cln"``, ``"lnbits"``) and where it listens."""

    backend: str
    base_url: str = ""
    socket_path: Path | None = None


def parse_node_url(url: str) -> NodeTarget:
    """Read a node URL (see the module docstring).

    Raises:
        ConfigError: unknown scheme (named in the message), credentials in the URL, no host or
            port, or a relative Core Lightning socket path.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ConfigError(f"node URL scheme {scheme or '(none)'!r} is not supported (known: {', '.join(SCHEMES)})",
                          hint=_URL_HINT)
    if parts.username is not None or parts.password is not None:
        raise ConfigError("the node URL carries credentials (user:password@); they are never read from a URL",
                          hint="put them in the MCPLN_LND_* / MCPLN_LNBITS_* environment variables or files")
    if scheme == "cln":
        path = Path(parts.path)
        if parts.netloc or not path.is_absolute():
            raise ConfigError(f"cln URL needs an absolute socket path after three slashes, got {url!r}",
                              hint="cln:///home/me/.lightning/bitcoin/lightning-rpc")
        return NodeTarget("cln", socket_path=path)
    host, port = _host_port(parts, url)
    if scheme == "lnd+rest":
        return NodeTarget("lnd", base_url=f"https://{host}:{port}")
    secure = scheme == "lnbits+https" or not _is_loopback(parts.hostname or "")
    return NodeTarget("lnbits", base_url=f"{'https' if secure else 'http'}://{host}:{port}")


def _host_port(parts: SplitResult, url: str) -> tuple[str, int]:
    hostname = parts.hostname
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"node URL {url!r} has an invalid port", hint=_URL_HINT) from exc
    if not hostname or port is None:
        raise ConfigError(f"node URL {url!r} needs a host and a port", hint=_URL_HINT)
    return (f"[{hostname}]" if ":" in hostname else hostname), int(port)


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def open_node(url: str, *, environ: Mapping[str, str] | None = None, http: HttpSettings | None = None,
              rpc: RpcSettings | None = None) -> NodePort:
    """The adapter for ``url``, with its credentials loaded.

    Args:
        url: a node URL (see the module docstring).
        environ: where to read the ``MCPLN_*`` variables; the process environment when None.
        http: timeouts, retries and rate limit for LND and LNbits.
        rpc: timeout and retries for Core Lightning.

    Raises:
        ConfigError: bad URL, or a required variable is missing or malformed.
        InputFileError: a credential file is missing, unreadable or not what it should be.
    """
    target = parse_node_url(url)
    env = os.environ if environ is None else environ
    if target.backend == "cln":
        assert target.socket_path is not None
        return ClnNode(ClnConfig(target.socket_path, rpc=rpc or RpcSettings()))
    if target.backend == "lnd":
        macaroon_hex, cert_pem, cert_source = load_lnd_credentials(env)
        return LndRestNode(LndRestConfig(url=target.base_url, macaroon_hex=macaroon_hex, tls_cert_pem=cert_pem,
                                         tls_cert_source=cert_source, http=http or HttpSettings()))
    return LnbitsNode(LnbitsConfig(url=target.base_url, api_key=load_lnbits_key(env),
                                   verify=target.base_url.startswith("https"), http=http or HttpSettings()))


def load_lnd_credentials(environ: Mapping[str, str]) -> tuple[str, str, str]:
    """``(macaroon hex, tls.cert PEM, where the cert came from)`` from the ``MCPLN_LND_*`` variables.

    Raises:
        ConfigError: a variable is missing or ``MCPLN_LND_MACAROON_HEX`` is not hex (its value is never shown).
        InputFileError: a file is missing, unreadable, empty or too large.
    """
    if environ.get(LND_MACAROON_PATH):
        macaroon_hex = _read_secret_file(Path(environ[LND_MACAROON_PATH]), what="an LND macaroon").hex()
    elif environ.get(LND_MACAROON_HEX):
        macaroon_hex = environ[LND_MACAROON_HEX].strip().lower()
        if not macaroon_hex or set(macaroon_hex) - set(string.hexdigits.lower()) or len(macaroon_hex) % 2:
            raise ConfigError(f"{LND_MACAROON_HEX} is not hex-encoded (value not shown)",
                              hint="use `xxd -p -c 10000 admin.macaroon`, or set MCPLN_LND_MACAROON_PATH instead")
    else:
        raise ConfigError(f"LND needs a macaroon: set {LND_MACAROON_PATH} or {LND_MACAROON_HEX}",
                          hint="e.g. ~/.lnd/data/chain/bitcoin/mainnet/admin.macaroon (or a baked macaroon with "
                               "info:read offchain:read offchain:write)")
    if not environ.get(LND_TLS_CERT_PATH):
        raise ConfigError(f"LND needs its TLS certificate: set {LND_TLS_CERT_PATH}", hint="usually ~/.lnd/tls.cert")
    cert_path = Path(environ[LND_TLS_CERT_PATH])
    return macaroon_hex, _read_secret_file(cert_path, what="a PEM certificate").decode("ascii", "replace"), str(
        cert_path)


def load_lnbits_key(environ: Mapping[str, str]) -> str:
    """The LNbits admin key from ``MCPLN_LNBITS_API_KEY`` or the file named by ``MCPLN_LNBITS_API_KEY_FILE``.

    Raises:
        ConfigError: neither is set.
        InputFileError: the file is missing, unreadable or empty.
    """
    if environ.get(LNBITS_API_KEY):
        return environ[LNBITS_API_KEY].strip()
    if environ.get(LNBITS_API_KEY_FILE):
        path = Path(environ[LNBITS_API_KEY_FILE])
        key = _read_secret_file(path, what="an LNbits admin key").decode("utf-8", "replace").strip()
        if not key:
            raise InputFileError(str(path), "holds only blank space, expected an LNbits admin key")
        return key
    raise ConfigError(f"LNbits needs its admin key: set {LNBITS_API_KEY} or {LNBITS_API_KEY_FILE}",
                      hint="copy the admin key of a super user from the LNbits wallet page (API info)")


def _read_secret_file(path: Path, *, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(str(path), f"cannot be read: {exc.strerror or exc}",
                             hint=f"point the variable at {what}") from exc
    if not data or len(data) > _MAX_SECRET_BYTES:
        raise InputFileError(str(path), f"is {len(data)} bytes, expected {what}", hint=f"point the variable at {what}")
    return data
