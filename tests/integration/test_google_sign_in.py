"""Signing in to Google: `syncd auth login` through the real installed-app flow (a local
redirect server and a token endpoint on loopback), service-account keys, and the clear
errors for a token that cannot be used."""

from __future__ import annotations

import json
import stat
import sys
import webbrowser
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from syncd.google.auth import CALENDAR_SCOPE, DRIVE_SCOPE, FREEBUSY_SCOPE, TOKEN_FILE
from tests.integration.gdemo import GoogleDemo
from tests.integration.test_google_auth import TokenServer, oauth, token_server
from tests.workspace import HEAD_YAML, PEOPLE_YAML, Workspace, syncd

__all__ = ["oauth", "token_server"]  # fixtures, used by name

# Plays the person in the browser: reads the consent URL syncd opened, and goes straight
# to the redirect with a code, in the background so the browser command returns at once.
CONSENT = """\
import pathlib, sys, urllib.parse, urllib.request
pathlib.Path(sys.argv[0]).with_suffix(".url").write_text(sys.argv[1])
query = urllib.parse.parse_qs(urllib.parse.urlparse(sys.argv[1]).query)
target = query["redirect_uri"][0] + "?" + urllib.parse.urlencode(
    {"code": "code-from-google", "state": query["state"][0], "scope": " ".join(query["scope"])})
urllib.request.urlopen(target, timeout=30).read()
"""


