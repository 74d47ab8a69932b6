"""What a service handler receives and returns, independent of HTTP and batching."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.emulator.store import Store

Json = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One API request after routing and validation: typed parameters and the JSON body."""

    store: Store
    params: Mapping[str, Any]
    body: Any
    headers: Mapping[str, str]  # lower-case names

    def header(self, name: str) -> str | None:
        """A request header by (case-insensitive) name."""
        return self.headers.get(name.lower())


@dataclass
class Reply:
    """A handler's answer: status, JSON body (None for an empty one) and extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]


def registry() -> tuple[dict[str, Handler], Callable[[str], Callable[[Handler], Handler]]]:
    """A handler table and the decorator that fills it by discovery method id."""
    table: dict[str, Handler] = {}

    def register(method_id: str) -> Callable[[Handler], Handler]:
        def add(handler: Handler) -> Handler:
            table[method_id] = handler
            return handler

        return add

    return table, register
