"""Keeping secrets out of messages and logs.

A calendar feed URL is a password: its path or query is often the only thing
that grants access. Messages name a feed by scheme and host only, and a logging
filter replaces any registered secret that still reaches a log line.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

_ELLIPSIS = "…"


def redact_url(url: str) -> str:
    """`url` with everything after the host (and port) replaced: "https://host/…"."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return _ELLIPSIS
    if not parts.scheme or not host:
        return _ELLIPSIS
    if ":" in host:
        host = f"[{host}]"
    where = f"{host}:{port}" if port is not None else host
    return f"{parts.scheme}://{where}/{_ELLIPSIS}"


class Redactor(logging.Filter):
    """A logging filter that replaces registered secrets in every record's message."""

    def __init__(self) -> None:
        """Start with no secrets."""
        super().__init__()
        self._secrets: dict[str, str] = {}

    def add(self, secret: str) -> None:
        """Hide `secret` from now on (a URL is shown redacted, anything else as "…")."""
        if not secret:
            return
        if "://" not in secret:
            self._secrets[secret] = _ELLIPSIS
            return
        self._secrets[secret] = redact_url(secret)
        # HTTP libraries log the request line ("GET /path?query HTTP/1.1") on its own.
        parts = urlsplit(secret.strip())
        request = parts.path + (f"?{parts.query}" if parts.query else "")
        if request.strip("/"):
            self._secrets[request] = f"/{_ELLIPSIS}"

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without secrets; never drops a record."""
        if not self._secrets:
            return True
        message = record.getMessage()
        # Longest first, so a secret that contains another is replaced whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            message = message.replace(secret, self._secrets[secret])
        record.msg = message
        record.args = ()
        return True


def install_redactor() -> Redactor:
    """The Redactor on every handler of the root logger, added once; returns it."""
    root = logging.getLogger()
    found = [f for h in root.handlers for f in h.filters if isinstance(f, Redactor)]
    redactor = found[0] if found else Redactor()
    for handler in root.handlers:
        # A handler kept from an earlier setup may carry another one: one redactor, with
        # every secret either knew, serves them all.
        for other in [f for f in handler.filters if isinstance(f, Redactor)]:
            if other is not redactor:
                redactor._secrets.update(other._secrets)
                handler.removeFilter(other)
        if redactor not in handler.filters:
            handler.addFilter(redactor)
    return redactor
