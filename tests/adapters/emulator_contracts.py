"""Validators that check recorded emulator exchanges against the official API contracts.

* LND: ``lightning.swagger.json`` (Swagger 2.0) turned into JSON Schema draft 4. Swagger leaves
  every field optional and open, so the conversion tightens it to what LND's REST gateway really
  sends (``EmitUnpopulated``): no unknown field anywhere; in answers every field present, an unset
  message as ``null``; int64/uint64 strings must be decimal digits and int32 numbers in range.
* Core Lightning: the ``request``/``response`` JSON Schemas of each ``doc/schemas`` file, with
  lightningd's own types (``u32``, ``msat``, ``pubkey``, ``short_channel_id``...).
* LNbits: the OpenAPI 3.1 components (JSON Schema 2020-12), closed to unknown fields.

The spec files are the subsets in ``tests/fixtures/emulators/specs`` (unmodified definitions; see
``derive_specs.py`` there).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft7Validator, Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.protocols import Validator  # type: ignore[import-untyped]
from jsonschema.validators import extend  # type: ignore[import-untyped]
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT202012

from mcp_lightning.emulators.recorder import Exchange

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "emulators" / "specs"
_INT32 = (-(1 << 31), (1 << 31) - 1)
_UINT = {"u8": 8, "u16": 16, "u32": 32, "u64": 64}


def _errors(validator: Validator, instance: object, where: str) -> list[str]:
    return [f"{where}: {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in validator.iter_errors(instance)]


# --------------------------------------------------------------------------------------------------- LND


def _tighten_lnd(definitions: dict[str, Any], *, answers: bool) -> dict[str, Any]:
    """Swagger definitions as JSON Schema: closed objects, digit strings, nullable messages (all fields in answers)."""
    out = copy.deepcopy(definitions)
    messages = {name for name, schema in definitions.items() if schema.get("type") == "object"}

    def fix(schema: dict[str, Any]) -> None:
        if schema.get("type") == "string" and schema.get("format") in ("int64", "uint64"):
            schema["pattern"] = "^[0-9]+$" if schema["format"] == "uint64" else "^-?[0-9]+$"
        if schema.get("type") == "integer" and schema.get("format") == "int32":
            schema["minimum"], schema["maximum"] = _INT32
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                fix(schema[key])
        properties = schema.get("properties", {})
        for name, prop in properties.items():
            ref = prop.get("$ref", "")
            if ref.removeprefix("#/definitions/") in messages and "items" not in prop:
                properties[name] = {"anyOf": [{"$ref": ref}, {"type": "null"}]}
            else:
                fix(prop)
        if properties and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
            if answers:
                schema["required"] = sorted(properties)

    for schema in out.values():
        fix(schema)
    return out


class LndContract:
    """LND REST requests and answers checked against ``lightning.swagger.json``."""

    def __init__(self, path: Path = SPECS / "lnd-lightning-swagger-subset.json") -> None:
        self.swagger = json.loads(path.read_text())
        registry: Registry[Any] = Registry()
        for mode in ("request", "answer"):
            contents = {"definitions": _tighten_lnd(self.swagger["definitions"], answers=mode == "answer")}
            registry = registry.with_resource(f"urn:lnd:{mode}", DRAFT4.create_resource(contents))
        self.registry = registry
        self._templates = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"), p) for p in self.swagger["paths"]]

    def validator(self, definition: str, *, answer: bool = True) -> Validator:
        """A validator for one definition, e.g. ``"lnrpcChannelEdge"``."""
        mode = "answer" if answer else "request"
        return Draft4Validator({"$ref": f"urn:lnd:{mode}#/definitions/{definition}"}, registry=self.registry)

    def operation(self, method: str, path: str) -> dict[str, Any]:
        """The swagger operation for ``method path`` (``KeyError`` when the spec has none)."""
        for pattern, template in self._templates:
            if pattern.match(path):
                return dict(self.swagger["paths"][template][method.lower()])
        raise KeyError(f"{method} {path} is not in the swagger file")

    def problems(self, exchange: Exchange) -> list[str]:
        """Every way ``exchange`` breaks the contract (empty when it keeps it)."""
        operation = self.operation(exchange.method, exchange.path)
        where = f"{exchange.method} {exchange.path}"
        found = []
        query_names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        for pair in filter(None, exchange.query.split("&")):
            if pair.split("=", 1)[0] not in query_names:
                found.append(f"{where}: unknown query parameter {pair!r}")
        body = next((p for p in operation.get("parameters", []) if p["in"] == "body"), None)
        if body is not None:
            found += _errors(self.validator(body["schema"]["$ref"].split("/")[-1], answer=False), exchange.request,
                             f"{where} request")
        answer = operation["responses"].get(str(exchange.status)) or operation["responses"]["default"]
        found += _errors(self.validator(answer["schema"]["$ref"].split("/")[-1]), exchange.response,
                         f"{where} answer {exchange.status}")
        return found


# --------------------------------------------------------------------------------------------------- CLN


def _is_uint(bits: int) -> Any:
    return lambda _checker, value: type(value) is int and 0 <= value < (1 << bits)


def _matches(pattern: str) -> Any:
    compiled = re.compile(pattern)
    return lambda _checker, value: isinstance(value, str) and compiled.fullmatch(value) is not None


_CLN_TYPES = {
    **{name: _is_uint(bits) for name, bits in _UINT.items()},
    "msat": lambda _c, v: (type(v) is int and v >= 0) or (isinstance(v, str) and re.fullmatch(r"\d+(msat|sat)", v)
                                                         is not None),
    "pubkey": _matches(r"0[23][0-9a-f]{64}"),
    "short_channel_id": _matches(r"\d+x\d+x\d+"),
    "hash": _matches(r"[0-9a-f]{64}"),
    "txid": _matches(r"[0-9a-f]{64}"),
    "hex": _matches(r"([0-9a-f]{2})*"),
    "ipv4": _matches(r"\d+\.\d+\.\d+\.\d+"),
}
@cache
def _cln_schema(method: str) -> dict[str, Any]:
    return dict(json.loads((SPECS / f"cln-{method}.json").read_text()))


ClnValidator = extend(Draft7Validator, type_checker=Draft7Validator.TYPE_CHECKER.redefine_many(_CLN_TYPES))


class ClnContract:
    """Core Lightning JSON-RPC calls checked against ``doc/schemas/<method>.json``."""

    def schema(self, method: str) -> dict[str, Any]:
        """The schema file of one method."""
        return _cln_schema(method)

    def validator(self, method: str, part: str) -> Validator:
        """The validator of a method's ``"request"`` or ``"response"``."""
        return ClnValidator(self.schema(method)[part])

    def problems(self, exchange: Exchange) -> list[str]:
        """Every way one recorded call breaks the schema (errors are checked for shape only)."""
        method = exchange.path
        found = _errors(self.validator(method, "request"), exchange.request or {}, f"{method} request")
        if exchange.status == 200:
            return found + _errors(self.validator(method, "response"), exchange.response, f"{method} result")
        error = exchange.response
        if not (isinstance(error, dict) and isinstance(error.get("code"), int)
                and isinstance(error.get("message"), str)):
            found.append(f"{exchange.path}: error {error!r} is not {{code, message}}")
        return found


