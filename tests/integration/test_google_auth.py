"""The stored Google token: refused when others can read it, refreshed when expired,
one clear error when revoked. The token endpoint is a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from syncd.google.auth import CALENDAR_SCOPE, DRIVE_SCOPE, FREEBUSY_SCOPE, TOKEN_FILE
from tests.emulator import Emulator
from tests.integration.gdemo import GoogleDemo
from tests.workspace import syncd

EXPIRED = "2020-01-01T00:00:00Z"


class TokenServer:
    """Answers POST /token: a new access token, or invalid_grant once revoked."""

    def __init__(self, access: str = "fresh-access") -> None:
        self.revoked = False
        self.calls = 0
        self.access = access
        self.forms: list[str] = []  # every request body, as sent
        # What a sign-in (authorization_code grant) gets besides the access token.
        self.refresh_token: str | None = "new-refresh"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                server.calls += 1
                server.forms.append(form)
                if server.revoked:
                    body = {"error": "invalid_grant", "error_description": "Token has been "
                            "expired or revoked."}
                    self.send_response(400)
                else:
                    body = {"access_token": server.access, "expires_in": 3600,
                            "token_type": "Bearer"}
                    if "grant_type=authorization_code" in form and server.refresh_token:
                        body["refresh_token"] = server.refresh_token
                    self.send_response(200)
                data = json.dumps(body).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/token"


@contextmanager
def serving(server: TokenServer) -> Iterator[TokenServer]:
    """`server` answering on loopback until the block ends."""
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join()


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    with serving(TokenServer()) as server:
        yield server


def oauth_demo(emulator: Emulator, root: Path, token_uri: str, *, access: str = "old-access",
               refresh: str = "refresh-secret", client_secret: str = "client-secret"
               ) -> GoogleDemo:
    """The Google demo signed in with OAuth: an expired token (mode 0600) in its state."""
    demo = GoogleDemo(emulator, root)
    demo.write_config()
    demo.config.write_text(demo.config.read_text().replace(
        "google: {credentials: anonymous}",
        f"google: {{credentials: oauth, token_uri: '{token_uri}'}}"))
    state = root / "state"
    state.mkdir(mode=0o700)
    token = state / TOKEN_FILE
    token.write_text(json.dumps({
        "token": access, "refresh_token": refresh, "token_uri": token_uri,
        "client_id": "client.apps.example", "client_secret": client_secret,
        "scopes": [CALENDAR_SCOPE, DRIVE_SCOPE], "expiry": EXPIRED,
    }))
    token.chmod(0o600)
    return demo


@pytest.fixture
def oauth(owner_emulator: Emulator, tmp_path: Path, token_server: TokenServer) -> GoogleDemo:
    return oauth_demo(owner_emulator, tmp_path, token_server.url)


def test_an_expired_token_is_refreshed_and_stored_privately(
    oauth: GoogleDemo, token_server: TokenServer
) -> None:
    run = oauth.syncd("reconcile")
    assert run.code == 0, run.out + run.err
    token = oauth.root / "state" / TOKEN_FILE
    assert json.loads(token.read_text())["token"] == "fresh-access"
    assert token.stat().st_mode & 0o777 == 0o600
    assert token_server.calls == 1


@pytest.mark.parametrize("granted", [True, False], ids=["free-busy granted", "older token"])
def test_free_busy_is_used_only_when_the_token_was_granted_it(
    oauth: GoogleDemo, token_server: TokenServer, granted: bool,
) -> None:
    token = oauth.root / "state" / TOKEN_FILE
    stored = json.loads(token.read_text())
    if granted:
        stored["scopes"].append(FREEBUSY_SCOPE)
        token.write_text(json.dumps(stored))
    run = oauth.syncd("status")
    assert run.code == 0, run.out + run.err
    (refresh,) = token_server.forms
    assert (urllib.parse.quote(FREEBUSY_SCOPE, safe="") in refresh) is granted
    assert (FREEBUSY_SCOPE in json.loads(token.read_text())["scopes"]) is granted


def test_a_revoked_token_is_one_clear_error_and_nothing_written(
    oauth: GoogleDemo, token_server: TokenServer
) -> None:
    token_server.revoked = True
    run = oauth.syncd("reconcile")
    assert run.code == 1
    assert "revoked or expired" in run.out and "syncd auth login" in run.out
    assert oauth.emu.requests() == []  # not one call to the calendar


def test_a_token_others_can_read_is_refused(oauth: GoogleDemo) -> None:
    token = oauth.root / "state" / TOKEN_FILE
    token.chmod(0o644)
    run = oauth.syncd("reconcile")
    assert run.code == 1
    assert "readable by others" in run.out and "chmod 600" in run.out
    assert "refresh-secret" not in run.out + run.err
    assert oauth.emu.requests() == []


def test_no_token_says_how_to_sign_in(oauth: GoogleDemo) -> None:
    (oauth.root / "state" / TOKEN_FILE).unlink()
    run = oauth.syncd("reconcile")
    assert run.code == 1 and "run `syncd auth login` first" in run.out


def test_anonymous_access_is_refused_for_a_real_endpoint(oauth: GoogleDemo) -> None:
    oauth.config.write_text(oauth.config.read_text().replace(
        "credentials: oauth", "credentials: anonymous").replace(
        oauth.emu.url, "https://www.googleapis.com"))
    run = syncd("validate", "--config", str(oauth.config))
    assert run.code == 2
    assert "calendar.api_endpoint: credentials: anonymous needs an api_endpoint" in run.err
