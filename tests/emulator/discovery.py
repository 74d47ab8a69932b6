"""The discovery documents the real client is built from: routes, query parameters, body schemas.

Requests are checked against the same documents the client uses, so a body the client sends
but Google would reject (a typo'd field, a wrong type, a missing required field) is a 400
here too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from tests.emulator.errors import ApiError, invalid

# api name -> (discovery file, path prefix the emulator serves it under)
APIS = {
    "calendar": ("calendar.v3.json", "/calendar/v3/"),
    "drive": ("drive.v3.json", "/drive/v3/"),
    "docs": ("docs.v1.json", "/"),
}

# Page-size parameters above their maximum are coerced by Google, not rejected.
_PAGE_SIZES = {"pageSize", "maxResults"}

Json = dict[str, Any]


def _load(file_name: str) -> Json:
    documents = resources.files("googleapiclient") / "discovery_cache" / "documents"
    loaded: Json = json.loads((documents / file_name).read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Method:
    """One API method of a discovery document, with the regex that routes to it."""

    id: str
    api: str
    http_method: str
    regex: re.Pattern[str]
    literal_chars: int
    parameters: Mapping[str, Json]
    request_ref: str | None
    response_ref: str | None


@dataclass
class Discovery:
    """All three discovery documents, their methods and (lazily) their body validators."""

    documents: dict[str, Json] = field(default_factory=dict)
    methods: list[Method] = field(default_factory=list)
    _validators: dict[str, Draft202012Validator] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Discovery:
        """Read the discovery documents shipped with google-api-python-client."""
        found = cls()
        for api, (file_name, prefix) in APIS.items():
            document = _load(file_name)
            found.documents[api] = document
            found.methods.extend(_methods(api, prefix, document))
        return found

    def route(self, http_method: str, path: str) -> tuple[Method, dict[str, str]] | None:
        """The method serving `path` and its raw (still percent-encoded) path parameters.

        When several templates match (`files/generateIds` and `files/{fileId}`), the one with
        more literal characters wins, as in Google's router.
        """
        best: tuple[Method, dict[str, str]] | None = None
        for method in self.methods:
            if method.http_method != http_method:
                continue
            match = method.regex.fullmatch(path)
            if match and (best is None or method.literal_chars > best[0].literal_chars):
                best = (method, match.groupdict())
        return best

    def query(self, method: Method, raw: Mapping[str, list[str]]) -> dict[str, Any]:
        """Typed query parameters; unknown names, bad types and missing required ones are 400."""
        typed: dict[str, Any] = {}
        for name, values in raw.items():
            spec = method.parameters.get(name)
            if spec is None or spec.get("location") != "query":
                raise invalid(f"Unknown query parameter '{name}'.", name, "invalidParameter")
            converted = [_convert(name, spec, value) for value in values]
            typed[name] = converted if spec.get("repeated") else converted[0]
        for name, spec in method.parameters.items():
            if spec.get("location") == "query" and spec.get("required") and name not in typed:
                raise ApiError(400, "required", f"Required parameter: {name}", location=name,
                               location_type="parameter")
        return typed

    def check_body(self, method: Method, body: Any) -> None:
        """Validate a request body against the method's request schema (400 on the first fault)."""
        if method.request_ref is None:
            return
        validator = self._validators.get(method.id)
        if validator is None:
            schema = _request_schema(self.documents[method.api], method)
            validator = Draft202012Validator(schema)
            self._validators[method.id] = validator
        error = best_match(validator.iter_errors(body))
        if error is not None:
            raise _body_error(error)

    def schema(self, api: str, name: str) -> Json:
        """A discovery schema by name."""
        found: Json = self.documents[api]["schemas"][name]
        return found


