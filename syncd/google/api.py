"""Google API clients and one polite way to call them.

google-api-python-client retries some errors itself but ignores Retry-After, does
not retry `quotaExceeded`, and batches take no retries at all, so every call goes
through `GoogleApi.execute` / `GoogleApi.batch`: bounded exponential backoff with
jitter on 429, 5xx and the 403 rate and quota reasons, honouring Retry-After,
bounded in attempts and in total waiting time. A call that must not be carried out
twice (a create Google gives its own id) is sent again only after a refusal that says
nothing was done (429, a 403 quota); no answer or a 5xx may mean it was, so the caller
hears of it instead.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from syncd.google.errors import GoogleError, RateLimited, Unavailable, google_error

log = logging.getLogger(__name__)

GOOGLE_ROOT = "https://www.googleapis.com"
DOCS_ROOT = "https://docs.googleapis.com"
# Google advises at most 50 calls a batch; Drive takes at most 100, Calendar 1000.
BATCH_SIZE = 50
DOC_MIME = "application/vnd.google-apps.document"


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying a call that failed for a passing reason."""

    attempts: int = 6
    budget: float = 120.0  # seconds of waiting in total, Retry-After included
    base: float = 1.0
    cap: float = 32.0
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = field(default=random.random)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt number `attempt + 1` (0-based `attempt`)."""
        if retry_after is not None:
            return retry_after
        return float(min(self.cap, self.base * 2 ** attempt) * (0.5 + self.jitter() / 2))


def _again(error: GoogleError, once: bool) -> bool:
    """Whether to send a failed call again: a passing failure, and for a call that must not
    be carried out twice, only a refusal (rate or quota) that says it was not."""
    return error.passing and (not once or isinstance(error, RateLimited))


def error_of(exc: HttpError) -> GoogleError:
    """The status, reason and message of an HttpError (Google's JSON error body)."""
    status = int(exc.resp.status)
    reason, message = "", str(exc.reason or "")
    try:
        body = json.loads(exc.content)
        error = body.get("error", {})
        message = str(error.get("message") or message)
        details = error.get("errors") or [{}]
        reason = str(details[0].get("reason", ""))
    except (ValueError, AttributeError, TypeError):
        pass
    return google_error(status, reason, " ".join(message.split())[:200])


def _retry_after(exc: HttpError) -> float | None:
    value = exc.resp.get("retry-after") if exc.resp is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


@dataclass(frozen=True)
class Endpoints:
    """Where each API lives: Google's servers, or one root (an emulator) for all."""

    calendar: str = f"{GOOGLE_ROOT}/calendar/v3/"
    drive: str = f"{GOOGLE_ROOT}/drive/v3/"
    docs: str = f"{DOCS_ROOT}/"
    # Each API's own batch endpoint, its discovery document's batchPath (the shared
    # www.googleapis.com/batch was turned off in 2020). Docs has none that works: its
    # HTTP batch fails since July 2022 (see syncd.notes.gdocs).
    batch: str = f"{GOOGLE_ROOT}/batch/calendar/v3"
    drive_batch: str = f"{GOOGLE_ROOT}/batch/drive/v3"

    @classmethod
    def at(cls, root: str | None) -> Endpoints:
        """Every API under `root` (the client's endpoint replaces root URL and service
        path, so the path is part of it); Google's own when `root` is None."""
        if root is None:
            return cls()
        root = root.rstrip("/")
        return cls(f"{root}/calendar/v3/", f"{root}/drive/v3/", f"{root}/",
                   f"{root}/batch/calendar/v3", f"{root}/batch/drive/v3")


class GoogleApi:
    """Built clients for Calendar v3, Drive v3 and Docs v1, and the calls through them."""

    def __init__(
        self, credentials: Credentials, endpoints: Endpoints, *, timeout: float = 30.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        """Clients are built from the discovery documents shipped with the library
        (no network), on first use."""
        self._credentials = credentials
        self.endpoints = endpoints
        self._timeout = timeout
        self.policy = policy or RetryPolicy()
        self._built: dict[str, Any] = {}
        self._resources: dict[str, Any] = {}
        self._once: google_auth_httplib2.AuthorizedHttp | None = None

    def _http(self) -> google_auth_httplib2.AuthorizedHttp:
        return google_auth_httplib2.AuthorizedHttp(
            self._credentials, http=httplib2.Http(timeout=self._timeout))

    def _once_http(self) -> google_auth_httplib2.AuthorizedHttp:
        """The transport of calls that must not run twice (see syncd.google.once)."""
        if self._once is None:
            from syncd.google.once import OnceHttp

            self._once = google_auth_httplib2.AuthorizedHttp(
                self._credentials, http=OnceHttp(timeout=self._timeout))
        return self._once

    def _service(self, name: str, version: str, endpoint: str) -> Any:
        if name not in self._built:
            self._built[name] = build(
                name, version, http=self._http(), static_discovery=True,
                cache_discovery=False, client_options={"api_endpoint": endpoint})
        return self._built[name]

    def calendar(self) -> Any:
        """The Calendar v3 client."""
        return self._service("calendar", "v3", self.endpoints.calendar)

    def drive(self) -> Any:
        """The Drive v3 client."""
        return self._service("drive", "v3", self.endpoints.drive)

    def docs(self) -> Any:
        """The Docs v1 client."""
        return self._service("docs", "v1", self.endpoints.docs)

    # The client builds a resource anew on each access (`service.documents()`), writing
    # every method's docstring from its schemas: for Docs that took longer than the call
    # itself, so each resource is built once.

    def events(self) -> Any:
        """Calendar v3 `events`, built once."""
        return self._resource("events", self.calendar)

    def files(self) -> Any:
        """Drive v3 `files`, built once."""
        return self._resource("files", self.drive)

    def documents(self) -> Any:
        """Docs v1 `documents`, built once."""
        return self._resource("documents", self.docs)

    def _resource(self, name: str, service: Callable[[], Any]) -> Any:
        if name not in self._resources:
            self._resources[name] = getattr(service(), name)()
        return self._resources[name]

    def execute(self, request: HttpRequest, headers: dict[str, str] | None = None, *,
                once: bool = False) -> Any:
        """The response of one request, retried as the policy allows; GoogleError if not.
        `once`: the request must not be carried out twice (see the module docstring)."""
        if headers:
            request.headers.update(headers)
        waited = 0.0
        for attempt in range(self.policy.attempts):
            try:
                return request.execute(http=self._once_http() if once else None,
                                       num_retries=0)
            except HttpError as exc:
                error, after = error_of(exc), _retry_after(exc)
            except (OSError, httplib2.HttpLib2Error) as exc:
                error, after = Unavailable(0, "", f"no answer from Google: {exc}"), None
            if not _again(error, once) or attempt + 1 == self.policy.attempts:
                raise error
            pause = self.policy.delay(attempt, after)
            if waited + pause > self.policy.budget:
                raise error
            log.info("%s; retrying in %.1f s", error, pause)
            self.policy.sleep(pause)
            waited += pause
        raise AssertionError("unreachable: the loop returns or raises")

    def batch(
        self, requests: Sequence[HttpRequest], *,
        api: Literal["calendar", "drive"] = "calendar", once: bool = False,
    ) -> list[Any | GoogleError]:
        """Each request's response (or its GoogleError), sent in HTTP batches of at most 50
        to `api`'s batch endpoint (every part of a batch goes to the same API).

        Parts that fail for a passing reason are sent again in a later batch, with
        the same backoff as single calls (with `once`, only those refused untouched).
        """
        uri = {"calendar": self.endpoints.batch, "drive": self.endpoints.drive_batch}[api]
        results: list[Any | GoogleError] = [None] * len(requests)
        pending = list(range(len(requests)))
        waited = 0.0
        for attempt in range(self.policy.attempts):
            retry: list[int] = []
            longest: float | None = None
            for first in range(0, len(pending), BATCH_SIZE):
                chunk = pending[first:first + BATCH_SIZE]
                for index, outcome, after in self._send(requests, chunk, uri, once):
                    results[index] = outcome
                    if isinstance(outcome, GoogleError) and _again(outcome, once):
                        retry.append(index)
                        if after is not None:
                            longest = max(longest or 0.0, after)
            if not retry or attempt + 1 == self.policy.attempts:
                break
            pause = self.policy.delay(attempt, longest)
            if waited + pause > self.policy.budget:
                break
            self.policy.sleep(pause)
            waited += pause
            pending = retry
        return results

    def _send(
        self, requests: Sequence[HttpRequest], chunk: list[int], uri: str, once: bool
    ) -> list[tuple[int, Any | GoogleError, float | None]]:
        out: list[tuple[int, Any | GoogleError, float | None]] = []

        def done(request_id: str, response: Any, exc: HttpError | None) -> None:
            index = int(request_id)
            if exc is None:
                out.append((index, response, None))
            else:
                out.append((index, error_of(exc), _retry_after(exc)))

        batch = BatchHttpRequest(callback=done, batch_uri=uri)
        for index in chunk:
            batch.add(requests[index], request_id=str(index))
        try:
            batch.execute(http=self._once_http() if once else None)
        except HttpError as exc:
            error = error_of(exc)
            return [(index, error, _retry_after(exc)) for index in chunk]
        except (OSError, httplib2.HttpLib2Error) as exc:
            error = Unavailable(0, "", f"no answer from Google: {exc}")
            return [(index, error, None) for index in chunk]
        answered = {index for index, _, _ in out}
        missing = Unavailable(0, "", "no answer for this part of the batch")
        return out + [(index, missing, None) for index in chunk if index not in answered]
