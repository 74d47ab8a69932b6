"""No secret reaches a log line: full runs of reconcile, status and report at
`--log-level debug`, in text and JSON, against a private feed on loopback (a secret path
and query that redirects to another secret URL), the Google emulator with a stored OAuth
token, and an SMTP server that wants a login. syncd runs as a subprocess, so its stderr is
every line it logged and nothing the test servers logged."""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from syncd import logs
from syncd.config import load_config
from syncd.google import auth
from syncd.google.auth import CALENDAR_SCOPE, TOKEN_FILE
from tests.emulator import Emulator
from tests.integration.test_google_auth import TokenServer, oauth_demo, serving
from tests.integration.test_report import PASSWORD, mail_config, smtp_server
from tests.security.conftest import run_syncd
from tests.workspace import DEMO, HEAD_YAML, PEOPLE_YAML, Run, Workspace

FORMATS = ("text", "json")
# The feed's address as the lead got it, and where its server sends the reader on to.
FEED_PATH = "/calendar/ical/dana%40example.com/private-4f9a8c1e77d2b3a0/basic.ics"
FEED_QUERY = "key=feed-query-secret-5b1e"
CDN_PATH = "/signed/cdn-path-secret-93c4"
CDN_QUERY = "sig=cdn-signature-secret-7e21"
FEED_SECRETS = ("private-4f9a8c1e77d2b3a0", "feed-query-secret-5b1e", "cdn-path-secret-93c4",
                "cdn-signature-secret-7e21")


@dataclass
class FeedServer:
    """A private ICS feed on 127.0.0.1 that redirects to a signed URL, or fails with 500."""

    body: bytes
    failing: bool = False
    seen: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    server = FeedServer((DEMO / "calendar" / "alice-weekly.ics").read_bytes())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.seen.append(self.path)
            if server.failing:
                self.send_error(500)
            elif self.path == f"{FEED_PATH}?{FEED_QUERY}":
                self.send_response(302)
                self.send_header("Location", f"{CDN_PATH}?{CDN_QUERY}")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == f"{CDN_PATH}?{CDN_QUERY}":
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)
            else:
                self.send_error(404)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: `seen` is the record."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}{FEED_PATH}?{FEED_QUERY}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def assert_clean(run: Run, secrets: tuple[str, ...]) -> None:
    """No secret in anything the run printed or logged, JSON-escaped or not."""
    said = run.out + run.err
    for secret in secrets:
        assert secret not in said
        assert json.dumps(secret)[1:-1] not in said


def log_messages(run: Run, log_format: str) -> list[str]:
    """The messages of the run's log lines (stderr less the command's own `warning:` and
    `syncd:` lines); in JSON, each line must be one object."""
    lines = [line for line in run.err.splitlines()
             if not line.startswith(("warning: ", "syncd: "))]
    if log_format == "json":
        return [json.loads(line)["message"] for line in lines]
    return lines


@pytest.mark.parametrize("log_format", FORMATS)
def test_a_private_feed_url_and_its_redirect_never_reach_a_log_line(
        demo: Workspace, feed: FeedServer, log_format: str) -> None:
    demo.config.write_text(HEAD_YAML.replace(
        "calendar: {kind: local, path: calendar}",
        f"calendar: {{kind: ics, url: '{feed.url}'}}") + PEOPLE_YAML)
    for command in ("reconcile", "status", "report"):
        run = run_syncd(demo.config, command, log_format=log_format)
        assert run.code == 0, run.err
        assert_clean(run, FEED_SECRETS)
        # Debug logging was on and the redirect was followed: urllib3's request lines are
        # there, with their targets hidden.
        assert any('"GET /… HTTP/1.1" 302' in line for line in log_messages(run, log_format))
    assert f"{CDN_PATH}?{CDN_QUERY}" in feed.seen

    feed.failing = True
    run = run_syncd(demo.config, "reconcile", log_format=log_format)
    assert run.code == 1
    assert f"http://127.0.0.1:{feed.url.split(':')[2].split('/')[0]}/…: HTTP 500" in run.out
    assert_clean(run, FEED_SECRETS)


