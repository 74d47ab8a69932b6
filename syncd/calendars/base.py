"""The small interface every calendar backend implements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from syncd.core.model import Series, SeriesPatch, SeriesSpec

# A feed's limits when the config does not set them: seconds to connect and between
# bytes, and the largest body read.
FEED_TIMEOUT = 30.0
FEED_MAX_BYTES = 20_000_000


class CalendarError(Exception):
    """A calendar could not be read or written; the message names the source, never a secret."""


class ConflictError(CalendarError):
    """The event changed since it was read (etag mismatch): not written, retried next run."""


@runtime_checkable
class CalendarSource(Protocol):
    """Something syncd can read events from."""

    name: str  # for messages; never contains a secret

    def read(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        """Every event with its instances between start and end.

        Raises CalendarError when the read is incomplete in any way: a partial
        read must never look like an empty calendar.
        """
        ...


@runtime_checkable
class CachingCalendar(CalendarSource, Protocol):
    """A calendar that keeps what a read learned for the next run (a feed's validators, a
    sync token), as versioned JSON the caller stores."""

    def cache_json(self) -> str:
        """The cache as of the last read (and this run's writes)."""
        ...


@runtime_checkable
class WritableCalendar(CalendarSource, Protocol):
    """A calendar syncd may write to (only ever events it owns)."""

    def create(self, spec: SeriesSpec) -> str:
        """Write a new series; returns its etag. Creating an existing uid is a no-op
        that returns the current etag (idempotent after a crash)."""
        ...

    def patch(self, uid: str, patch: SeriesPatch, etag: str) -> str:
        """Change the master of series `uid` if it still has `etag`; returns the new etag.

        Raises ConflictError when the event changed meanwhile and CalendarError when
        it is gone. Overrides (moved or cancelled instances) are kept as they are.
        """
        ...


@runtime_checkable
class BatchCreating(Protocol):
    """A calendar that can send many creates in one round trip before they are applied."""

    def create_many(self, specs: Sequence[SeriesSpec]) -> None:
        """Send these creates together; each `create(spec)` afterwards answers from what
        was sent (or tries again alone). Creating is idempotent, so nothing is lost if the
        run stops before the matching `create` calls."""
        ...
