"""Partial responses: the `fields` parameter (`items(id,summary),nextPageToken`, `files/id`, `*`).

Google answers a field name its response schema does not have with 400, so the mask is
checked against the discovery schema before it trims the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.emulator.errors import invalid

# A parsed mask: field name -> sub-mask, or None for the whole field.
Mask = dict[str, "Mask | None"]
Resolve = Callable[[str], dict[str, Any]]


def parse(text: str) -> Mask:
    """Parse a `fields` value into a tree; malformed text is a 400 like Google's."""
    mask, rest = _parse_list(text.replace(" ", ""), 0, text)
    if rest != len(text.replace(" ", "")):
        raise _bad(text)
    return mask


def _parse_list(text: str, at: int, original: str) -> tuple[Mask, int]:
    mask: Mask = {}
    while True:
        start = at
        while at < len(text) and text[at] not in ",()":
            at += 1
        names = text[start:at].split("/")
        if not all(names):
            raise _bad(original)
        sub: Mask | None = None
        if at < len(text) and text[at] == "(":
            sub, at = _parse_list(text, at + 1, original)
            if at >= len(text) or text[at] != ")":
                raise _bad(original)
            at += 1
        _merge(mask, names, sub)
        if at < len(text) and text[at] == ",":
            at += 1
            continue
        return mask, at


def _merge(mask: Mask, names: list[str], sub: Mask | None) -> None:
    head, rest = names[0], names[1:]
    if rest:
        sub = _nest(rest, sub)
    if head in mask and mask[head] is None:
        return
    if sub is None or head not in mask:
        mask[head] = sub
        return
    existing = mask[head]
    assert existing is not None  # the None case returned above
    for key, value in sub.items():
        _merge(existing, [key], value)


def _nest(names: list[str], sub: Mask | None) -> Mask:
    inner: Mask | None = sub
    for name in reversed(names):
        inner = {name: inner}
    assert inner is not None
    return inner


def _bad(text: str) -> Exception:
    return invalid(f"Invalid field selection {text}", "fields", "invalidParameter")


def check(mask: Mask, schema: dict[str, Any], resolve: Resolve) -> None:
    """Reject names the response schema does not define (maps with free keys take any name)."""
    schema = _deref(schema, resolve)
    if schema.get("type") == "array":
        check(mask, schema.get("items", {}), resolve)
        return
    properties = schema.get("properties")
    for name, sub in mask.items():
        if name == "*":
            continue
        if properties is not None and name in properties:
            child: dict[str, Any] = properties[name]
        elif "additionalProperties" in schema:
            child = schema["additionalProperties"]
        else:
            raise invalid(f"Invalid field selection {name}", "fields", "invalidParameter")
        if sub is not None:
            check(sub, child, resolve)


def _deref(schema: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    return resolve(schema["$ref"]) if "$ref" in schema else schema


def project(value: Any, mask: Mask | None) -> Any:
    """Keep only the masked fields of a response value."""
    if mask is None or "*" in mask:
        return value
    if isinstance(value, list):
        return [project(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    return {key: project(value[key], sub) for key, sub in mask.items() if key in value}
