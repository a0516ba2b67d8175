"""JSON export files — plain, ``.gz``, ``.xz`` or a one-member ``.zip`` — and their fields, with clear errors.

Two kinds of failure, kept apart on purpose:

* a whole file cannot be used (missing, truncated, not JSON, wrong top-level shape): functions here
  raise ``InputFileError`` naming the file, what is wrong and what to do;
* one field of one record is missing or bad: the ``*_field`` readers raise ``FieldError`` (a
  ``ValueError``) naming the field, its value and what was expected, so the caller can either skip
  that one record (``SkippedRecord``) or turn it into an ``InputFileError`` for node-level fields.

Integers are accepted as JSON numbers or as decimal strings (LND REST encodes int64/uint64 as
strings; older Core Lightning writes ``"1000msat"``, read with ``suffix="msat"``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from mcp_lightning.errors import InputFileError
from mcp_lightning.graph.json_file import decode_any, decompress, read_bytes

JsonObject = Mapping[str, object]
_T = TypeVar("_T", str, bool)

UINT64_MAX = (1 << 64) - 1
JSON_SUFFIXES = ("", ".gz", ".xz", ".zip")
_MAX_SHOWN_CHARS = 60
_MAX_DIGITS = 40  # far above uint64's 20; longer digit strings are rejected before int() parses them
_HEX = frozenset("0123456789abcdef")


class FieldError(ValueError):
    """A field of a JSON record is missing or holds a value of the wrong type or range.

    Attributes:
        field: the field name (dotted for nested fields, e.g. ``updates.local.fee_base_msat``).
        value: the value found (None when missing).
        expected: what was expected, in words, with units.
        missing: the field was absent.
    """

    def __init__(self, field: str, value: object, expected: str, *, missing: bool = False) -> None:
        found = "is missing" if missing else f"has value {show_value(value)}"
        super().__init__(f"field '{field}' {found}, expected {expected}")
        self.field = field
        self.value = value
        self.expected = expected
        self.missing = missing

    def within(self, prefix: str) -> FieldError:
        """The same error for a field nested under ``prefix`` (e.g. ``"htlcs[0]"``)."""
        return FieldError(f"{prefix}.{self.field}", self.value, self.expected, missing=self.missing)


def show_value(value: object) -> str:
    """Render a JSON value for an error message, shortened to about 60 characters."""
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= _MAX_SHOWN_CHARS else text[:_MAX_SHOWN_CHARS] + "…"


def find_json_file(folder: Path, base_name: str) -> Path | None:
    """Find ``base_name`` (e.g. ``"getinfo.json"``) in ``folder``, plain or compressed.

    Returns:
        The one file among ``base_name`` + ``""``/``.gz``/``.xz``/``.zip``, or None when none exists.

    Raises:
        InputFileError: when two variants exist, since it is unclear which one is current.
    """
    candidates = (folder / (base_name + suffix) for suffix in JSON_SUFFIXES)
    found = [path for path in candidates if path.is_file()]
    if len(found) > 1:
        raise InputFileError(
            str(folder), f"holds {len(found)} copies of {base_name}: {', '.join(p.name for p in found)}",
            hint="keep only the newest copy of each export file")
    return found[0] if found else None


def require_json_file(folder: Path, base_name: str, how_to_export: str) -> Path:
    """Like ``find_json_file`` but the file must exist.

    Raises:
        InputFileError: naming the file looked for and the command that produces it.
    """
    path = find_json_file(folder, base_name)
    if path is None:
        raise InputFileError(
            str(folder / base_name), f"not found (also looked for {base_name}.gz, .xz and .zip)",
            hint=f"create it with `{how_to_export}`")
    return path


def find_json_pages(folder: Path, prefix: str) -> tuple[Path, ...]:
    """All files named ``prefix*.json`` (plain or compressed) in ``folder``, sorted by name.

    Used for paginated exports such as ``forwards.json``, ``forwards-0001.json``, ``forwards-0002.json.gz``.
    """
    pages = [p for p in folder.glob(prefix + "*.json*") if p.is_file()
             and any(p.name.endswith(".json" + suffix) for suffix in JSON_SUFFIXES)]
    return tuple(sorted(pages))


def read_json(path: Path) -> object:
    """Read and parse one JSON file: plain, gzip, xz or a one-member zip, recognised by its bytes.

    Shares the graph reader's decompression and msgspec decoding (``graph.json_file``), so both
    kinds of input fail with the same clear messages.

    Raises:
        InputFileError: the file cannot be read, is truncated or corrupt, is not UTF-8, or is not JSON.
    """
    source = str(path)
    data = decompress(read_bytes(path), source)
    if not data.strip():
        raise InputFileError(source, "is empty, expected JSON", hint="export it again")
    return decode_any(data, source)


def read_json_object(path: Path) -> JsonObject:
    """Read a JSON file whose top level must be an object.

    Raises:
        InputFileError: as ``read_json``, or when the top level is not an object.
    """
    document = read_json(path)
    if not isinstance(document, dict):
        raise InputFileError(str(path), f"top level is a {type(document).__name__}, expected a JSON object",
                             hint="export the RPC's full JSON response, unmodified")
    return document


def records_of(path: Path, document: JsonObject, key: str) -> list[object]:
    """The list under ``key`` at the top level of a document (e.g. ``"channels"``).

    Raises:
        InputFileError: when the key is missing or does not hold a list.
    """
    value = document.get(key)
    if not isinstance(value, list):
        found = "is missing" if key not in document else f"is a {type(value).__name__}"
        raise InputFileError(str(path), f"top-level field '{key}' {found}, expected a list",
                             hint="export the RPC's full JSON response, unmodified")
    return value


def as_record(value: object, where: str) -> JsonObject:
    """Narrow one list element to a JSON object; ``where`` names it (e.g. ``"channels[3]"``).

    Raises:
        FieldError: when the element is not an object.
    """
    if not isinstance(value, dict):
        raise FieldError(where, value, "a JSON object")
    return value


def int_field(record: JsonObject, key: str, *, minimum: int = 0, maximum: int = UINT64_MAX,
              default: int | None = None, suffix: str = "") -> int:
    """Read an integer field given as a JSON number or a decimal string (optionally ending in ``suffix``).

    Args:
        record: the JSON object.
        key: field name.
        minimum: smallest allowed value (inclusive).
        maximum: largest allowed value (inclusive); default uint64 max.
        default: value when the field is absent; None makes the field required.
        suffix: a unit suffix to strip from string values, e.g. ``"msat"`` for older Core Lightning.

    Raises:
        FieldError: missing (without default), not an integer, or outside [minimum, maximum].
    """
    if key not in record:
        if default is None:
            raise FieldError(key, None, "an integer", missing=True)
        return default
    value = record[key]
    number = _to_int(value, suffix)
    if number is None:
        raise FieldError(key, value, "an integer" + (f" (or a string like '1000{suffix}')" if suffix else ""))
    if not minimum <= number <= maximum:
        raise FieldError(key, value, f"an integer from {minimum:,} to {maximum:,}")
    return number


def _to_int(value: object, suffix: str) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.removesuffix(suffix) if suffix else value
        digits = text[1:] if text.startswith("-") else text
        if digits.isascii() and digits.isdigit() and len(digits) <= _MAX_DIGITS:
            return int(text)
    return None


def str_field(record: JsonObject, key: str, *, default: str | None = None) -> str:
    """Read a string field; ``default`` None makes it required.

    Raises:
        FieldError: missing (without default) or not a string.
    """
    return _typed_field(record, key, str, "a string", default)


def bool_field(record: JsonObject, key: str, *, default: bool | None = None) -> bool:
    """Read a boolean field; ``default`` None makes it required.

    Raises:
        FieldError: missing (without default) or not true/false.
    """
    return _typed_field(record, key, bool, "true or false", default)


def _typed_field(record: JsonObject, key: str, kind: type[_T], expected: str, default: _T | None) -> _T:
    if key not in record:
        if default is None:
            raise FieldError(key, None, expected, missing=True)
        return default
    value = record[key]
    if not isinstance(value, kind):
        raise FieldError(key, value, expected)
    return value


def object_field(record: JsonObject, key: str) -> JsonObject | None:
    """Read an optional nested object; None when absent.

    Raises:
        FieldError: present but not an object.
    """
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise FieldError(key, value, "a JSON object")
    return value


def list_field(record: JsonObject, key: str) -> list[object]:
    """Read an optional list field; an empty list when absent.

    Raises:
        FieldError: present but not a list.
    """
    value = record.get(key, [])
    if not isinstance(value, list):
        raise FieldError(key, value, "a list")
    return value


def unix_time(seconds: float, field: str) -> datetime:
    """Convert Unix seconds to a UTC datetime.

    Raises:
        FieldError: when the value is negative or beyond year 9999.
    """
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise FieldError(field, seconds, "Unix seconds (UTC)") from exc


def timestamp_field(record: JsonObject, key: str) -> datetime:
    """Read Unix seconds (an integer, a decimal string or a float like ``1738000000.5``) as UTC.

    Raises:
        FieldError: missing, not a number, negative or out of range.
    """
    value = record.get(key)
    if isinstance(value, float) and value >= 0:
        return unix_time(value, key)
    return unix_time(int_field(record, key, maximum=253_402_300_799), key)


def pubkey_field(record: JsonObject, key: str) -> str:
    """Read a node id: 66 lowercase-or-uppercase hex characters starting with 02 or 03, returned lowercase.

    Raises:
        FieldError: missing or not a compressed secp256k1 public key in hex.
    """
    value = str_field(record, key).lower()
    if len(value) != 66 or value[:2] not in ("02", "03") or not all(c in _HEX for c in value):
        raise FieldError(key, record[key], "a 66-character hex node id starting with 02 or 03")
    return value


def field_problem(path: Path, exc: FieldError, *, item: str | None = None, hint: str) -> InputFileError:
    """Turn a node-level ``FieldError`` into an ``InputFileError`` naming the file, the item and the field."""
    where = f"{item}: " if item else ""
    return InputFileError(str(path), f"{where}{exc}", hint=hint)
