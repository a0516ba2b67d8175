"""TLS to LND pinned to the node's own ``tls.cert``: that certificate is the only trust anchor."""

from __future__ import annotations

import ssl

from mcp_lightning.errors import InputFileError


def pinned_ssl_context(cert_pem: str, *, source: str) -> ssl.SSLContext:
    """An SSL context that trusts exactly one certificate (LND's self-signed ``tls.cert``).

    The system CA store is not loaded, so any other certificate — even a valid public one — is
    refused; host names are still checked against the certificate's SAN (LND puts ``localhost``,
    ``127.0.0.1`` and its ``tlsextraip``/``tlsextradomain`` there).

    Args:
        cert_pem: the PEM text of ``tls.cert``.
        source: where it came from (a path or an environment variable name), for errors.

    Returns:
        A client context for httpx's ``verify=``.

    Raises:
        InputFileError: when the text is not a PEM certificate.

    Source: LND ``tls.cert`` (ECDSA, self-signed, CA:TRUE); Python ``ssl.create_default_context(cadata=...)``.
    """
    if "-----BEGIN CERTIFICATE-----" not in cert_pem:
        raise InputFileError(source, "is not a PEM certificate (no '-----BEGIN CERTIFICATE-----' line)",
                             hint="use LND's tls.cert (usually ~/.lnd/tls.cert)")
    try:
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=cert_pem)
    except ssl.SSLError as exc:
        raise InputFileError(source, f"cannot be loaded as a TLS certificate ({exc.reason or exc})",
                             hint="use LND's tls.cert (usually ~/.lnd/tls.cert)") from exc
