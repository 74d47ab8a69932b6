"""Logging to stderr: one line per event with its level, as text or JSON, secrets redacted.

Text is for people (`LEVEL logger: message`, with a timestamp unless stderr is
the journal, which stamps every line itself and reads a `<N>` syslog priority
prefix as the line's level). JSON (`--log-format json`) is one object per line
for log shippers. Every handler carries the Redactor from syncd/redact.py, and
the formatters run their whole output through it as well, so a secret cannot
leak through a traceback either. urllib3's request lines lose their path and query
(a redirect's target is a secret syncd has not seen yet).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from syncd.redact import Redactor, install_redactor

FORMATS = ("text", "json")

# logging level → syslog priority, for the journal's "<N>" line prefix.
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
             logging.CRITICAL: 2}


# urllib3 logs each request line at debug ('http://host:80 "GET /path?query HTTP/1.1" 200 512'),
# and a redirect's target reaches it before syncd could register that URL as a secret (a
# private feed that redirects to another private URL). Request targets are never logged.
_REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) (HTTP/[0-9.]+)"')


class HideRequestTargets(logging.Filter):
    """Replace the path and query of urllib3's request lines with "/…"; keeps every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite a urllib3 record's message; others pass unchanged."""
        if record.name.startswith("urllib3."):
            record.msg = _REQUEST_LINE.sub(r'"\1 /… \3"', record.getMessage())
            record.args = ()
        return True


def journal_stream(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """True when `stream` is the journal connection systemd named in JOURNAL_STREAM.

    systemd sets JOURNAL_STREAM="DEVICE:INODE" for a service whose stderr goes to
    the journal. Comparing it with the stream itself keeps a variable inherited
    by a shell (or a redirected stderr) from hiding the timestamps.
    """
    value = environ.get("JOURNAL_STREAM", "")
    try:
        device, inode = (int(part) for part in value.split(":"))
        info = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (info.st_dev, info.st_ino) == (device, inode)


_zone: dt.tzinfo | None = None  # the roster's zone once a config is loaded, else the machine's


def use_zone(zone: dt.tzinfo | None) -> None:
    """Stamp log lines in `zone` (the roster's, like "next run"); None: the machine's zone."""
    global _zone
    _zone = zone


def stamp(created: float) -> str:
    """A record's time as local ISO 8601 with its offset, e.g. 2026-11-25T10:15:00.123+01:00."""
    moment = dt.datetime.fromtimestamp(created, dt.UTC)
    return moment.astimezone(_zone).isoformat(timespec="milliseconds")


class _Redacting(logging.Formatter):
    """A formatter that also hides registered secrets in the finished line."""

    redactor: Redactor | None = None

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """Local time with its offset: a line read next to "next run …" means the same hour."""
        return stamp(record.created)

    def redact(self, text: str) -> str:
        if self.redactor is None:
            return text
        record = logging.makeLogRecord({"msg": text})
        self.redactor.filter(record)
        return record.getMessage()


class TextFormatter(_Redacting):
    """`LEVEL logger: message`, after a timestamp or a journal priority prefix."""

    def __init__(self, *, journal: bool) -> None:
        """Without `journal`, lines start with the local time."""
        super().__init__("%(levelname)s %(name)s: %(message)s" if journal
                         else "%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        """One formatted, redacted line."""
        line = self.redact(super().format(record))
        return f"<{_PRIORITY.get(record.levelno, 6)}>{line}" if self.journal else line


class JsonFormatter(_Redacting):
    """One JSON object per line: time (unless journald stamps it), level, logger, message."""

    def __init__(self, *, journal: bool) -> None:
        """With `journal`, the time is left to journald."""
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single JSON line (a traceback goes in "exception")."""
        out: dict[str, Any] = {}
        if not self.journal:
            out["time"] = stamp(record.created)
        out.update(level=record.levelname.lower(), logger=record.name,
                   message=record.getMessage())
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(out, ensure_ascii=False))


def setup_logging(
    level: str, log_format: str = "text", *, stream: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> Redactor:
    """Send log records at `level` and above to stderr in `log_format`; returns the redactor.

    Replaces any earlier setup, so each command (and each test) starts clean.
    """
    if log_format not in FORMATS:
        raise ValueError(f"unknown log format {log_format!r}")
    out = sys.stderr if stream is None else stream
    journal = journal_stream(out, os.environ if environ is None else environ)
    handler = logging.StreamHandler(out)
    formatter: _Redacting = (JsonFormatter(journal=journal) if log_format == "json"
                             else TextFormatter(journal=journal))
    handler.setFormatter(formatter)
    handler.addFilter(HideRequestTargets())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    redactor = install_redactor()
    formatter.redactor = redactor
    return redactor