# --------------------------------------------------------------------------------------------------- LNbits


def _close_objects(schemas: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(schemas)
    for schema in out.values():
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
    return out


class LnbitsContract:
    """LNbits node-API requests and answers checked against its OpenAPI 3.1 document."""

    def __init__(self, path: Path = SPECS / "lnbits-node-openapi-subset.json") -> None:
        self.openapi = json.loads(path.read_text())
        contents = {"components": {"schemas": _close_objects(self.openapi["components"]["schemas"])}}
        self.registry: Registry[Any] = Registry().with_resource(
            "urn:lnbits", DRAFT202012.create_resource(contents))
        self._templates = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"), p) for p in self.openapi["paths"]]

    def validator(self, schema: dict[str, Any]) -> Validator:
        """A validator for a schema taken from the document (its ``$ref`` resolve in the document)."""
        rebased = json.loads(json.dumps(schema).replace('"#/components/', '"urn:lnbits#/components/'))
        return Draft202012Validator(rebased, registry=self.registry)

    def problems(self, exchange: Exchange) -> list[str]:
        """Every way ``exchange`` breaks the document (answers without a documented status are not checked)."""
        template = next(t for pattern, t in self._templates if pattern.match(exchange.path))
        operation = self.openapi["paths"][template][exchange.method.lower()]
        where = f"{exchange.method} {exchange.path}"
        found: list[str] = []
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            found += _errors(self.validator(body["schema"]), exchange.request, f"{where} request")
        elif exchange.request is not None:
            found.append(f"{where}: sends a body the operation does not take")
        answer = operation["responses"].get(str(exchange.status))
        if answer is not None:
            found += _errors(self.validator(answer["content"]["application/json"]["schema"]), exchange.response,
                             f"{where} answer {exchange.status}")
        return found


def all_problems(contract: LndContract | ClnContract | LnbitsContract, exchanges: Iterable[Exchange]) -> list[str]:
    """Every contract problem of every exchange, in order."""
    return [problem for exchange in exchanges for problem in contract.problems(exchange)]