def _methods(api: str, prefix: str, document: Json) -> list[Method]:
    found: list[Method] = []
    root_parameters: Json = document.get("parameters", {})

    def walk(resource: Json) -> None:
        for description in resource.get("methods", {}).values():
            template = prefix + description.get("flatPath", description["path"])
            literal = re.sub(r"\{[^}]*\}", "", template)
            regex = re.sub(
                r"\{\+?([A-Za-z0-9_]+)\}|([^{]+)",
                lambda m: f"(?P<{m[1]}>[^/]+)" if m[1] else re.escape(m[2]),
                template,
            )
            found.append(
                Method(
                    id=description["id"],
                    api=api,
                    http_method=description["httpMethod"],
                    regex=re.compile(regex),
                    literal_chars=len(literal),
                    parameters={**root_parameters, **description.get("parameters", {})},
                    request_ref=description.get("request", {}).get("$ref"),
                    response_ref=description.get("response", {}).get("$ref"),
                )
            )
        for child in resource.get("resources", {}).values():
            walk(child)

    walk(document)
    return found


def _convert(name: str, spec: Json, value: str) -> Any:
    kind = spec.get("type", "string")
    converted: Any = value
    if kind == "integer":
        try:
            converted = int(value)
        except ValueError:
            raise invalid(f"Invalid value '{value}'. Values must be integers.", name) from None
        if "minimum" in spec and converted < int(spec["minimum"]):
            raise invalid(f"Invalid value '{value}'. Values must be >= {spec['minimum']}.", name)
        if "maximum" in spec and converted > int(spec["maximum"]):
            if name not in _PAGE_SIZES:
                raise invalid(f"Invalid value '{value}'. Values must be <= {spec['maximum']}.",
                              name)
            converted = int(spec["maximum"])
    elif kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise invalid(f"Invalid value '{value}'. Values must be true or false.", name)
        converted = value.lower() == "true"
    if "enum" in spec and value not in spec["enum"]:
        raise invalid(f"Invalid value '{value}' for {name}; allowed: {spec['enum']}.", name)
    return converted


def _request_schema(document: Json, method: Method) -> Json:
    """The JSON Schema of a method's body: referenced schemas become `$defs`.

    Required fields come from `annotations.required` naming this method; objects that list
    `properties` without `additionalProperties` are closed; PATCH bodies may set any field to
    null, which clears it.
    """
    schemas: Json = document["schemas"]
    nullable = method.http_method == "PATCH"
    definitions: Json = {}

    def convert(node: Json) -> Json:
        if "$ref" in node:
            name = node["$ref"]
            if name not in definitions:
                definitions[name] = {}  # placeholder first: schemas are recursive
                definitions[name] = convert(schemas[name])
            return {"$ref": f"#/$defs/{name}"}
        kind = node.get("type")
        out: Json = {}
        if kind == "object":
            out["type"] = "object"
            properties = node.get("properties")
            if properties is not None:
                out["properties"] = {key: convert(value) for key, value in properties.items()}
                required = [
                    key
                    for key, value in properties.items()
                    if method.id in value.get("annotations", {}).get("required", [])
                ]
                if required:
                    out["required"] = required
            if "additionalProperties" in node:
                out["additionalProperties"] = convert(node["additionalProperties"])
            elif properties is not None:
                out["additionalProperties"] = False
        elif kind == "array":
            out = {"type": "array", "items": convert(node.get("items", {}))}
        elif kind == "string" and node.get("format") in ("int64", "uint64"):
            # Google's JSON parser takes 64-bit integers as strings or as numbers.
            out = {"type": ["string", "integer"], "pattern": r"^-?\d+$"}
        elif kind in ("string", "integer", "number", "boolean"):
            out = {"type": kind}
            if "enum" in node:
                out["enum"] = list(node["enum"])
        if nullable and "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out

    root = convert({"$ref": method.request_ref})
    return {**root, "$defs": definitions}


def _path(error: ValidationError) -> str:
    text = ""
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _body_error(error: ValidationError) -> ApiError:
    where = _path(error)
    prefix = f"{where}." if where else ""
    if error.validator == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        missing = next(name for name in error.validator_value if name not in present)
        return ApiError(400, "required", f"Required field missing: {prefix}{missing}",
                        location=f"{prefix}{missing}")
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        unknown = sorted(key for key in error.instance if key not in known)
        return invalid(
            f'Invalid JSON payload received. Unknown name "{unknown[0]}" at '
            f"'{where or 'body'}': Cannot find field.",
            f"{prefix}{unknown[0]}",
        )
    return invalid(
        f"Invalid value at '{where or 'body'}' ({json.dumps(error.instance)[:80]}): "
        f"{error.message}",
        where or None,
    )
