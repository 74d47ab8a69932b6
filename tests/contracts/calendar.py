"""The calendar contract: what every writable calendar backend promises syncd, written
once and run against each backend by subclassing (the model is vdirsyncer's StorageTests).

A backend's test class subclasses CalendarContract and overrides the `harness` fixture:
the backend itself plus the person's own calendar app (a second client that moves,
cancels, retitles and deletes), a way to break reads, and a request counter where the
backend speaks HTTP.
"""

from __future__ import annotations

import abc
import datetime as dt
import itertools
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import icalendar
import pytest

from syncd.calendars import resource
from syncd.calendars.base import CalendarError, ConflictError, WritableCalendar
from syncd.calendars.ical import master_of, uid_of, when
from syncd.core import identity
from syncd.core.model import Attendee, Cadence, Person, Series, SeriesPatch, SeriesSpec, Slot

ZONE = ZoneInfo("Europe/Berlin")
OWNER = Attendee("dana@example.com", "Dana Lead", "ACCEPTED")
ALICE = Attendee("alice@example.com", "Alice Example", "NEEDS-ACTION")
# The roster person the backend is told about (backends that filter keep their events).
PERSON = Person(ALICE.name, ALICE.email, Cadence("weekly", "weekly", weeks=1),
                Slot(1, dt.time(10)), dt.timedelta(minutes=45))
FIRST = dt.datetime(2026, 11, 3, 10, 0, tzinfo=ZONE)  # a Tuesday
WEEK = dt.timedelta(days=7)
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=ZONE)
WINDOW = (dt.datetime(2026, 10, 1, tzinfo=ZONE), dt.datetime(2027, 3, 1, tzinfo=ZONE))
NOTES_URL = "https://notes.example.com/alice"
SPEC = SeriesSpec(
    uid=identity.series_uid(ALICE.email, 1), marker=identity.marker(ALICE.email, 1),
    summary="1:1 Alice Example / Dana Lead", start=FIRST, duration=dt.timedelta(minutes=45),
    timezone="Europe/Berlin", rrule="FREQ=WEEKLY;BYDAY=TU", organizer=OWNER, attendee=ALICE,
    description="Recurring 1:1 (weekly), kept by syncd.")


class CalendarHarness(abc.ABC):
    """A backend under test and the person's own client beside it."""

    calendar: WritableCalendar
    counts_requests = False  # True where the backend speaks HTTP and requests() counts them

    def requests(self) -> int:
        """HTTP requests the backend sent so far."""
        return 0

    @abc.abstractmethod
    def next_run(self) -> WritableCalendar:
        """The backend as the next run opens it (a new object, with what state kept)."""

    @abc.abstractmethod
    def move(self, uid: str, recurrence_id: dt.datetime, to: dt.datetime) -> None:
        """The person moves one instance (keeping its length)."""

    @abc.abstractmethod
    def cancel(self, uid: str, recurrence_id: dt.datetime) -> None:
        """The person cancels one instance."""

    @abc.abstractmethod
    def retitle(self, uid: str, title: str) -> None:
        """The person renames the whole series (its etag changes)."""

    @abc.abstractmethod
    def delete(self, uid: str) -> None:
        """The person deletes the whole series."""

    @abc.abstractmethod
    def break_reads(self) -> None:
        """From now on, reading the calendar fails part-way or at once."""