OLD_ACCESS = "ya29.old-access-secret-0a1b"
ACCESS = "ya29.fresh-access-secret-2c3d"
REFRESH = "1//refresh-secret-4e5f"
CLIENT_SECRET = "client-secret-6a7b"
GOOGLE_SECRETS = (OLD_ACCESS, ACCESS, REFRESH, CLIENT_SECRET)


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    """Google's token endpoint on loopback, trading the refresh token for ACCESS."""
    with serving(TokenServer(access=ACCESS)) as server:
        yield server


@pytest.mark.parametrize("log_format", FORMATS)
def test_oauth_tokens_never_reach_a_log_line(
        owner_emulator: Emulator, tmp_path: Path, token_server: TokenServer,
        log_format: str) -> None:
    demo = oauth_demo(owner_emulator, tmp_path, token_server.url, access=OLD_ACCESS,
                      refresh=REFRESH, client_secret=CLIENT_SECRET)
    token = tmp_path / "state" / TOKEN_FILE
    for command in ("reconcile", "status", "report"):
        run = run_syncd(demo.config, command, log_format=log_format)
        assert run.code == 0, run.err
        assert_clean(run, GOOGLE_SECRETS)
        assert any("127.0.0.1" in line for line in log_messages(run, log_format))
    # The stored token was really used: refreshed once, then the fresh one kept and sent.
    (form,) = token_server.forms
    assert "refresh_token=1%2F%2Frefresh-secret-4e5f" in form
    assert json.loads(token.read_text())["token"] == ACCESS
    assert len(owner_emulator.requests()) > 0


@pytest.mark.parametrize("log_format", FORMATS)
@pytest.mark.parametrize("password_from", ["env", "file", "wrong"])
def test_the_smtp_password_never_reaches_a_log_line(
        demo: Workspace, tmp_path: Path, log_format: str, password_from: str) -> None:
    secret_file = tmp_path / "smtp-password"
    secret_file.write_text(("not " if password_from == "wrong" else "") + PASSWORD + "\n")
    secret_file.chmod(0o600)
    source = "password_env: SYNCD_TEST_SMTP_PASSWORD" if password_from == "env" \
        else f"password_file: {secret_file}"
    with smtp_server(tmp_path) as box:
        mail_config(demo, box, password=source)
        run = run_syncd(demo.config, "report", "--email", log_format=log_format,
                        env={"SYNCD_TEST_SMTP_PASSWORD": PASSWORD})
    # AUTH PLAIN and LOGIN send the password base64-encoded: neither form may show.
    encoded = (base64.b64encode(f"\0dana\0{PASSWORD}".encode()).decode(),
               base64.b64encode(PASSWORD.encode()).decode())
    assert_clean(run, (PASSWORD, *encoded))
    if password_from == "wrong":
        assert run.code == 1 and "login as dana refused" in run.err
        assert box.received == []
    else:
        assert run.code == 0, run.err
        assert len(box.received) == 1


@pytest.mark.parametrize("log_format", FORMATS)
def test_token_values_are_hidden_even_if_a_library_logs_them(
        tmp_path: Path, log_format: str) -> None:
    # Defence in depth: once syncd has loaded the token, a line that quotes it anyway (a
    # library's debug output, an exception) shows "…" in its place.
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    token = state / TOKEN_FILE
    token.write_text(json.dumps({
        "token": OLD_ACCESS, "refresh_token": REFRESH, "token_uri": "http://127.0.0.1:9/t",
        "client_id": "client.apps.example", "client_secret": CLIENT_SECRET,
        "scopes": [CALENDAR_SCOPE], "expiry": "2999-01-01T00:00:00Z"}))
    token.chmod(0o600)
    config = tmp_path / "config.yaml"
    config.write_text(HEAD_YAML.replace(
        "calendar: {kind: local, path: calendar}",
        "calendar: {kind: google, api_endpoint: 'http://127.0.0.1:9'}") + PEOPLE_YAML)
    stream = io.StringIO()
    logs.setup_logging("debug", log_format, stream=stream, environ={})
    loaded = auth.credentials(load_config(config), state)
    assert loaded.token == OLD_ACCESS
    logging.getLogger("urllib3.connectionpool").debug(
        "headers: Authorization: Bearer %s; refresh_token=%s; client_secret=%s",
        OLD_ACCESS, REFRESH, CLIENT_SECRET)
    written = stream.getvalue()
    assert "Authorization: Bearer …; refresh_token=…; client_secret=…" in written
    assert_clean(Run(0, "", written), GOOGLE_SECRETS)
