"""GoogleApi's bounded retries, against the loopback emulator and a bare local HTTP server:
batches retry only the parts that failed, waits stay within the budget, and a Google that
does not answer (or answers with HTML) is one clear GoogleError."""

from __future__ import annotations

import dataclasses
import http.server
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from syncd.google.api import Endpoints, GoogleApi, GoogleError
from tests.emulator import Emulator
from tests.local_http import serving


def anonymous() -> AnonymousCredentials:
    """No credentials: the emulator on loopback does not ask for any."""
    return AnonymousCredentials()  # type: ignore[no-untyped-call]


def api_at(root: str, waits: list[float], **policy: Any) -> GoogleApi:
    api = GoogleApi(anonymous(), Endpoints.at(root))
    api.policy = dataclasses.replace(api.policy, sleep=waits.append, jitter=lambda: 0.0,
                                     **policy)
    return api


def inserts(api: GoogleApi, n: int) -> list[Any]:
    events = api.calendar().events()
    return [events.insert(calendarId="primary", body={
        "summary": f"event {i}", "start": {"dateTime": "2026-12-01T10:00:00+01:00"},
        "end": {"dateTime": "2026-12-01T10:30:00+01:00"}}) for i in range(n)]


def summaries(emu: Emulator) -> list[str]:
    (calendar,) = emu.state()["calendars"]
    return sorted(e["summary"] for e in calendar["events"])


def test_a_batch_sends_again_only_the_parts_that_failed_for_a_passing_reason(
    google_emulator: Emulator,
) -> None:
    waits: list[float] = []
    api = api_at(google_emulator.url, waits)
    google_emulator.fault(nth=2, method="POST", status=503, reason="backendError", times=2)
    results = api.batch(inserts(api, 4))
    assert all(not isinstance(r, GoogleError) for r in results)
    assert summaries(google_emulator) == ["event 0", "event 1", "event 2", "event 3"]
    parts = [r["parts"] for r in google_emulator.requests() if "parts" in r]
    assert parts == [4, 2]
    assert waits == [0.5]  # its own backoff: base * 2**0 with no jitter, halved


def test_a_batch_gives_up_when_retry_after_exceeds_the_budget(
    google_emulator: Emulator,
) -> None:
    waits: list[float] = []
    api = api_at(google_emulator.url, waits, budget=10.0)
    google_emulator.fault(nth=1, method="POST", status=429, reason="rateLimitExceeded",
                          retry_after=3600, times=1)
    first, second = api.batch(inserts(api, 2))
    assert isinstance(first, GoogleError) and first.status == 429
    assert "rateLimitExceeded" in str(first)
    assert not isinstance(second, GoogleError)
    assert waits == []  # never waited an hour
    assert summaries(google_emulator) == ["event 1"]


def test_a_failed_batch_envelope_fails_every_part_and_is_sent_again(
    google_emulator: Emulator,
) -> None:
    waits: list[float] = []
    api = api_at(google_emulator.url, waits)
    google_emulator.fault(nth=1, path="^/batch", status=502, times=1)
    results = api.batch(inserts(api, 3))
    assert all(not isinstance(r, GoogleError) for r in results)
    assert summaries(google_emulator) == ["event 0", "event 1", "event 2"]
    assert len(waits) == 1


def test_a_single_call_never_waits_past_the_budget(google_emulator: Emulator) -> None:
    waits: list[float] = []
    api = api_at(google_emulator.url, waits, budget=60.0)
    google_emulator.fault(nth=1, status=503, retry_after=61, times=1)
    with pytest.raises(GoogleError, match="HTTP 503 backendError"):
        api.execute(api.calendar().events().list(calendarId="primary"))
    assert waits == []


def test_a_400_is_not_retried(google_emulator: Emulator) -> None:
    waits: list[float] = []
    api = api_at(google_emulator.url, waits)
    google_emulator.fault(nth=1, status=400, reason="invalid", message="no   such\nthing")
    with pytest.raises(GoogleError) as caught:
        api.execute(api.calendar().events().list(calendarId="primary"))
    assert (caught.value.status, caught.value.reason) == (400, "invalid")
    assert str(caught.value) == "HTTP 400 invalid: no such thing"
    assert waits == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_no_answer_at_all_is_a_status_0_error_after_the_allowed_attempts() -> None:
    waits: list[float] = []
    api = api_at(f"http://127.0.0.1:{_closed_port()}", waits, attempts=3)
    with pytest.raises(GoogleError, match="no answer from Google") as caught:
        api.execute(api.calendar().events().list(calendarId="primary"))
    assert caught.value.status == 0
    assert waits == [0.5, 1.0]
    results = api.batch(inserts(api, 2))
    assert all(isinstance(r, GoogleError) and r.status == 0
               and "no answer from Google" in str(r) for r in results)


class HtmlErrors(http.server.BaseHTTPRequestHandler):
    """A proxy in front of Google answering 502 with an HTML page and an HTTP-date
    Retry-After, then the real thing."""

    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        if type(self).calls == 1:
            body = b"<html><body>Bad Gateway</body></html>"
            self.send_response(502, "Bad Gateway")
            self.send_header("Content-Type", "text/html")
            self.send_header("Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT")
        else:
            body = b'{"kind": "calendar#events", "items": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def html_proxy() -> Iterator[str]:
    HtmlErrors.calls = 0
    with serving(HtmlErrors) as base:
        yield base


def test_an_html_error_page_with_a_date_retry_after_falls_back_to_own_backoff(
    html_proxy: str,
) -> None:
    waits: list[float] = []
    api = api_at(html_proxy, waits)
    assert api.execute(api.calendar().events().list(calendarId="primary"))["items"] == []
    assert waits == [0.5]
    api = api_at(html_proxy, waits, attempts=1)
    HtmlErrors.calls = 0
    with pytest.raises(GoogleError) as caught:
        api.execute(api.calendar().events().list(calendarId="primary"))
    assert caught.value.status == 502 and caught.value.reason == ""
    assert "Bad Gateway" in str(caught.value)