def client_secrets(folder: Path, token_uri: str) -> Path:
    path = folder / "client.json"
    path.write_text(json.dumps({"installed": {
        "client_id": "client.apps.example", "client_secret": "client-secret",
        "auth_uri": "https://accounts.example.com/o/oauth2/auth", "token_uri": token_uri,
        "redirect_uris": ["http://localhost"]}}))
    return path


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BROWSER runs the consent script; webbrowser reads BROWSER afresh. Returns the file
    where the script leaves the consent URL it was given."""
    script = tmp_path / "consent.py"
    script.write_text(CONSENT)
    opener = tmp_path / "open-browser"
    opener.write_text(f'#!/bin/sh\n"{sys.executable}" "{script}" "$1" &\n')
    opener.chmod(0o755)
    monkeypatch.setenv("BROWSER", f"{opener} %s")
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    monkeypatch.setattr(webbrowser, "_browsers", {})
    # The token endpoint of this test is plain http on loopback.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    return script.with_suffix(".url")


def test_auth_login_runs_the_consent_flow_and_stores_a_private_token(
    oauth: GoogleDemo, token_server: TokenServer, browser: Path,
) -> None:
    state = oauth.root / "state"
    (state / TOKEN_FILE).unlink()
    secrets = client_secrets(oauth.root, token_server.url)
    oauth.config.write_text(oauth.config.read_text().replace(
        "credentials: oauth", f"credentials: oauth, client_secrets: '{secrets}'"))
    run = syncd("auth", "login", "--config", str(oauth.config))
    assert run.code == 0, run.out + run.err
    token = state / TOKEN_FILE
    assert run.out.splitlines()[-1] == f"signed in; token stored in {token} (mode 0600)"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    stored = json.loads(token.read_text())
    assert stored["token"] == "fresh-access"
    # Free/busy is asked for too (for `syncd suggest`), but never required of a token.
    assert set(stored["scopes"]) == {CALENDAR_SCOPE, DRIVE_SCOPE, FREEBUSY_SCOPE}
    assert token_server.calls == 1
    assert "client-secret" not in run.out + run.err
    # Asked with a consent screen, so Google sends a refresh token on every sign-in.
    consent_url = browser.read_text()
    assert "prompt=consent" in consent_url and "access_type=offline" in consent_url


def test_a_sign_in_without_a_refresh_token_is_not_stored(
    oauth: GoogleDemo, token_server: TokenServer, browser: Path,
) -> None:
    token = oauth.root / "state" / TOKEN_FILE
    before = token.read_text()
    token_server.refresh_token = None
    secrets = client_secrets(oauth.root, token_server.url)
    oauth.config.write_text(oauth.config.read_text().replace(
        "credentials: oauth", f"credentials: oauth, client_secrets: '{secrets}'"))
    run = syncd("auth", "login", "--config", str(oauth.config))
    assert run.code == 1
    assert "Google sent no refresh token" in run.err and "nothing was stored" in run.err
    assert token.read_text() == before


def test_a_token_without_the_scope_the_notes_need_asks_to_sign_in_again(
    oauth: GoogleDemo,
) -> None:
    token = oauth.root / "state" / TOKEN_FILE
    token.write_text(token.read_text().replace(f', "{DRIVE_SCOPE}"', ""))
    run = oauth.syncd("reconcile")
    assert run.code == 1
    assert f"the token lacks {DRIVE_SCOPE}; run `syncd auth login` again" in run.out
    assert oauth.emu.requests() == []


def test_auth_login_without_client_secrets_says_what_to_set(oauth: GoogleDemo) -> None:
    run = syncd("auth", "login", "--no-browser", "--config", str(oauth.config))
    assert run.code == 1
    assert "set google.client_secrets to the OAuth client JSON" in run.err


def test_auth_login_with_a_file_that_is_not_a_client_file(oauth: GoogleDemo) -> None:
    bad = oauth.root / "client.json"
    bad.write_text('{"other": {"client_id": "x"}}')
    oauth.config.write_text(oauth.config.read_text().replace(
        "credentials: oauth", f"credentials: oauth, client_secrets: '{bad}'"))
    run = syncd("auth", "login", "--no-browser", "--config", str(oauth.config))
    assert run.code == 1
    assert f"{bad}: not an OAuth client file" in run.err
    assert not (oauth.root / "state" / TOKEN_FILE).read_text().count("fresh-access")


def test_auth_login_with_a_client_file_of_the_wrong_shape(oauth: GoogleDemo) -> None:
    bad = oauth.root / "client.json"
    bad.write_text('{"web": "not a client"}')
    oauth.config.write_text(oauth.config.read_text().replace(
        "credentials: oauth", f"credentials: oauth, client_secrets: '{bad}'"))
    run = syncd("auth", "login", "--no-browser", "--config", str(oauth.config))
    assert run.code == 1
    assert f"{bad}: not an OAuth client file" in run.err
    assert "Traceback" not in run.err


def test_auth_login_with_nothing_at_google_has_nothing_to_sign_in_to(demo: Workspace) -> None:
    secrets = client_secrets(demo.root, "https://oauth2.example.com/token")
    demo.config.write_text(HEAD_YAML + f"google: {{client_secrets: '{secrets}'}}\n"
                           + PEOPLE_YAML)
    run = syncd("auth", "login", "--no-browser", "--config", str(demo.config))
    assert run.code == 1
    assert "neither the calendar nor the notes use Google" in run.err
    assert not (demo.state / TOKEN_FILE).exists()


def test_a_token_file_that_is_not_json_asks_to_sign_in_again(oauth: GoogleDemo) -> None:
    (oauth.root / "state" / TOKEN_FILE).write_text("{half a token")
    run = oauth.syncd("reconcile")
    assert run.code == 1
    assert "not a usable Google token" in run.out and "syncd auth login" in run.out


def test_an_unreachable_token_endpoint_is_said_so(
    oauth: GoogleDemo, token_server: TokenServer,
) -> None:
    token_server.httpd.shutdown()
    token_server.httpd.server_close()
    run = oauth.syncd("reconcile")
    assert run.code == 1
    assert "cannot reach Google to refresh the token" in run.out
    assert oauth.emu.requests() == []


# --- service accounts ----------------------------------------------------------------


def service_account_key(folder: Path, token_uri: str, mode: int = 0o600) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = folder / "service-account.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "p", "private_key_id": "k1",
        "private_key": pem, "client_email": "syncd@p.iam.gserviceaccount.com",
        "client_id": "1", "token_uri": token_uri}))
    path.chmod(mode)
    return path


def use_service_account(demo: GoogleDemo, key: Path, extra: str = "") -> None:
    demo.config.write_text(demo.config.read_text().replace(
        "credentials: oauth",
        f"credentials: service-account, service_account_file: '{key}'{extra}"))


def test_a_service_account_acting_for_the_lead_reconciles(
    oauth: GoogleDemo, token_server: TokenServer,
) -> None:
    use_service_account(oauth, service_account_key(oauth.root, token_server.url),
                        ", subject: dana@example.com")
    run = oauth.syncd("reconcile")
    assert run.code == 0, run.out + run.err
    assert token_server.calls == 1
    assert len(oauth.masters()) == 4


def test_a_service_account_key_others_can_read_is_refused(
    oauth: GoogleDemo, token_server: TokenServer,
) -> None:
    use_service_account(oauth, service_account_key(oauth.root, token_server.url, 0o644))
    run = oauth.syncd("reconcile")
    assert run.code == 1
    assert "service account key" in run.out and "readable by others" in run.out
    assert token_server.calls == 0 and oauth.emu.requests() == []


def test_a_file_that_is_no_service_account_key_is_named(oauth: GoogleDemo) -> None:
    key = oauth.root / "service-account.json"
    key.write_text('{"type": "service_account"}')
    key.chmod(0o600)
    use_service_account(oauth, key)
    run = oauth.syncd("reconcile")
    assert run.code == 1
    assert f"{key}: not a service account key" in run.out
