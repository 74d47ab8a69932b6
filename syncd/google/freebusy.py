"""Other people's busy time from Google Calendar's `freebusy.query`.

Google answers per calendar; one it cannot show (another domain, nothing shared)
carries `errors` instead of busy time (https://developers.google.com/calendar/api/
v3/reference/freebusy/query), and a token without a free/busy scope is refused
with 403. Either way that person's availability is unknown, never free.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from syncd.core.schedule import Busy, Interval
from syncd.google.api import GoogleApi
from syncd.google.errors import GoogleError

log = logging.getLogger(__name__)


def query(api: GoogleApi, emails: Sequence[str], start: dt.datetime,
          end: dt.datetime) -> dict[str, Busy]:
    """Busy time in [start, end) for each email; `known` is False where Google showed none."""
    body = {"timeMin": start.isoformat(), "timeMax": end.isoformat(),
            "items": [{"id": email} for email in emails]}
    try:
        answer = api.execute(api.calendar().freebusy().query(body=body))
    except GoogleError as exc:
        log.info("free/busy not available: %s", exc)
        return {email: Busy(email, known=False) for email in emails}
    calendars = answer.get("calendars", {})
    return {email: _busy(email, calendars.get(email)) for email in emails}


def _busy(email: str, entry: Any) -> Busy:
    if not isinstance(entry, dict) or entry.get("errors") or not isinstance(
            entry.get("busy"), list):
        return Busy(email, known=False)
    return Busy(email, tuple(
        Interval(dt.datetime.fromisoformat(str(b["start"])),
                 dt.datetime.fromisoformat(str(b["end"])))
        for b in entry["busy"]))