class ResourceHarness(CalendarHarness):
    """The person's edits for backends that store iCalendar text: they change the
    resource the way a calendar app does (an override VEVENT, a new SUMMARY)."""

    @abc.abstractmethod
    def get_raw(self, uid: str) -> bytes:
        """The stored resource holding `uid`."""

    @abc.abstractmethod
    def put_raw(self, uid: str, raw: bytes) -> None:
        """Store the person's version of that resource."""

    def _edit(self, uid: str, change: icalendar.Calendar) -> None:
        self.put_raw(uid, change.to_ical())

    def _calendar(self, uid: str) -> tuple[icalendar.Calendar, icalendar.Event]:
        calendar = resource.parse(self.get_raw(uid))
        master = master_of([e for e in calendar.walk("VEVENT") if uid_of(e) == uid])
        assert master is not None
        return calendar, master

    def _override(self, uid: str, recurrence_id: dt.datetime, start: dt.datetime,
                  status: str, declined: str = "") -> None:
        calendar, master = self._calendar(uid)
        length = when(master, "DTEND") - when(master, "DTSTART")
        event = icalendar.Event()
        for name in ("UID", "SUMMARY", "ORGANIZER", "X-SYNCD-ID"):
            if name in master:
                event[name] = master[name]
        for attendee in master.get("ATTENDEE", []):
            copy = icalendar.vCalAddress(str(attendee))
            copy.params.update(attendee.params)
            if declined and str(attendee).lower() == f"mailto:{declined}":
                copy.params["PARTSTAT"] = "DECLINED"
            event.add("ATTENDEE", copy)
        event.add("DTSTAMP", dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
        event.add("RECURRENCE-ID", recurrence_id.astimezone(ZONE))
        event.add("DTSTART", start.astimezone(ZONE))
        event.add("DTEND", start.astimezone(ZONE) + length)
        event.add("SEQUENCE", 1)
        event.add("STATUS", status)
        calendar.add_component(event)
        self._edit(uid, calendar)

    def move(self, uid: str, recurrence_id: dt.datetime, to: dt.datetime) -> None:
        self._override(uid, recurrence_id, to, "CONFIRMED")

    def cancel(self, uid: str, recurrence_id: dt.datetime) -> None:
        self._override(uid, recurrence_id, recurrence_id, "CANCELLED")

    def decline(self, uid: str, recurrence_id: dt.datetime, email: str) -> None:
        """`email` declines one instance (their answer lands on the lead's copy)."""
        self._override(uid, recurrence_id, recurrence_id, "CONFIRMED", declined=email)

    def retitle(self, uid: str, title: str) -> None:
        calendar, master = self._calendar(uid)
        master.pop("SUMMARY")
        master.add("SUMMARY", title)
        master.pop("SEQUENCE", None)
        master.add("SEQUENCE", 5)
        self._edit(uid, calendar)


def one(series: tuple[Series, ...], uid: str) -> Series:
    """The series `uid` of a read, asserting it is there exactly once."""
    found = [s for s in series if s.uid == uid]
    assert len(found) == 1, [s.uid for s in series]
    return found[0]


def instance_at(series: Series, recurrence_id: dt.datetime) -> tuple[dt.datetime, str]:
    """(start, status) of the instance the rule put at `recurrence_id`."""
    (found,) = [i for i in series.instances if i.recurrence_id == recurrence_id]
    return found.start, found.status


class CalendarContract:
    """What every writable calendar does; subclasses provide the `harness` fixture."""

    @pytest.fixture
    def harness(self) -> Iterator[CalendarHarness]:
        raise NotImplementedError("a backend's test class provides its harness")

    def test_read_returns_what_create_wrote(self, harness: CalendarHarness) -> None:
        harness.calendar.create(SPEC)
        series = one(harness.next_run().read(*WINDOW), SPEC.uid)
        assert (series.summary, series.start, series.duration, series.marker) == \
            (SPEC.summary, SPEC.start, SPEC.duration, SPEC.marker)
        assert "FREQ=WEEKLY" in series.rrule and "BYDAY=TU" in series.rrule
        assert series.organizer == OWNER.email
        assert {a.email for a in series.attendees} == {OWNER.email, ALICE.email}
        (guest,) = [a for a in series.attendees if a.email == ALICE.email]
        assert (guest.name, guest.partstat) == (ALICE.name, "NEEDS-ACTION")
        assert series.description.startswith(SPEC.description)
        assert series.timezone == SPEC.timezone
        starts = [i.start for i in series.instances]
        assert starts[0] == FIRST and starts[1] == FIRST + WEEK
        assert all(b - a == WEEK for a, b in itertools.pairwise(starts))
        assert starts[-1] < WINDOW[1] <= starts[-1] + WEEK

    def test_a_notes_link_is_read_back(self, harness: CalendarHarness) -> None:
        harness.calendar.create(SPEC)
        before = one(harness.calendar.read(*WINDOW), SPEC.uid)
        etag = harness.calendar.patch(SPEC.uid, SeriesPatch(notes_url=NOTES_URL), before.etag)
        after = one(harness.next_run().read(*WINDOW), SPEC.uid)
        assert after.notes_url == NOTES_URL
        # The etag a write returns is the one the next read sees: state may keep it.
        assert after.etag == etag != before.etag

    def test_a_persons_move_and_cancel_read_back_as_overrides(
        self, harness: CalendarHarness
    ) -> None:
        harness.calendar.create(SPEC)
        moved_to = FIRST + WEEK + dt.timedelta(days=1, hours=3)
        harness.move(SPEC.uid, FIRST + WEEK, moved_to)
        harness.cancel(SPEC.uid, FIRST + 2 * WEEK)
        series = one(harness.next_run().read(*WINDOW), SPEC.uid)
        assert instance_at(series, FIRST + WEEK)[0] == moved_to
        assert instance_at(series, FIRST + 2 * WEEK)[1] == "CANCELLED"
        assert instance_at(series, FIRST + 3 * WEEK) == (FIRST + 3 * WEEK, "CONFIRMED")

    def test_creating_the_same_series_twice_gives_one(self, harness: CalendarHarness) -> None:
        first = harness.calendar.create(SPEC)
        assert harness.calendar.create(SPEC) == first
        # The next run after a crash between the write and its state commit.
        again = harness.next_run().create(SPEC)
        read = harness.next_run().read(*WINDOW)
        assert [s.uid for s in read if s.marker == SPEC.marker] == [SPEC.uid]
        assert again == one(read, SPEC.uid).etag

    def test_a_series_deleted_before_the_next_run_reads_as_gone(
        self, harness: CalendarHarness
    ) -> None:
        # Read first, so an incremental backend's token predates the write: a server may
        # leave a resource made and deleted since then out of the next sync altogether.
        assert harness.calendar.read(*WINDOW) == ()
        harness.calendar.create(SPEC)
        harness.delete(SPEC.uid)
        assert harness.next_run().read(*WINDOW) == ()

    def test_a_stale_etag_is_a_conflict_that_writes_nothing(
        self, harness: CalendarHarness
    ) -> None:
        harness.calendar.create(SPEC)
        seen = one(harness.calendar.read(*WINDOW), SPEC.uid)
        harness.retitle(SPEC.uid, "Alice and Dana, renamed by Alice")
        with pytest.raises(ConflictError):
            harness.calendar.patch(SPEC.uid, SeriesPatch(
                duration=dt.timedelta(minutes=60), summary="syncd's title",
                notes_url=NOTES_URL), seen.etag)
        after = one(harness.next_run().read(*WINDOW), SPEC.uid)
        assert after.summary == "Alice and Dana, renamed by Alice"
        assert (after.duration, after.notes_url) == (SPEC.duration, "")

    def test_patching_a_missing_series_is_an_error(self, harness: CalendarHarness) -> None:
        harness.calendar.create(SPEC)
        seen = one(harness.calendar.read(*WINDOW), SPEC.uid)
        harness.delete(SPEC.uid)
        with pytest.raises(CalendarError):
            harness.calendar.patch(SPEC.uid, SeriesPatch(summary="back?"), seen.etag)
        never = identity.series_uid(ALICE.email, 7)
        with pytest.raises(CalendarError):
            harness.calendar.patch(never, SeriesPatch(summary="never made"), seen.etag)
        # An error, and nothing brought back.
        assert [s.uid for s in harness.next_run().read(*WINDOW)] == []

    def test_a_persons_overrides_survive_syncds_patch(self, harness: CalendarHarness) -> None:
        harness.calendar.create(SPEC)
        moved_to = FIRST + WEEK + dt.timedelta(hours=4)
        harness.move(SPEC.uid, FIRST + WEEK, moved_to)
        harness.cancel(SPEC.uid, FIRST + 2 * WEEK)
        seen = one(harness.next_run().read(*WINDOW), SPEC.uid)
        calendar = harness.next_run()
        calendar.read(*WINDOW)
        calendar.patch(SPEC.uid, SeriesPatch(duration=dt.timedelta(minutes=60),
                                             notes_url=NOTES_URL), seen.etag)
        after = one(harness.next_run().read(*WINDOW), SPEC.uid)
        assert after.duration == dt.timedelta(minutes=60)
        assert after.notes_url == NOTES_URL
        assert instance_at(after, FIRST + WEEK)[0] == moved_to
        assert instance_at(after, FIRST + 2 * WEEK)[1] == "CANCELLED"
        assert instance_at(after, FIRST + 3 * WEEK) == (FIRST + 3 * WEEK, "CONFIRMED")

    def test_ending_a_series_keeps_its_past(self, harness: CalendarHarness) -> None:
        harness.calendar.create(SPEC)
        seen = one(harness.calendar.read(*WINDOW), SPEC.uid)
        harness.calendar.patch(SPEC.uid, SeriesPatch(until=NOW), seen.etag)
        after = one(harness.next_run().read(*WINDOW), SPEC.uid)
        past = [i.start for i in seen.instances if i.start < NOW]
        assert [i.start for i in after.instances] == past
        assert len(past) == 4 and after.start == FIRST
        assert "UNTIL=" in after.rrule

    def test_a_failed_read_is_an_error_not_an_empty_calendar(
        self, harness: CalendarHarness
    ) -> None:
        harness.calendar.create(SPEC)
        harness.break_reads()
        with pytest.raises(CalendarError):
            harness.next_run().read(*WINDOW)

    def test_the_no_change_read_is_cheap_and_the_same(self, harness: CalendarHarness) -> None:
        harness.calendar.create(SPEC)
        first = harness.next_run().read(*WINDOW)
        later = harness.next_run()
        mark = harness.requests()
        assert later.read(*WINDOW) == first
        if harness.counts_requests:
            assert harness.requests() - mark == 1
