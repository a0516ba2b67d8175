"""A fresh self-signed TLS certificate like LND's ``tls.cert`` (ECDSA P-256, CA:TRUE, SAN 127.0.0.1/localhost)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_VALID_DAYS = 30


@dataclass(frozen=True, slots=True)
class CertificateFiles:
    """Where a certificate and its private key were written (both PEM)."""

    cert_path: Path
    key_path: Path

    @property
    def cert_pem(self) -> str:
        """The certificate's PEM text."""
        return self.cert_path.read_text()


def make_self_signed(folder: Path, *, name: str = "tls", organization: str = "mcpln emulator") -> CertificateFiles:
    """Write ``<name>.cert`` and ``<name>.key`` for 127.0.0.1 and localhost into ``folder``.

    Like LND, the certificate is its own CA (``CA:TRUE``), so pinning it as the only trust anchor
    works; two calls give two unrelated certificates (each refuses the other's server).

    Returns:
        The two paths; the key file is readable by the owner only.

    Source: LND ``cert/selfsigned.go`` (ECDSA P-256, SANs for the loopback names).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                         x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    public = key.public_key()
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=_VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    files = CertificateFiles(folder / f"{name}.cert", folder / f"{name}.key")
    files.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_path.touch(mode=0o600)
    files.key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    return files
