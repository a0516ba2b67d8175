"""Structured logs: structlog and the standard library (uvicorn, SQLAlchemy) as one JSON line per event.

Every line carries ``timestamp`` (ISO-8601 UTC), ``level``, ``event`` (a dotted name such as
``http.request``) and the context bound for the current request (``request_id``). A redaction step
runs on every line, ours and third-party ones: values under a key that names a secret (password,
secret, token, api_key, authorization, cookie, macaroon) become ``***``; API keys
(``mcpln_<id>_<secret>``) keep only their public id; passwords in URLs and bearer tokens are
masked wherever they appear in text.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import msgspec
import structlog

SECRET_KEY_PATTERN = re.compile(r"pass(word)?|secret|token|api[_-]?key|authori[sz]ation|cookie|macaroon|credential",
                                re.IGNORECASE)
API_KEY_PATTERN = re.compile(r"\b(mcpln_[0-9a-f]{12})_[A-Za-z0-9_\-]{8,}")
URL_PASSWORD_PATTERN = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]+:)[^@\s]+@")
BEARER_PATTERN = re.compile(r"(?i)\b(bearer\s+)[^\s\"']+")
REDACTED = "***"


def redact_text(text: str) -> str:
    """Mask API keys, URL passwords and bearer tokens inside free text."""
    if "mcpln_" in text:
        text = API_KEY_PATTERN.sub(r"\1_***", text)
    if "://" in text:
        text = URL_PASSWORD_PATTERN.sub(r"\1***@", text)
    if "earer" in text:
        text = BEARER_PATTERN.sub(r"\1***", text)
    return text


def redact(value: Any) -> Any:
    """``value`` with every secret masked (dicts by key name, lists item by item, text by pattern)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: REDACTED if isinstance(k, str) and SECRET_KEY_PATTERN.search(k) else redact(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask secrets in every field of the event (see ``redact``)."""
    for key, value in list(event_dict.items()):
        if key.startswith("_"):
            continue
        if SECRET_KEY_PATTERN.search(key):
            event_dict[key] = REDACTED
        elif isinstance(value, str | dict | list | tuple):
            event_dict[key] = redact(value)
        elif isinstance(value, BaseException):
            event_dict[key] = redact_text(repr(value))
    return event_dict


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _json_line(event_dict: Any, **_: Any) -> str:
    """One JSON object as text (msgspec: fast; anything it cannot encode becomes its ``str``)."""
    return _ENCODER.encode(event_dict).decode()


_ENCODER = msgspec.json.Encoder(enc_hook=str)


def configure_logging(*, level: str = "INFO", json_lines: bool = True, stream: TextIO | None = None) -> None:
    """Send structlog and standard-library logs through one redacting pipeline to ``stream``.

    structlog events (ours, one per request) take the fast path: filtered by level before any
    work, rendered by msgspec and written straight to the stream. Standard-library records
    (uvicorn, SQLAlchemy) go through a ``ProcessorFormatter`` with the same redaction and format.

    Args:
        level: minimum level (``"DEBUG"``, ``"INFO"``, ``"WARNING"``...).
        json_lines: one JSON object per line (production); False gives coloured console lines.
        stream: where lines go; None -> stderr.
    """
    out = stream or sys.stderr
    renderer: Any = (structlog.processors.JSONRenderer(serializer=_json_line) if json_lines
                     else structlog.dev.ConsoleRenderer())
    tail = [structlog.processors.format_exc_info, redact_secrets, renderer]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # the API logs each request itself
    structlog.configure(
        processors=[*_shared_processors(), *tail],
        logger_factory=structlog.WriteLoggerFactory(file=out),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        cache_logger_on_first_use=False,  # tests and `serve` may reconfigure; re-binding costs microseconds
    )
