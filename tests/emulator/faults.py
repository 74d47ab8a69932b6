"""Injected failures: the Nth matching request from now fails (or is slowed) `times` times.

    {"nth": 1, "status": 503, "reason": "backendError", "message": "...", "retry_after": 2,
     "times": 1, "method": "POST", "path": "regex", "latency_ms": 0, "drop": false,
     "in_batch": false}

Every key is optional (status defaults to 503; `"status": null` only delays). Inner requests
of a batch count one by one; a batch envelope counts only for a fault whose `path` matches it.
`"drop": true` carries the request out and then closes the connection without an answer
(status is ignored): the write happened, the client never heard, as when a connection or
the client's process dies mid-call. A drop inside a batch loses the whole batch's answer
and the parts after it are not carried out. `"in_batch": true` counts only requests taken
out of a batch (a call that works alone and fails inside a batch).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.emulator.errors import ApiError

_DEFAULT_REASONS = {
    400: "badRequest", 401: "authError", 403: "rateLimitExceeded", 404: "notFound",
    409: "conflict", 410: "deleted", 412: "conditionNotMet", 429: "rateLimitExceeded",
    500: "backendError", 502: "backendError", 503: "backendError", 504: "backendError",
}
_KEYS = {"nth", "status", "reason", "message", "retry_after", "times", "method", "path",
         "latency_ms", "drop", "in_batch"}


@dataclass
class Fault:
    """One queued fault and how many matching requests it has seen and failed."""

    nth: int = 1
    status: int | None = 503
    reason: str | None = None
    message: str | None = None
    retry_after: int | None = None
    times: int = 1
    method: str | None = None
    path: re.Pattern[str] | None = None
    latency_ms: int = 0
    drop: bool = False
    in_batch: bool = False
    seen: int = 0
    fired: int = 0

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Fault:
        """Build from the admin JSON; ValueError names a bad key or value."""
        unknown = set(spec) - _KEYS
        if unknown:
            raise ValueError(f"unknown fault keys {sorted(unknown)}; known: {sorted(_KEYS)}")
        fault = cls(**{k: v for k, v in spec.items() if k != "path"})
        if "path" in spec:
            fault.path = re.compile(spec["path"])
        if fault.nth < 1 or fault.times < 1 or fault.latency_ms < 0:
            raise ValueError("nth and times must be >= 1, latency_ms >= 0")
        if fault.status is not None and not 400 <= fault.status <= 599:
            raise ValueError("status must be an HTTP error code (or null to only delay)")
        return fault

    def matches(self, method: str, path: str, *, envelope: bool, inner: bool) -> bool:
        """Whether a request counts toward this fault."""
        if self.method is not None and self.method.upper() != method:
            return False
        if self.in_batch and not inner:
            return False
        if envelope:
            return self.path is not None and self.path.search(path) is not None
        return self.path is None or self.path.search(path) is not None

    def error(self) -> ApiError | None:
        """The error this fault answers with (None for a pure delay)."""
        if self.status is None:
            return None
        return ApiError(self.status, self.reason or _DEFAULT_REASONS.get(self.status, "error"),
                        self.message, retry_after=self.retry_after)


@dataclass
class Faults:
    """The queue of pending faults (thread-safe)."""

    pending: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, spec: dict[str, Any]) -> None:
        """Queue a fault from its admin JSON."""
        fault = Fault.from_spec(spec)
        with self.lock:
            self.pending.append(fault)

    def clear(self) -> None:
        """Drop every pending fault."""
        with self.lock:
            self.pending.clear()

    def take(self, method: str, path: str, *, envelope: bool, inner: bool) -> Fault | None:
        """Count this request against every matching fault; the first one due fires."""
        due: Fault | None = None
        with self.lock:
            for fault in self.pending:
                if not fault.matches(method, path, envelope=envelope, inner=inner):
                    continue
                fault.seen += 1
                if due is None and fault.seen >= fault.nth:
                    fault.fired += 1
                    due = fault
            self.pending = [fault for fault in self.pending if fault.fired < fault.times]
        return due
