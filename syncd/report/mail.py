"""Sending the report by email: one multipart message (text + HTML) over SMTP.

The connection is encrypted with STARTTLS (the default) or SSL and the server's
certificate is checked; `security: none` is for a relay on the same machine and
never logs in. The password is read from a file or an environment variable at send
time, never from the config, and never appears in a message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.errors
import smtplib
import ssl
from collections.abc import Iterator, Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from syncd.config import EmailConfig
from syncd.core.oneline import one_line

TIMEOUT = 30.0  # seconds to connect, and for each answer of the server
# The email package drops the quotes around a display name it has to fold across lines,
# and a "<x@y>" inside the name then reads as the sender's address. A name this short
# always fits on one line with its quotes; longer ones are cut.
_MAX_DISPLAY_NAME = 60


class MailError(Exception):
    """The report could not be sent; the message says why, without any secret."""


def message(
    config: EmailConfig, sender_name: str, subject: str, text: str, html: str,
    date: dt.datetime,
) -> EmailMessage:
    """The report as a multipart/alternative message: plain text first, then HTML.

    Header values are single lines and built through the email package's header
    objects, so a name holding CR/LF cannot add a header (a Bcc, say) of its own.
    """
    try:
        msg = EmailMessage()
        msg["Subject"] = one_line(subject)
        msg["From"] = Address(display_name=_display_name(sender_name), addr_spec=config.sender)
        msg["To"] = [Address(addr_spec=address) for address in config.to]
        msg["Date"] = format_datetime(date)
        msg["Message-ID"] = make_msgid("syncd-report", domain=config.sender.rpartition("@")[2])
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
    except (ValueError, IndexError, email.errors.MessageError) as exc:
        raise MailError(f"cannot build the message: {exc}") from None
    return msg


def _display_name(name: str) -> str:
    text = one_line(name)
    # An ASCII ellipsis: "…" would make the whole name an encoded word.
    return text if len(text) <= _MAX_DISPLAY_NAME else text[:_MAX_DISPLAY_NAME - 3] + "..."


def password(config: EmailConfig, environ: Mapping[str, str]) -> str:
    """The SMTP password from `password_env` or `password_file` (its final newline dropped)."""
    if config.password_env:
        value = environ.get(config.password_env, "")
        if not value:
            raise MailError(f"environment variable {config.password_env} (password_env) "
                            "is not set")
        return value
    if config.password_file is None:
        raise MailError("report.email has a user but no password_file or password_env")
    try:
        value = config.password_file.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise MailError(f"cannot read password_file {config.password_file}: {why}") from None
    if not value:
        raise MailError(f"password_file {config.password_file} is empty")
    return value


def send(
    config: EmailConfig, msg: EmailMessage, environ: Mapping[str, str],
    timeout: float = TIMEOUT,
) -> None:
    """Deliver `msg` to `config.to`; MailError unless the server accepted every recipient."""
    where = f"{config.host}:{config.server_port}"
    try:
        with _session(config, environ, timeout) as client:
            refused = client.send_message(msg, from_addr=config.sender, to_addrs=list(config.to))
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"{where}: every recipient refused: {', '.join(exc.recipients)}") \
            from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{where}: {exc or type(exc).__name__}") from None
    if refused:
        raise MailError(f"{where}: recipients refused: {', '.join(sorted(refused))}")


def check_login(config: EmailConfig, environ: Mapping[str, str],
                timeout: float = TIMEOUT) -> None:
    """Connect, encrypt and log in as `send` would, then quit without sending (`syncd
    doctor`); MailError when any step fails."""
    where = f"{config.host}:{config.server_port}"
    try:
        with _session(config, environ, timeout):
            pass
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{where}: {exc or type(exc).__name__}") from None


@contextlib.contextmanager
def _session(config: EmailConfig, environ: Mapping[str, str],
             timeout: float) -> Iterator[smtplib.SMTP]:
    """A connection encrypted and logged in as the config says (MailError on a refusal)."""
    secret = password(config, environ) if config.user else None
    where = f"{config.host}:{config.server_port}"
    # An explicit ca_file replaces the system's trust store (a private relay's CA).
    context = ssl.create_default_context(
        cafile=str(config.ca_file) if config.ca_file is not None else None)
    try:
        port = config.server_port
        client = smtplib.SMTP_SSL(config.host, port, timeout=timeout, context=context) \
            if config.security == "ssl" else smtplib.SMTP(config.host, port, timeout=timeout)
        with client:
            if config.security == "starttls":
                # Fails when the server does not offer STARTTLS: never falls back to plain.
                client.starttls(context=context)
            if config.user and secret is not None:
                client.login(config.user, secret)
            yield client
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"{where}: login as {config.user} refused ({_answer(exc)})") from None
    except smtplib.SMTPRecipientsRefused:
        raise
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"{where}: {_answer(exc)}") from None


def _answer(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
        else str(exc.smtp_error)
    return f"{exc.smtp_code} {one_line(text)}".strip()
