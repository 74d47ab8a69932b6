"""The Google backends (Calendar v3 + Docs) under arbitrary sequences of roster changes,
a person's calendar and notes edits, injected API faults and reconcile runs.

syncd runs through its real CLI and the real google-api-python-client against the
loopback emulator; a person edits their calendar and notes with the real client too.

On RosterMachine (the roster, the clock, a person's instance edits through
`edit_instance`, the CLI reconcile and the shared checks); this module adds Google's own
edits (a cancelled instance is deleted, a declined one patched), its faults and what the
emulator's events and Docs must keep.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build
from hypothesis import strategies as st
from hypothesis.stateful import rule

from syncd.calendars.google import MARKER_KEY, UID_KEY, event_id
from syncd.core import cadence, identity, planner
from syncd.notes.gdocs import _Read
from syncd.notes.text import HEADING_TEXT
from tests.emulator import running_emulator
from tests.stateful import roster as R
from tests.stateful.conftest import profile
from tests.stateful.machine import ZONE_INFO, RosterMachine

Event = dict[str, Any]
# What a person's instance edit is made of, compared before and after every run.
EDIT_FIELDS = ("status", "start", "end", "attendees", "summary")


def _marker(event: Event) -> str:
    return str(event.get("extendedProperties", {}).get("private", {}).get(MARKER_KEY, ""))


def _until(event: Event) -> dt.datetime | None:
    for line in event.get("recurrence", []):
        found = re.search(r"UNTIL=(\d{8}T\d{6}Z|\d{8})", line)
        if found:
            text = found.group(1)
            if "T" in text:
                return dt.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            return dt.datetime.strptime(text, "%Y%m%d").replace(tzinfo=ZONE_INFO)
    return None


def _original_start(event: Event) -> dt.datetime:
    return dt.datetime.fromisoformat(event["originalStartTime"]["dateTime"])


class GoogleMachine(RosterMachine):
    """The lead's roster, people's edits through the real client, faults, syncd runs."""

    def __init__(self) -> None:
        super().__init__()
        self.stack = contextlib.ExitStack()
        self.emu = self.stack.enter_context(running_emulator(owner=R.OWNER))
        anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]
        self.client = build("calendar", "v3", credentials=anonymous,
                            static_discovery=True,
                            client_options={"api_endpoint": self.emu.calendar_endpoint})
        self.docs_client = build("docs", "v1", credentials=anonymous,
                                 static_discovery=True,
                                 client_options={"api_endpoint": self.emu.docs_endpoint})
        # The base's titles, descriptions and notes lines are by event id and Doc id.
        self.edits: dict[str, Event] = {}  # instance id → its fields after the person's edit
        # Events syncd must never change: copies of its series (marker included), events a
        # person replaced under an owned id, 1:1s the other person organizes.
        self.foreign: dict[str, Event] = {}
        self.moved: dict[str, Event] = {}  # event id → the start a person moved the series to
        # 1:1s the other person organizes → their shared fields, which syncd must never change
        # (it may keep its notes link in the lead's private properties).
        self.organized: dict[str, Event] = {}
        self.theirs = 0
        # As in the demo: Alice's weekly made by hand (adoptable), Frank's biweekly (not on
        # the roster), and a team meeting with two roster people (nobody's 1:1).
        self.insert(self.handmade_body("alice@example.com", follows=True, minutes=45))
        self.insert(self.handmade_body("frank@example.com", follows=True, minutes=30))
        self.insert({
            "summary": "Team sync", "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=WE"],
            "start": {"dateTime": "2026-09-02T09:30:00+02:00", "timeZone": R.ZONE},
            "end": {"dateTime": "2026-09-02T10:00:00+02:00", "timeZone": R.ZONE},
            "attendees": [{"email": e, "responseStatus": "accepted"}
                          for e in (R.OWNER, "alice@example.com", "bob@example.com")]})
        self.write_config()

    def teardown(self) -> None:
        self.stack.close()
        super().teardown()

    def backends(self) -> dict[str, str]:
        return {"calendar": f"{{kind: google, api_endpoint: '{self.emu.url}'}}",
                "notes": f"{{kind: google-docs, api_endpoint: '{self.emu.url}'}}",
                "extra": "google: {credentials: anonymous}\n"}

    # --- the calendar as the emulator holds it ----------------------------------------------

    def events(self) -> dict[str, Event]:
        (calendar,) = self.emu.state()["calendars"]
        return {e["id"]: e for e in calendar["events"]}

    def read_calendar(self) -> dict[str, Event]:
        return self.events()

    def master(self, calendar: dict[str, Event], uid: str) -> tuple[str, str] | None:
        """By event id; a deleted event stays listed as cancelled."""
        event = calendar.get(uid)
        if event is None or event.get("status") == "cancelled":
            return None
        return str(event.get("summary", "")), str(event.get("description", ""))

    def docs(self) -> dict[str, list[tuple[str, str]]]:
        """Doc id → its (paragraph text, named style) pairs, for every notes Doc not in the
        trash."""
        state = self.emu.state()
        out = {}
        for file in state["files"]:
            if not file.get("trashed"):
                doc = state["docs"][file["id"]]
                paras = doc["text"].split("\n")[:-1]
                styles = doc["styles"] + ["NORMAL_TEXT"] * (len(paras) - len(doc["styles"]))
                out[file["id"]] = list(zip(paras, styles, strict=False))
        return out

    def live(self, event: Event) -> bool:
        until = _until(event)
        return (event.get("status") != "cancelled" and not event.get("recurringEventId")
                and (until is None or until > self.now))

    def live_owned(self, email: str, calendar: dict[str, Event] | None = None
                   ) -> list[Event]:
        """The person's current series syncd owns: live, not a person's copy or replacement,
        and not one whose meetings ahead all come before another's first (syncd ended it; a
        clock stepped back sees it again, or a replacement waits for it)."""
        key = identity.person_key(email) + "-"
        events = self.events() if calendar is None else calendar
        spans = {e["id"]: self.span(e) for e in events.values()
                 if _marker(e).startswith(key) and self.live(e) and e["id"] not in self.foreign}
        found = {i: span for i, span in spans.items() if span is not None}
        return [events[i] for i, span in found.items() if not any(
            o != i and span[1] < other[0] for o, other in found.items())]

    def span(self, event: Event) -> tuple[dt.datetime, dt.datetime] | None:
        """The first and last start of a series from now over the planning horizon (None when
        it has none: ended before its first occurrence)."""
        start = dt.datetime.fromisoformat(event["start"]["dateTime"]).astimezone(
            ZoneInfo(event["start"].get("timeZone", R.ZONE)))
        rule = next((r.removeprefix("RRULE:") for r in event.get("recurrence", [])
                     if r.startswith("RRULE:")), "")
        ahead = cadence.expand(rule, start, self.now, self.now + planner.HORIZON) if rule \
            else [start]
        return (ahead[0], ahead[-1]) if ahead else None

    def insert(self, body: Event) -> Event:
        made: Event = self.client.events().insert(calendarId="primary", body=body).execute()
        return made

    def handmade_body(self, email: str, *, follows: bool, minutes: int) -> Event:
        entry = self.roster.get(email, R.POOL[email])
        first = R.first_slot(entry) + (dt.timedelta(0) if follows else dt.timedelta(hours=1))
        end = first + dt.timedelta(minutes=minutes)
        return {"summary": f"{entry.name.split()[0]} / Dana",
                "start": {"dateTime": first.isoformat(), "timeZone": R.ZONE},
                "end": {"dateTime": end.isoformat(), "timeZone": R.ZONE},
                "recurrence": [f"RRULE:{R.rrule(entry)}"],
                "attendees": [{"email": R.OWNER, "responseStatus": "accepted"},
                              {"email": email, "responseStatus": "accepted"}]}

    # --- a person's calendar and notes ---------------------------------------------------

    def _instance(self, email: str, nth: int) -> Event | None:
        """An untouched future instance of the person's live owned series."""
        owned = self.live_owned(email)
        if not owned:
            return None
        items = self.client.events().instances(
            calendarId="primary", eventId=owned[-1]["id"], timeMin=self.now.isoformat(),
            maxResults=8).execute()["items"]
        fresh = [i for i in items if i["id"] not in self.edits]
        return fresh[nth % len(fresh)] if fresh else None

    def _record(self, instance_id: str) -> None:
        edited = self.events()[instance_id]
        self.edits[instance_id] = {k: edited.get(k) for k in EDIT_FIELDS}

    def edit_instance(self, email: str, nth: int, *, shift: dt.timedelta = dt.timedelta(0),
                      status: str = "CONFIRMED", partstat: str = "ACCEPTED") -> None:
        """As Google's own apps edit one instance: a cancel deletes it, a move or a reply
        patches its start and end or the person's response."""
        found = self._instance(email, nth)
        if found is None:
            return
        if status == "CANCELLED":
            self.client.events().delete(calendarId="primary", eventId=found["id"]).execute()
            self._record(found["id"])
            return
        body: Event = {}
        if shift:
            body.update({k: {"dateTime": (dt.datetime.fromisoformat(found[k]["dateTime"])
                                          + shift).isoformat(), "timeZone": R.ZONE}
                         for k in ("start", "end")})
        if partstat != "ACCEPTED":
            body["attendees"] = [
                {"email": a["email"], "responseStatus":
                 partstat.lower() if a["email"] == email else a.get("responseStatus")}
                for a in found.get("attendees", [])]
        self.client.events().patch(calendarId="primary", eventId=found["id"],
                                   body=body).execute()
        self._record(found["id"])

    @rule(email=R.emails)
    def delete_series(self, email: str) -> None:
        for event in self.live_owned(email):
            self.client.events().delete(calendarId="primary", eventId=event["id"]).execute()
            self.edits = {k: v for k, v in self.edits.items()
                          if not k.startswith(event["id"] + "_")}
            self.descriptions.pop(event["id"], None)
            self.titles.pop(event["id"], None)

    @rule(email=R.emails, words=st.sampled_from(["Room 4.2", "Bring the roadmap", "Ünïcödé ✓"]))
    def edit_series(self, email: str, words: str) -> None:
        """A person retitles the series and adds a line to its description."""
        for event in self.live_owned(email)[-1:]:
            line = f"{words} ({len(self.descriptions)})"
            text = event.get("description", "")
            self.client.events().patch(calendarId="primary", eventId=event["id"], body={
                "summary": f"{words}: 1:1",
                "description": f"{text}\n{line}" if text else line}).execute()
            self.descriptions[event["id"]] = line
            if not identity.created_by_syncd(_uid_of(event), _marker(event)):
                self.titles[event["id"]] = f"{words}: 1:1"

    @rule(email=R.emails, follows=st.booleans(), minutes=R.durations)
    def make_handmade_series(self, email: str, follows: bool, minutes: int) -> None:
        """The lead makes a recurring 1:1 by hand: on the roster's slot, or an hour off it,
        of any length."""
        body = self.handmade_body(email, follows=follows, minutes=minutes)
        made = self.insert(body)
        self.titles[made["id"]] = body["summary"]

    def _forget_edits(self, ident: str) -> None:
        self.edits = {k: v for k, v in self.edits.items() if not k.startswith(ident + "_")}

    @rule(email=R.emails)
    def copy_series(self, email: str) -> None:
        """A calendar app duplicates the person's series, private properties included."""
        for event in self.live_owned(email)[-1:]:
            body = {k: event[k] for k in ("summary", "start", "end", "recurrence", "attendees",
                                          "extendedProperties") if k in event}
            made = self.insert(body)
            self.foreign[made["id"]] = self.events()[made["id"]]

    @rule(email=R.emails)
    def replace_series(self, email: str) -> None:
        """The person turns the series into another meeting under its id: other people,
        another title and time (syncd's private marker stays on it)."""
        for event in self.live_owned(email)[-1:]:
            if _until(event) is not None:
                return
            begin, end = (dt.datetime.fromisoformat(event[k]["dateTime"]) +
                          dt.timedelta(days=1, hours=2) for k in ("start", "end"))
            day = begin.astimezone(ZONE_INFO).strftime("%a")[:2].upper()
            self.client.events().patch(calendarId="primary", eventId=event["id"], body={
                "summary": "Team planning",
                "start": {"dateTime": begin.isoformat(), "timeZone": R.ZONE},
                "end": {"dateTime": (end + dt.timedelta(minutes=15)).isoformat(),
                        "timeZone": R.ZONE},
                "recurrence": [f"RRULE:FREQ=WEEKLY;BYDAY={day}"],
                "attendees": [{"email": e, "responseStatus": "accepted"} for e in
                              (R.OWNER, email, "team-lead@example.org")]}).execute()
            self._forget_edits(event["id"])
            self.descriptions.pop(event["id"], None)
            self.titles.pop(event["id"], None)
            self.moved.pop(event["id"], None)
            self.foreign[event["id"]] = self.events()[event["id"]]

    @rule(email=R.emails, shift=st.sampled_from([dt.timedelta(hours=1),
                                                 dt.timedelta(hours=-2)]))
    def move_series(self, email: str, shift: dt.timedelta) -> None:
        """The person moves the whole series to another time of day."""
        for event in self.live_owned(email)[-1:]:
            if _until(event) is not None:
                return
            begin, end = (dt.datetime.fromisoformat(event[k]["dateTime"]) + shift
                          for k in ("start", "end"))
            self.client.events().patch(calendarId="primary", eventId=event["id"], body={
                "start": {"dateTime": begin.isoformat(), "timeZone": R.ZONE},
                "end": {"dateTime": end.isoformat(), "timeZone": R.ZONE}}).execute()
            self._forget_edits(event["id"])
            self.moved[event["id"]] = self.events()[event["id"]]["start"]

    @rule(email=R.emails, follows=st.booleans())
    def person_organizes_series(self, email: str, follows: bool) -> None:
        """The other person organizes a recurring 1:1 and invites the lead (seeded: the
        emulator's insert always makes the calendar the organizer)."""
        self.theirs += 1
        body = self.handmade_body(email, follows=follows, minutes=50)
        ident = f"theirs{self.theirs:04d}"
        body.update(id=ident, organizer={"email": email, "self": False},
                    attendees=[{"email": email, "responseStatus": "accepted",
                                "organizer": True},
                               {"email": R.OWNER, "responseStatus": "accepted", "self": True}])
        state = self.emu.state()
        state["calendars"][0]["events"].append(body)
        self.emu.seed(state)
        self.organized[ident] = _shared(self.events()[ident])

    @rule()
    def empty_calendar_for_one_run(self) -> None:
        """The calendar lists nothing for one run: refused, nothing written; then it is back."""
        if not any(self.live_owned(email) for email in R.EMAILS):
            return
        state = self.emu.state()
        emptied = {**state, "calendars": [{**c, "events": []} for c in state["calendars"]]}
        self.emu.seed(emptied)
        docs = self.docs()
        run = self.syncd("reconcile", "--json")
        assert run.code == 1, run.out
        assert run.json()["refused"], run.out
        assert self.events() == {} and self.docs() == docs
        self.emu.seed(state)

    @rule(days=st.integers(1, 10))
    def clock_steps_back(self, days: int) -> None:
        self.now -= dt.timedelta(days=days)

    @rule(email=R.emails)
    def write_notes(self, email: str) -> None:
        """The lead types private notes at the end of a person's notes Doc."""
        key = identity.person_key(email)
        state = self.emu.state()
        for file in state["files"]:
            if file.get("appProperties", {}).get("syncdPerson") == key and not file.get(
                    "trashed"):
                line = f"- private: {email} said something ({len(self.notes_lines)})\n"
                self.docs_client.documents().batchUpdate(documentId=file["id"], body={
                    "requests": [{"insertText": {"endOfSegmentLocation": {},
                                                 "text": line}}]}).execute()
                self.notes_lines[file["id"]] = line

    @rule(email=R.emails, days=st.integers(1, 3), hour=st.sampled_from([9, 15]))
    def make_up(self, email: str, days: int, hour: int) -> None:
        """The person cancels their next 1:1 and makes it up with a one-off days later."""
        found = self._instance(email, 0)
        if found is None:
            return
        self.edit_instance(email, 0, status="CANCELLED")
        start = (dt.datetime.fromisoformat(found["start"]["dateTime"]).astimezone(ZONE_INFO)
                 + dt.timedelta(days=days)).replace(hour=hour)
        end = start + (dt.datetime.fromisoformat(found["end"]["dateTime"])
                       - dt.datetime.fromisoformat(found["start"]["dateTime"]))
        self.insert({"summary": "Catch-up",
                     "start": {"dateTime": start.isoformat(), "timeZone": R.ZONE},
                     "end": {"dateTime": end.isoformat(), "timeZone": R.ZONE},
                     "attendees": [{"email": R.OWNER, "responseStatus": "accepted"},
                                   {"email": email, "responseStatus": "accepted"}]})

    @rule(email=R.emails, tick=st.booleans())
    def follow_up(self, email: str, tick: bool) -> None:
        """The lead adds an action item at the end of the Doc, or ticks their oldest open
        one by typing [x] into its box."""
        key = identity.person_key(email)
        state = self.emu.state()
        for file in state["files"]:
            if file.get("appProperties", {}).get("syncdPerson") != key or file.get("trashed"):
                continue
            documents = self.docs_client.documents()
            if not tick:
                line = f"- [ ] follow-up {len(self.notes_lines)} for {email}\n"
                documents.batchUpdate(documentId=file["id"], body={"requests": [
                    {"insertText": {"endOfSegmentLocation": {}, "text": line}}]}).execute()
                self.notes_lines[file["id"]] = line
                continue
            body = documents.get(documentId=file["id"]).execute()["body"]["content"]
            for element in body:
                runs = element.get("paragraph", {}).get("elements", [])
                text = "".join(r["textRun"]["content"] for r in runs)
                if text.startswith("- [ ] follow-up ") and "(from" not in text:
                    at = element["startIndex"] + 3
                    documents.batchUpdate(documentId=file["id"], body={"requests": [
                        {"deleteContentRange": {"range": {"startIndex": at,
                                                          "endIndex": at + 1}}},
                        {"insertText": {"location": {"index": at}, "text": "x"}}]}).execute()
                    if self.notes_lines.get(file["id"]) == text:
                        self.notes_lines[file["id"]] = text.replace("[ ]", "[x]", 1)
                    break

    # --- syncd, with and without faults ------------------------------------------------------

    def reconcile_with(self, **fault: Any) -> None:
        """A run with `fault` queued: it may fail, but must lose and duplicate nothing;
        then a clean run converges."""
        before = self.snapshot()
        self.emu.fault(**fault)
        run = self.syncd("reconcile", "--force", "--json")
        self.emu.clear_faults()
        assert run.code in (0, 1), run.out + run.err
        self.check_safe(before, adopted=None)
        self.reconcile()

    @rule(k=st.integers(1, 12), status=st.sampled_from([400, 500]),
          method=st.sampled_from([None, "POST", "PATCH"]))
    def reconcile_with_failing_call(self, k: int, status: int, method: str | None) -> None:
        """The k-th call (of that method) fails for good: 400, or 500 on every retry
        (Retry-After: 0, so syncd's backoff does not really wait)."""
        self.reconcile_with(nth=k, status=status, times=1 if status == 400 else 10,
                            retry_after=0, **({"method": method} if method else {}))

    @rule()
    def reconcile_with_conflict(self) -> None:
        """A person changed the event between syncd's read and its write: 412."""
        self.reconcile_with(nth=1, method="PATCH", status=412, reason="conditionNotMet")

    @rule(times=st.integers(1, 8), status=st.sampled_from([429, 403, 503]))
    def reconcile_in_rate_limit_storm(self, times: int, status: int) -> None:
        """Calls are refused `times` in a row (Retry-After: 0, so no real waiting)."""
        reason = "userRateLimitExceeded" if status == 403 else None
        self.reconcile_with(nth=1, status=status, retry_after=0, times=times,
                            **({"reason": reason} if reason else {}))

    @rule(k=st.integers(1, 12))
    def reconcile_losing_an_answer(self, k: int) -> None:
        """The k-th write is carried out but its answer never arrives (a dropped connection,
        as when syncd is killed mid-call); syncd retries it or a fresh run finds it done."""
        self.reconcile_with(nth=k, drop=True, path="^/(calendar|batch|v1|drive)")

    @rule()
    def expire_sync_tokens(self) -> None:
        """The stored sync token expires: the next read answers 410, then lists in full."""
        self.emu.expire_sync_tokens()

    # --- what must hold --------------------------------------------------------------------

    def snapshot(self) -> tuple[dict[str, Event], dict[str, list[tuple[str, str]]]]:
        return self.events(), self.docs()

    def check_safe(self, before: tuple[dict[str, Event], dict[str, list[tuple[str, str]]]],
                   adopted: set[str] | None) -> None:
        """What any run, failed or not, must leave: nothing a person made lost or changed,
        never two live series for one person. `adopted`: the series a successful run
        adopted (None after a failed run: any changed hand-made event must now be owned)."""
        events, docs = before
        after = self.events()
        owned = {i for i, e in events.items() if _marker(e)}
        for ident, event in events.items():
            now = after[ident]
            series = event.get("recurringEventId", ident)
            if series in owned or now == event or series in self.organized:
                continue
            assert _marker(after[series]), f"{ident} changed but syncd does not own it"
            if adopted is not None:
                assert _uid_of(after[series]) in adopted or series in adopted, \
                    f"{ident} changed without being adopted"
            assert now.get("status") == event.get("status"), f"{ident} cancelled by syncd"
        for ident, fields in self.edits.items():
            now = after[ident]
            master = after[now["recurringEventId"]]
            until = _until(master)
            if until is not None and _original_start(now) > until:
                continue  # the roster ended the series: Google drops what follows its end
            assert {k: now.get(k) for k in EDIT_FIELDS} == fields, f"instance edit {ident} lost"
        for ident, event in events.items():
            if _marker(event) and event.get("status") != "cancelled" \
                    and not event.get("recurringEventId"):
                assert after[ident].get("status") != "cancelled", f"syncd deleted {ident}"
        texts = self.docs()
        for ident, paras in docs.items():
            # syncd only adds at the end, re-heads its own section headings and adds a line
            # when a meeting is off: everything else is the lead's, kept as it was. (A Doc's
            # body always ends with a newline that text is inserted before, so the last
            # paragraph may grow.)
            mine, now = _leads(paras), _leads(texts[ident])
            assert now[:len(mine) - 1] == mine[:-1] and (
                not mine or now[len(mine) - 1].startswith(mine[-1])), \
                f"notes Doc {ident}: existing text changed"
            read = _Read.of(self.docs_client.documents().get(documentId=ident).execute())
            self.check_one_section_per_meeting(ident, read.sections())
        for ident, line in self.notes_lines.items():
            text = "".join(p + "\n" for p, _ in texts[ident])
            assert line in text, f"notes Doc {ident}: the lead's line was lost"
        for ident, event in self.foreign.items():
            assert after[ident] == event, f"{ident} is not syncd's but changed"
        for ident, shared in self.organized.items():
            assert _shared(after[ident]) == shared, f"{ident}: a shared field changed"
        for ident, start in self.moved.items():
            if after[ident].get("status") != "cancelled":
                assert after[ident]["start"] == start, f"{ident}: a person's move was undone"
        self.check_one_live_series(after)

    def check_converged(self, warnings: list[str]) -> None:
        """The base's checks, and each agenda section starting after a blank line, as in the
        Markdown notes."""
        for ident, paras in self.docs().items():
            glued = [p for i, (p, style) in enumerate(paras) if style == "HEADING_2"
                     and HEADING_TEXT.match(p) and i and paras[i - 1][0]]
            assert not glued, f"notes Doc {ident}: an agenda heading glued to the text above"
        super().check_converged(warnings)


def _shared(event: Event) -> Event:
    """What every guest of an event sees: all but the lead's private properties and stamps."""
    out = {k: v for k, v in event.items() if k not in ("etag", "updated", "sequence")}
    out["extendedProperties"] = {
        k: v for k, v in event.get("extendedProperties", {}).items() if k != "private"}
    return out


def _leads(paras: list[tuple[str, str]]) -> list[str]:
    """The paragraphs that are not syncd's section headings or lines saying a meeting is
    off: the lead's text (with syncd's own additions, which are never changed either)."""
    return [p for p, style in paras if not (style == "HEADING_2" and HEADING_TEXT.match(p))
            and not p.startswith("✗ The 1:1 of ")]


def _uid_of(event: Event) -> str:
    """The series uid syncd reports for a Google event (as syncd.calendars.google reads it:
    its private uid only on the event syncd created under it, not on a copy)."""
    private = event.get("extendedProperties", {}).get("private", {})
    uid = str(private.get(UID_KEY, ""))
    if uid and event_id(uid) == event["id"]:
        return uid
    return str(event.get("iCalUID") or f"{event['id']}@google.com")


TestGoogleMachine = GoogleMachine.TestCase
TestGoogleMachine.settings = profile()
