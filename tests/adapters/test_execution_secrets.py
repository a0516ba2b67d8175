"""Secrets encrypted at rest with AES-256-GCM: keys, storage, rotation and expiry warnings."""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from mcp_lightning.adapters.secrets import (
    SecretKey,
    SecretVault,
    load_secret_key,
    read_key_file,
    write_key_file,
)
from mcp_lightning.adapters.store import Store
from mcp_lightning.errors import ConfigError, SecretError
from tests.adapters.execution_fixtures import START

MACAROON = bytes.fromhex("0201036c6e6402f801030a10") + b"known-test-macaroon-secret"


def test_a_stored_secret_is_encrypted_at_rest_and_decrypts_to_the_same_bytes(store: Store) -> None:
    """The row holds a 12-byte nonce and ciphertext without the value; get returns the exact bytes."""
    vault = SecretVault(store, SecretKey.generate())
    info = vault.put("lnd.macaroon", MACAROON, now=START, expires_at=START + timedelta(days=90))

    assert vault.get("lnd.macaroon") == MACAROON and info.key_id == vault.key_id
    with store._engine.connect() as conn:
        name, nonce, ciphertext, key_id = conn.execute(
            text("SELECT name, nonce, ciphertext, key_id FROM secrets")).one()
    assert (name, len(nonce), len(ciphertext), key_id) == ("lnd.macaroon", 12, len(MACAROON) + 16, info.key_id)
    assert MACAROON not in bytes(ciphertext) and MACAROON.hex().encode() not in bytes(ciphertext)


def test_a_ciphertext_moved_to_another_name_or_altered_does_not_decrypt(store: Store) -> None:
    """The name is the associated data: a swapped or edited row fails authentication."""
    vault = SecretVault(store, SecretKey.generate())
    vault.put("a", b"value-a", now=START)
    vault.put("b", b"value-b", now=START)
    with store._engine.begin() as conn:
        rows = dict(conn.execute(text("SELECT name, ciphertext FROM secrets")).all())
        conn.execute(text("UPDATE secrets SET ciphertext = :c WHERE name = 'a'"), {"c": rows["b"]})

    with pytest.raises(SecretError, match="secret 'a' failed authentication"):
        vault.get("a")


def test_rotation_re_encrypts_every_secret_and_the_old_key_no_longer_works(store: Store) -> None:
    """After rotate, every row carries the new key id and decrypts with the new key only."""
    old, new = SecretKey.generate(), SecretKey.generate()
    vault = SecretVault(store, old)
    for i in range(3):
        vault.put(f"api.key{i}", f"secret-{i}", now=START)

    assert vault.rotate(new) == 3

    assert {i.key_id for i in vault.infos()} == {new.key_id}
    assert SecretVault(store, new).get("api.key2") == b"secret-2"
    with pytest.raises(SecretError, match=f"encrypted with key {new.key_id}, not {old.key_id}"):
        SecretVault(store, old).get("api.key0")


def test_expiring_secrets_are_listed_soonest_first_within_the_horizon(store: Store) -> None:
    """expiring_within returns secrets expiring (or expired) within N days, soonest first, never values."""
    vault = SecretVault(store, SecretKey.generate())
    vault.put("later", b"x", now=START, expires_at=START + timedelta(days=30))
    vault.put("soon", b"x", now=START, expires_at=START + timedelta(days=3))
    vault.put("expired", b"x", now=START, expires_at=START - timedelta(days=1))
    vault.put("forever", b"x", now=START)

    assert [i.name for i in vault.expiring_within(START, days=7)] == ["expired", "soon"]
    assert [i.name for i in vault.expiring_within(START, days=31)] == ["expired", "soon", "later"]


def test_the_key_comes_from_the_environment_or_a_private_key_file(tmp_path: Path) -> None:
    """MCPLN_SECRET_KEY (base64) wins; a key file must be 0600; a short key is a ConfigError."""
    key = SecretKey.generate()
    assert load_secret_key({"MCPLN_SECRET_KEY": key.encoded()}) == key
    path = tmp_path / "secret.key"
    write_key_file(path, key)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert load_secret_key({"MCPLN_SECRET_KEY_FILE": str(path)}) == key

    path.chmod(0o644)
    with pytest.raises(ConfigError, match="permissions 0644"):
        read_key_file(path)
    with pytest.raises(ConfigError, match="16 bytes, expected 32"):
        load_secret_key({"MCPLN_SECRET_KEY": base64.b64encode(b"x" * 16).decode()})
    with pytest.raises(ConfigError, match="no secret key"):
        load_secret_key({})


def test_a_key_never_shows_its_bytes_in_its_repr() -> None:
    """repr of a key shows only its fingerprint."""
    key = SecretKey.generate()
    assert key.encoded() not in repr(key) and key.material.hex() not in repr(key) and key.key_id in repr(key)
