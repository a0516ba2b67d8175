"""Secrets (macaroons, API keys) encrypted at rest with AES-256-GCM in the store's ``secrets`` table.

The key is 32 random bytes, from ``MCPLN_SECRET_KEY`` (base64) or a key file (``MCPLN_SECRET_KEY_FILE``,
raw or base64, permissions 0600 or stricter). Each secret gets a fresh 12-byte nonce; its name is the
AES-GCM associated data, so a ciphertext copied onto another name does not decrypt. ``key_id`` is a
fingerprint of the key (sha256 of a label and the key, 16 hex characters), never the key.

Nothing here logs, prints or puts a secret or a key in an error message; ``SecretKey`` and
``SecretRecord`` hide their bytes in ``repr``.

::

    vault = SecretVault(store, load_secret_key(os.environ))
    vault.put("lnd.macaroon", macaroon_bytes, now=now, expires_at=now + timedelta(days=90))
    macaroon = vault.get("lnd.macaroon")
    vault.rotate(new_key)                          # re-encrypts every secret in one transaction
    vault.expiring_within(now, days=14)            # what to renew
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets as random_source
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mcp_lightning.adapters.store import Store
from mcp_lightning.adapters.store.execution_records import SecretRecord
from mcp_lightning.errors import ConfigError, SecretError

KEY_BYTES = 32
NONCE_BYTES = 12
ENV_KEY = "MCPLN_SECRET_KEY"
ENV_KEY_FILE = "MCPLN_SECRET_KEY_FILE"


@dataclass(frozen=True, slots=True)
class SecretKey:
    """A 256-bit AES key and its fingerprint (``repr`` shows only the fingerprint)."""

    key_id: str
    material: bytes = field(repr=False)

    @classmethod
    def from_bytes(cls, material: bytes) -> SecretKey:
        """Wrap 32 key bytes.

        Raises:
            ConfigError: when the key is not exactly 32 bytes.
        """
        if len(material) != KEY_BYTES:
            raise ConfigError(f"the secret key is {len(material)} bytes, expected {KEY_BYTES}",
                              hint="generate one with `mcpln secrets keygen PATH` or "
                                   "`python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'`")
        fingerprint = hashlib.sha256(b"mcpln-secret-key-id:" + material).hexdigest()[:16]
        return cls(key_id=f"k{fingerprint}", material=material)

    @classmethod
    def generate(cls) -> SecretKey:
        """A new random key."""
        return cls.from_bytes(random_source.token_bytes(KEY_BYTES))

    def encoded(self) -> str:
        """The key as base64 text (for writing a key file or ``MCPLN_SECRET_KEY``)."""
        return base64.b64encode(self.material).decode("ascii")


@dataclass(frozen=True, slots=True)
class SecretInfo:
    """What may be shown about a secret: never its value."""

    name: str
    created_at: datetime
    expires_at: datetime | None
    key_id: str


def _decode_key(text: str, where: str) -> SecretKey:
    try:
        material = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(f"{where} is not valid base64", hint="it must hold 32 random bytes, base64-encoded") from exc
    return SecretKey.from_bytes(material)


def read_key_file(path: Path) -> SecretKey:
    """Read a key file (32 raw bytes, or their base64 text) that only its owner may read.

    Raises:
        ConfigError: when it is missing, readable by group or others, or not a 32-byte key.
    """
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the secret key file ({exc.strerror})",
                          hint=f"create it with `mcpln secrets keygen {path}`") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{path}: the secret key file has permissions {stat.S_IMODE(mode):04o}; "
                          "group and others must have none", hint=f"chmod 600 {path}")
    if len(data) == KEY_BYTES:
        return SecretKey.from_bytes(data)
    return _decode_key(data.decode("ascii", errors="replace"), f"{path}")


def load_secret_key(env: Mapping[str, str], key_file: Path | None = None) -> SecretKey:
    """The key from ``MCPLN_SECRET_KEY`` (base64), else from ``key_file`` or ``MCPLN_SECRET_KEY_FILE``.

    Raises:
        ConfigError: when no key is configured or it is malformed.
    """
    if env.get(ENV_KEY):
        return _decode_key(env[ENV_KEY], ENV_KEY)
    path = key_file or (Path(env[ENV_KEY_FILE]) if env.get(ENV_KEY_FILE) else None)
    if path is None:
        raise ConfigError(f"no secret key: set {ENV_KEY} (base64 of 32 bytes) or {ENV_KEY_FILE}",
                          hint="create a key file with `mcpln secrets keygen PATH`")
    return read_key_file(path)


def write_key_file(path: Path, key: SecretKey) -> None:
    """Create a key file with permissions 0600 (refuses to overwrite one).

    Raises:
        ConfigError: when the file exists or cannot be created.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot create the key file ({exc.strerror})",
                          hint="choose a new path; an existing key is never overwritten") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.encoded() + "\n")


