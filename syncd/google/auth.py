"""Signing in to Google: the installed-app OAuth flow, a stored token, service accounts.

The token grants access to the lead's calendar and Docs, so it lives in the state
directory with mode 0600 and a token file others can read is refused rather than
used. Scopes are the least that work: events the lead owns, and only the Drive
files syncd itself created (`drive.file`) when Google Docs notes are on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import google.auth.exceptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from syncd.config import Config, GoogleCalendarConfig, GoogleDocsNotesConfig
from syncd.fsutil import atomic_write
from syncd.google.errors import AuthError
from syncd.preflight import exposed
from syncd.redact import install_redactor

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events.owned"
DRIVE_SCOPE = "https://www.googleapis.com/auth/drive.file"
# Asked for at login but never required: without it `syncd suggest` cannot see anyone's
# free/busy and says so, and a token from before it was asked for keeps working.
FREEBUSY_SCOPE = "https://www.googleapis.com/auth/calendar.freebusy"
TOKEN_FILE = "google-token.json"

__all__ = ["AuthError", "credentials", "hide_secrets", "login", "save_token", "scopes",
           "token_path"]


def scopes(config: Config) -> list[str]:
    """The scopes this config needs: calendar events if the calendar is Google's, Drive
    files if the notes are Google Docs."""
    wanted = []
    if isinstance(config.calendar, GoogleCalendarConfig):
        wanted.append(CALENDAR_SCOPE)
    if isinstance(config.notes, GoogleDocsNotesConfig):
        wanted.append(DRIVE_SCOPE)
    return wanted


def login_scopes(config: Config) -> list[str]:
    """What `auth login` asks for: the scopes the config needs, and free/busy with a
    Google calendar."""
    extra = [FREEBUSY_SCOPE] if isinstance(config.calendar, GoogleCalendarConfig) else []
    return scopes(config) + extra


def token_path(state_dir: Path) -> Path:
    """Where `syncd auth login` keeps the OAuth token."""
    return state_dir / TOKEN_FILE


def credentials(config: Config, state_dir: Path) -> Credentials:
    """Credentials for the config's Google backends, refreshed if they had expired."""
    google = config.google
    if google.credentials == "anonymous":
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    if google.credentials == "service-account":
        assert google.service_account_file is not None  # checked by the config
        _check_private(google.service_account_file, "service account key")
        try:
            account: service_account.Credentials = (
                service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                    str(google.service_account_file), scopes=scopes(config)))
        except (ValueError, OSError) as exc:
            raise AuthError(f"{google.service_account_file}: not a service account key "
                            f"({exc})") from None
        if google.subject:
            delegated: service_account.Credentials = account.with_subject(  # type: ignore[no-untyped-call]
                google.subject)
            return delegated
        return account
    return _user_token(token_path(state_dir), scopes(config), login_scopes(config),
                       google.token_uri)


def _user_token(path: Path, wanted: list[str], welcome: list[str],
                token_uri: str | None) -> Credentials:
    """The stored token for `wanted` scopes, plus those of `welcome` it was granted."""
    if not path.exists():
        raise AuthError(f"no Google token in {path}: run `syncd auth login` first")
    _check_private(path, "Google token")
    try:
        info = json.loads(path.read_text())
        granted = info.get("scopes")
        if isinstance(granted, str):
            granted = granted.split()
        if isinstance(granted, list):
            wanted = [*wanted, *(s for s in welcome if s in granted and s not in wanted)]
        token: user_credentials.Credentials = (
            user_credentials.Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
                info, wanted))
        if token_uri is not None:
            expiry = token.expiry  # with_token_uri's copy forgets it
            token = token.with_token_uri(token_uri)
            token.expiry = expiry
    except (ValueError, OSError) as exc:
        raise AuthError(f"{path}: not a usable Google token ({exc}); "
                        "run `syncd auth login` again") from None
    hide_secrets(token)
    # from_authorized_user_info takes `wanted` as the token's scopes whatever the file
    # says: what Google granted is the file's own list (absent in old files: not known).
    if isinstance(granted, list) and (missing := set(wanted) - set(granted)):
        raise AuthError(f"{path}: the token lacks {', '.join(sorted(missing))}; "
                        "run `syncd auth login` again")
    if not token.valid:
        # requests (and urllib3) only for a refresh: a run with a valid token never loads them.
        from google.auth.transport.requests import Request

        try:
            token.refresh(Request())  # type: ignore[no-untyped-call]
        except google.auth.exceptions.RefreshError:
            raise AuthError("Google refused the stored token (revoked or expired): "
                            "run `syncd auth login` again") from None
        except google.auth.exceptions.TransportError as exc:
            raise AuthError(f"cannot reach Google to refresh the token: {exc}") from None
        hide_secrets(token)
        save_token(path, token)
    return token


def hide_secrets(token: user_credentials.Credentials) -> None:
    """Register the token's secrets with the log redactor, so no log line can show them.

    Nothing in syncd logs them on purpose; this also covers a library's debug line or
    an exception message that quotes a request.
    """
    redactor = install_redactor()
    for secret in (token.token, token.refresh_token, token.client_secret):
        if secret:
            redactor.add(secret)


def _check_private(path: Path, what: str) -> None:
    """Refuse a secret file that others can read or write: someone may have copied it."""
    try:
        why = exposed(path, what, "revoke it and sign in again")
    except OSError as exc:
        raise AuthError(f"{path}: cannot read the {what}: {exc.strerror}") from None
    if why is not None:
        raise AuthError(why)


def save_token(path: Path, token: user_credentials.Credentials) -> None:
    """Store the token with mode 0600 (written whole, never half), even over a token
    file that was more open."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    atomic_write(path, token.to_json().encode(), 0o600,  # type: ignore[no-untyped-call]
                 keep_mode=False)


def login(config: Config, state_dir: Path, *, open_browser: bool, port: int = 0) -> Path:
    """Run the installed-app OAuth flow and store the token; returns where it went.

    The flow listens on 127.0.0.1; on a headless box the URL is printed to open
    on another machine (with an SSH tunnel to the port).
    """
    from google_auth_oauthlib.flow import InstalledAppFlow

    secrets = config.google.client_secrets
    if secrets is None:
        raise AuthError("set google.client_secrets to the OAuth client JSON "
                        "(see docs/google-setup.md)")
    wanted = login_scopes(config)
    if not wanted:
        raise AuthError("neither the calendar nor the notes use Google: nothing to sign in to")
    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(secrets), scopes=wanted)
    except (ValueError, OSError, KeyError, TypeError, AttributeError) as exc:
        # The client library reads the JSON's shape without checking it first.
        raise AuthError(f"{secrets}: not an OAuth client file ({exc})") from None
    token: Any = flow.run_local_server(
        host="127.0.0.1", port=port, open_browser=open_browser,
        authorization_prompt_message="Open this URL to let syncd use your calendar:\n{url}",
        success_message="syncd is signed in. You may close this window.",
        # Google sends a refresh token only with a consent screen; without one a second
        # login would store a token that stops working within the hour.
        prompt="consent")
    hide_secrets(token)
    if not token.refresh_token:
        raise AuthError("Google sent no refresh token, so the sign-in would not last; "
                        "nothing was stored. Run `syncd auth login` again")
    path = token_path(state_dir)
    save_token(path, token)
    return path
