"""API keys: creation (shown once), salted hashing, verification with a short in-process cache.

A key reads ``mcpln_<key_id>_<secret>``: ``key_id`` is 12 hex characters stored in clear (it names
the key in logs and rate limits), ``secret`` is 32 random bytes (urlsafe base64). The store keeps
``sha256(salt || secret)`` with a 16-byte random salt per key. A fast hash is enough because the
secret has 256 bits of entropy (nothing to brute-force, unlike a password), and verification runs
on every request. Comparison is constant-time. Scopes: ``read`` (every GET and batch) and
``admin`` (recalculation; implies ``read``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from mcp_lightning.adapters.store import Store
from mcp_lightning.adapters.store.store_api import ApiKeyRecord, ApiStore
from mcp_lightning.errors import AuthenticationError, InputError

KEY_PREFIX = "mcpln_"
SCOPES = ("read", "admin")
VERIFIED_TTL_S = 60.0
"""How long a verified key is trusted without the store (a revocation takes effect within this), s."""
_KEY_ID_CHARS = 12


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a key (id, name, scopes) or an anonymous client, and its IP address."""

    key_id: str | None
    name: str | None
    scopes: frozenset[str]
    client_ip: str

    @property
    def identity(self) -> str:
        """The rate-limit identity: ``key:<id>`` or ``ip:<address>``."""
        return f"key:{self.key_id}" if self.key_id else f"ip:{self.client_ip}"

    def has(self, scope: str) -> bool:
        """True when the principal holds ``scope`` (``admin`` implies ``read``)."""
        return scope in self.scopes or "admin" in self.scopes


def hash_secret(salt_hex: str, secret: str) -> str:
    """``sha256(salt || secret)`` as hex."""
    return hashlib.sha256(bytes.fromhex(salt_hex) + secret.encode()).hexdigest()


def parse_api_key(text: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else None."""
    if not text.startswith(KEY_PREFIX):
        return None
    key_id, _, secret = text[len(KEY_PREFIX):].partition("_")
    if len(key_id) != _KEY_ID_CHARS or not all(c in "0123456789abcdef" for c in key_id) or len(secret) < 16:
        return None
    return key_id, secret


def new_api_key(name: str, scopes: Sequence[str], *, now: datetime) -> tuple[ApiKeyRecord, str]:
    """A new key record and its plaintext (the only time the plaintext exists).

    Raises:
        InputError: for an empty name or an unknown scope.
    """
    if not name.strip():
        raise InputError("an API key needs a name", hint="name it for who uses it, e.g. 'dashboard'")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InputError(f"unknown or missing scopes {unknown or list(scopes)}", hint=f"use {' and/or '.join(SCOPES)}")
    key_id = secrets.token_hex(_KEY_ID_CHARS // 2)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    salt = secrets.token_hex(16)
    record = ApiKeyRecord(key_id=key_id, name=name.strip(), scopes=tuple(sorted(set(scopes))), salt=salt,
                          key_hash=hash_secret(salt, secret), created_at=now)
    return record, f"{KEY_PREFIX}{key_id}_{secret}"


def create_api_key(store: Store, name: str, scopes: Sequence[str]) -> str:
    """Create an API key and return its plaintext, which is shown once and never stored.

    Args:
        store: an open store (migrated to 0003 or later).
        name: who the key is for.
        scopes: ``"read"`` and/or ``"admin"``.

    Returns:
        The key, ``mcpln_<key_id>_<secret>``.

    Raises:
        InputError: for an empty name or an unknown scope.
        StoreError: when the key cannot be stored.
    """
    record, plaintext = new_api_key(name, scopes, now=datetime.now(UTC))
    ApiStore(store).add_api_key(record)
    return plaintext


def key_from_headers(x_api_key: str | None, authorization: str | None) -> str | None:
    """The key presented in ``X-API-Key`` or ``Authorization: Bearer <key>``, if any."""
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


class KeyVerifier:
    """Checks presented keys against the store, trusting a verified key for ``VERIFIED_TTL_S``.

    Args:
        lookup: async ``key_id -> ApiKeyRecord | None`` (reads the store).
        clock: monotonic time source, s.
    """

    def __init__(self, lookup: Callable[[str], Awaitable[ApiKeyRecord | None]],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lookup = lookup
        self._clock = clock
        self._verified: dict[str, tuple[float, ApiKeyRecord]] = {}

    async def verify(self, plaintext: str) -> ApiKeyRecord:
        """The record of a valid, unrevoked key.

        Raises:
            AuthenticationError: malformed, unknown, revoked or wrong key (the message names only the key id).
            StoreError: when the key is not in the cache and the store cannot be read.
        """
        digest = hashlib.sha256(plaintext.encode()).hexdigest()
        cached = self._verified.get(digest)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        parsed = parse_api_key(plaintext)
        if parsed is None:
            raise AuthenticationError("the API key is malformed", hint="keys look like mcpln_<12 hex>_<secret>")
        key_id, secret = parsed
        record = await self._lookup(key_id)
        if record is None or not hmac.compare_digest(record.key_hash, hash_secret(record.salt, secret)):
            raise AuthenticationError(f"API key {key_id} is not valid", hint="create one with `mcpln api-key create`")
        if record.revoked_at is not None:
            raise AuthenticationError(f"API key {key_id} was revoked", hint="create a new key")
        if len(self._verified) > 10_000:
            self._verified.clear()
        self._verified[digest] = (self._clock() + VERIFIED_TTL_S, record)
        return record