def encrypt(key: SecretKey, name: str, value: bytes, created_at: datetime,
            expires_at: datetime | None = None) -> SecretRecord:
    """Encrypt ``value`` under ``key`` with a fresh nonce, bound to ``name``."""
    nonce = random_source.token_bytes(NONCE_BYTES)
    ciphertext = AESGCM(key.material).encrypt(nonce, value, name.encode("utf-8"))
    return SecretRecord(name=name, nonce=nonce, ciphertext=ciphertext, created_at=created_at,
                        expires_at=expires_at, key_id=key.key_id)


def decrypt(key: SecretKey, record: SecretRecord) -> bytes:
    """The plain value of a row.

    Raises:
        SecretError: when the row was encrypted with another key, or was altered.
    """
    if record.key_id != key.key_id:
        raise SecretError(f"secret {record.name!r} is encrypted with key {record.key_id}, not {key.key_id}",
                          hint=f"set {ENV_KEY} or {ENV_KEY_FILE} to the key it was stored with")
    try:
        return AESGCM(key.material).decrypt(record.nonce, record.ciphertext, record.name.encode("utf-8"))
    except InvalidTag as exc:
        raise SecretError(f"secret {record.name!r} failed authentication: the row was altered",
                          hint="store the secret again with `mcpln secrets set`") from exc


class SecretVault:
    """Encrypted secrets in the store (see the module docstring)."""

    def __init__(self, store: Store, key: SecretKey) -> None:
        self._store, self._key = store, key

    @property
    def key_id(self) -> str:
        """Fingerprint of the key in use."""
        return self._key.key_id

    def put(self, name: str, value: bytes | str, *, now: datetime, expires_at: datetime | None = None) -> SecretInfo:
        """Encrypt and store (or replace) a secret; returns what may be shown about it.

        Raises:
            SecretError: when the name or value is empty. StoreError: when the database fails.
        """
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        if not name.strip() or not data:
            raise SecretError("a secret needs a name and a non-empty value")
        record = encrypt(self._key, name, data, now, expires_at)
        self._store.put_secret(record)
        return _info(record)

    def get(self, name: str) -> bytes:
        """The plain value of a secret.

        Raises:
            SecretError: when it does not exist, uses another key, or was altered.
        """
        record = self._store.secret(name)
        if record is None:
            raise SecretError(f"no secret named {name!r}", hint="store it with `mcpln secrets set`")
        return decrypt(self._key, record)

    def infos(self) -> list[SecretInfo]:
        """Every secret's name, times and key id (never a value)."""
        return [_info(r) for r in self._store.secrets()]

    def rotate(self, new_key: SecretKey) -> int:
        """Re-encrypt every secret under ``new_key`` in one database transaction; returns how many.

        Secrets keep their ``created_at`` and ``expires_at``. On any failure nothing changes.

        Raises:
            SecretError: when a secret cannot be decrypted with the current key.
        """
        records = self._store.secrets()
        fresh = [encrypt(new_key, r.name, decrypt(self._key, r), r.created_at, r.expires_at) for r in records]
        self._store.replace_secrets(fresh)
        self._key = new_key
        return len(fresh)

    def expiring_within(self, now: datetime, days: float) -> list[SecretInfo]:
        """Secrets that expire within ``days`` of ``now`` (or already have), soonest first."""
        horizon = now + timedelta(days=days)
        due = [_info(r) for r in self._store.secrets() if r.expires_at is not None and r.expires_at <= horizon]
        return sorted(due, key=lambda info: (info.expires_at or now, info.name))


def _info(record: SecretRecord) -> SecretInfo:
    return SecretInfo(name=record.name, created_at=record.created_at, expires_at=record.expires_at,
                      key_id=record.key_id)
