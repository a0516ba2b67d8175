"""Read a JSON document that may be gzip-, xz- or zip-compressed, recognised by its bytes.

Decoding uses msgspec: the top level is scanned once into raw slices, and big record lists are
decoded straight into typed structs (validation and ``"123"`` -> 123 coercion in C), which is what
lets a 47 MB mainnet graph load in about a second. Records that do not fit the struct are handed
back as plain JSON values for the careful, record-by-record readers that explain what is wrong.

Every failure (unreadable, truncated archive, not JSON) becomes an ``InputFileError`` that names
the file and the problem.
"""

from __future__ import annotations

import gzip
import io
import lzma
import re
import zipfile
import zlib
from pathlib import Path
from typing import TypeVar

import msgspec

from mcp_lightning.errors import InputFileError

T = TypeVar("T")
RawJson = msgspec.Raw
"""An undecoded JSON value (a slice of the file), decoded later by type."""

_GZIP_MAGIC = b"\x1f\x8b"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_ZIP_MAGIC = b"PK\x03\x04"
_BLANK = re.compile(rb"\s*\Z")
_BYTE_POSITION = re.compile(r"\(byte (\d+)\)")
_HINT_EXPORT = "the file may be truncated or not a JSON export; export it again"


def read_bytes(path: Path) -> bytes:
    """The file's bytes.

    Raises:
        InputFileError: when the file cannot be read.
    """
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputFileError(str(path), f"cannot be read: {exc.strerror or exc}",
                             hint="check the path and its permissions") from exc


def compression_of(data: bytes) -> str:
    """``"gzip"``, ``"xz"``, ``"zip"`` or ``"none"``, from the leading magic bytes (not the name)."""
    for name, magic in (("gzip", _GZIP_MAGIC), ("xz", _XZ_MAGIC), ("zip", _ZIP_MAGIC)):
        if data.startswith(magic):
            return name
    return "none"


def decompress(data: bytes, source: str) -> bytes:
    """The uncompressed bytes: gzip, xz, a zip holding one ``.json`` member, or the input itself.

    Raises:
        InputFileError: when the archive is truncated or corrupt, or a zip holds no or several JSON files.
    """
    kind = compression_of(data)
    try:
        if kind == "gzip":
            return gzip.decompress(data)
        if kind == "xz":
            return lzma.decompress(data)
        if kind == "zip":
            return _zip_member(data, source)
    except (EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile) as exc:
        raise InputFileError(source, f"is a truncated or corrupt {kind} file ({exc})",
                             hint="download or export the file again") from exc
    return data


def _zip_member(data: bytes, source: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [n for n in archive.namelist()
                 if n.lower().endswith(".json") and not n.startswith("__MACOSX/")]
        if len(names) != 1:
            raise InputFileError(source, f"is a zip holding {len(names)} .json files {names[:5]}, expected one",
                                 hint="unzip it and pass the graph JSON file itself")
        return archive.read(names[0])


def decode_object(data: bytes | RawJson, source: str) -> dict[str, RawJson]:
    """Scan a JSON object into its keys and undecoded values.

    Raises:
        InputFileError: when the text is not JSON (naming line and column) or not an object.
    """
    if isinstance(data, bytes) and _BLANK.match(data):
        raise InputFileError(source, "is empty, expected JSON", hint="export the graph again")
    try:
        return msgspec.json.decode(data, type=dict[str, RawJson])
    except msgspec.ValidationError as exc:
        kind = type(decode_any(data, source)).__name__
        raise InputFileError(source, f"holds a JSON {kind}, expected an object ({exc})",
                             hint=_HINT_EXPORT) from exc
    except msgspec.DecodeError as exc:
        raise InputFileError(source, f"is not valid JSON: {_located(exc, data)}", hint=_HINT_EXPORT) from exc


def decode_any(data: bytes | RawJson, source: str) -> object:
    """Decode any JSON value into plain Python values.

    Raises:
        InputFileError: when the text is not JSON.
    """
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise InputFileError(source, f"is not valid JSON: {_located(exc, data)}", hint=_HINT_EXPORT) from exc


def decode_records(data: RawJson, record_type: type[T], source: str, field: str) -> list[T | object]:
    """Decode a JSON array, each element as ``record_type`` when it fits, else as plain JSON.

    The whole array is tried as ``list[record_type]`` first (one C call); only when some element
    does not fit is it decoded element by element. Integer fields accept decimal strings and
    integral floats (msgspec's non-strict coercion), as LND writes uint64 values as strings.

    Args:
        data: the undecoded array.
        record_type: a ``msgspec.Struct`` type.
        source: file name, for errors.
        field: the array's field name, for errors.

    Returns:
        One item per element: a ``record_type`` instance, or the plain decoded element.

    Raises:
        InputFileError: when ``data`` is not an array.
    """
    try:
        return list(msgspec.json.decode(data, type=list[record_type], strict=False))  # type: ignore[valid-type]
    except msgspec.ValidationError:
        pass
    try:
        items = msgspec.json.decode(data, type=list[RawJson])
    except msgspec.ValidationError as exc:
        kind = type(decode_any(data, source)).__name__
        raise InputFileError(source, f"field '{field}' is a JSON {kind}, expected a list",
                             hint="give unmodified output of the node's graph command") from exc
    decoder = msgspec.json.Decoder(record_type, strict=False)
    result: list[T | object] = []
    for item in items:
        try:
            result.append(decoder.decode(item))
        except msgspec.ValidationError:
            result.append(msgspec.json.decode(item))
    return result


def _located(exc: msgspec.DecodeError, data: bytes | RawJson) -> str:
    """The decoder's message with the byte offset turned into line and column."""
    text = str(exc)
    match = _BYTE_POSITION.search(text)
    if match is None:
        return text
    offset = int(match.group(1))
    head = bytes(data[:offset])
    line = head.count(b"\n") + 1
    column = offset - (head.rfind(b"\n") + 1) + 1
    return f"{_BYTE_POSITION.sub('', text).strip()} at line {line} column {column} (byte {offset})"


def load_json_object(path: Path) -> tuple[dict[str, RawJson], bytes]:
    """Read, decompress and scan ``path``; unwrap a JSON-RPC ``{"jsonrpc", "result": {...}}``.

    Returns:
        ``(top-level keys -> undecoded values, raw file bytes)``; the raw bytes are what the
        fingerprint hashes.

    Raises:
        InputFileError: when any step fails.
    """
    raw = read_bytes(path)
    source = str(path)
    top = decode_object(decompress(raw, source), source)
    if "jsonrpc" in top and "result" in top:
        top = decode_object(top["result"], source)
    return top, raw
