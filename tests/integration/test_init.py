"""`syncd init` on hand-built calendars and the real-world corpus, and its contract with
reconcile: init → validate → `reconcile --dry-run --json` plans no create-series for a person
init found (each one is adopted, or left as the other person's)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.config import load_config
from tests.integration.gdemo import GoogleDemo
from tests.local_http import private_feed
from tests.workspace import ROOT, Run, syncd

NOW = "2026-11-25T09:00:00+01:00"
OWNER = "dana@example.com"
REALWORLD = ROOT / "tests" / "data" / "realworld"

WINDOWS_ZONE = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""


def event(uid: str, start: str, minutes: int, rrule: str = "", *, with_: tuple[str, ...],
          organizer: str = OWNER, summary: str = "", zone: str = "Europe/Berlin",
          extra: str = "", names: dict[str, str] | None = None) -> str:
    """One VEVENT: `start` is local wall time YYYYMMDDTHHMMSS in `zone`."""
    begin = dt.datetime.strptime(start, "%Y%m%dT%H%M%S")
    end = (begin + dt.timedelta(minutes=minutes)).strftime("%Y%m%dT%H%M%S")
    names = names or {}
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary or uid}",
             f"DTSTART;TZID={zone}:{start}", f"DTEND;TZID={zone}:{end}",
             f"ORGANIZER:mailto:{organizer}"]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    for who in (OWNER, *with_):
        params = ";CUTYPE=ROOM" if who.startswith("room") else ""
        if who in names:
            params += f";CN={names[who]}"
        lines.append(f"ATTENDEE{params}:mailto:{who}")
    if extra:
        lines.append(extra)
    lines.append("END:VEVENT")
    return "\n".join(lines) + "\n"


def calendar_file(folder: Path, name: str, *events: str, zones: str = "") -> None:
    body = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n" + zones + "".join(events) \
        + "END:VCALENDAR\n"
    (folder / f"{name}.ics").write_text(body.replace("\n", "\r\n"))


# Every case of the acceptance list, each in its own file (a folder is a local calendar).
CASES: dict[str, tuple[str, ...]] = {
    "weekly": (event("ann-weekly", "20260106T100000", 30, "FREQ=WEEKLY;BYDAY=TU",
                     with_=("ann@example.com",), names={"ann@example.com": "Ann Lee"}),),
    "biweekly": (event("bob-biweekly", "20260305T140000", 45,
                       "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", with_=("Bob@Example.com",),
                       names={"Bob@Example.com": "Bob Stone"}),),
    "every3": (event("cat-3w", "20260209T110000", 60, "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO",
                     with_=("cat@example.com",), names={"cat@example.com": "Cat Ng"}),),
    "monthly": (event("dan-monthly", "20260114T150000", 45, "FREQ=MONTHLY;BYDAY=2WE",
                      with_=("dan@example.com",), names={"dan@example.com": "Dan Oh"}),),
    "last": (event("eve-last", "20260130T090000", 30, "FREQ=MONTHLY;BYDAY=-1FR",
                   with_=("eve@example.com",), names={"eve@example.com": "Eve Ray"}),),
    "quarterly": (event("fay-q", "20260106T160000", 90, "FREQ=MONTHLY;INTERVAL=3;BYDAY=1TU",
                        with_=("fay@example.com",), names={"fay@example.com": "Fay Wu"}),),
    "theirs": (event("gus-theirs", "20260108T170000", 30, "FREQ=WEEKLY;BYDAY=TH",
                     with_=("gus@example.com",), organizer="gus@example.com",
                     summary="Gus / Dana", names={"gus@example.com": "Gus Hale"}),),
    "manager": (event("hal-mgr", "20260105T083000", 30, "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
                      with_=("hal@example.com",), organizer="hal@example.com",
                      summary="Dana / Hal manager 1:1", names={"hal@example.com": "Hal Kim"}),),
    "split": (event("ivy-old", "20260105T100000", 30,
                    "FREQ=WEEKLY;UNTIL=20260930T220000Z;BYDAY=MO", with_=("ivy@example.com",),
                    names={"ivy@example.com": "Ivy Old"}),
              event("ivy-new", "20261007T100000", 30, "FREQ=WEEKLY;BYDAY=WE",
                    with_=("ivy@example.com",), names={"ivy@example.com": "Ivy Poe"})),
    "ended": (event("jo-ended", "20260106T120000", 30,
                    "FREQ=WEEKLY;UNTIL=20260630T215959Z;BYDAY=TU", with_=("jo@example.com",),
                    names={"jo@example.com": "Jo Ended"}),),
    "room": (event("kim-room", "20260107T130000", 30, "FREQ=WEEKLY;BYDAY=WE",
                   with_=("kim@example.com", "room-3@example.com"),
                   names={"kim@example.com": "Kim Room"}),),
    "group": (event("team", "20260105T090000", 30, "FREQ=WEEKLY;BYDAY=MO",
                    with_=("lee@example.com", "max@example.com")),),
    "oneoffs": (event("ned-once", "20261110T110000", 30, with_=("ned@example.com",)),
                event("ned-twice", "20261201T110000", 30, with_=("ned@example.com",))),
    "windows": (event("owen-win", "20260112T113000", 30, "FREQ=WEEKLY;BYDAY=MO",
                      with_=("owen@example.com",), zone="W. Europe Standard Time",
                      names={"owen@example.com": "Owen Win"}),),
}
ADOPTED = {"ann@example.com", "bob@example.com", "cat@example.com", "dan@example.com",
           "eve@example.com", "fay@example.com", "ivy@example.com", "kim@example.com",
           "owen@example.com"}
THEIRS = {"gus@example.com", "hal@example.com"}


def build(folder: Path, cases: dict[str, tuple[str, ...]] = CASES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, events in cases.items():
        calendar_file(folder, name, *events, zones=WINDOWS_ZONE if name == "windows" else "")
    return folder


def init(*args: str, now: str = NOW) -> Run:
    return syncd("init", *args, "--now", now)


def round_trip(config: Path, monkeypatch: pytest.MonkeyPatch, home: Path) -> dict[str, list[str]]:
    """validate, then a dry run: what it plans, per person ({email: [action, …]})."""
    monkeypatch.setenv("HOME", str(home))  # init's default notes and state folders
    check = syncd("validate", "--config", str(config), "--now", NOW)
    assert check.code == 0, check.err
    run = syncd("reconcile", "--dry-run", "--json", "--config", str(config), "--now", NOW)
    assert run.code == 0, run.out + run.err
    planned: dict[str, list[str]] = {}
    for action in run.json()["actions"]:
        planned.setdefault(action["person"], []).append(action["action"])
    return planned


def test_init_finds_every_kind_of_1on1_and_reconcile_adopts_them_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cal = build(tmp_path / "calendar")
    out = tmp_path / "conf" / "config.yaml"
    run = init("--from", str(cal), "--owner", OWNER, "--output", str(out))
    assert run.code == 0, run.err
    assert out.stat().st_mode & 0o777 == 0o600
    text = out.read_text()
    config = load_config(out)
    people = {p.email: p for p in config.roster.people}
    assert set(people) == ADOPTED | THEIRS
    assert config.roster.timezone == "Europe/Berlin"
    assert "# Left out: 2 one-off two-person meetings, 1 group meeting." in text
    cadences = {e: (p.cadence.text, p.slot.day, p.slot.time.strftime("%H:%M"), p.slot.week,
                    int(p.duration.total_seconds() // 60)) for e, p in people.items()}
    assert cadences["ann@example.com"] == ("weekly", 1, "10:00", None, 30)
    assert cadences["bob@example.com"] == ("biweekly", 3, "14:00", None, 45)
    assert cadences["cat@example.com"] == ("every 3 weeks", 0, "11:00", None, 60)
    assert cadences["dan@example.com"] == ("monthly", 2, "15:00", 2, 45)
    assert cadences["eve@example.com"] == ("monthly", 4, "09:00", -1, 30)
    assert cadences["fay@example.com"] == ("quarterly", 1, "16:00", 1, 90)
    # The split series: the part that runs now, on Wednesdays.
    assert cadences["ivy@example.com"] == ("weekly", 2, "10:00", None, 30)
    assert people["ivy@example.com"].name == "Ivy Poe"
    assert "1 other recurring series with them" in text
    # The Windows zone name is read as Europe/Berlin: no zone check on Owen's slot.
    assert cadences["owen@example.com"] == ("weekly", 0, "11:30", None, 30)
    assert people["ann@example.com"].name == "Ann Lee"
    assert people["ann@example.com"].start == dt.date(2026, 1, 6)
    assert people["bob@example.com"].email == "bob@example.com"  # case folded
    # role: manager only with evidence (organizer + title), a check where it is a guess.
    assert people["hal@example.com"].role == "manager"
    assert people["gus@example.com"].role == "report"
    assert "role: report  # check: they organize this 1:1" in text
    # Hal's 08:30 and Gus's 17:00-17:30 fit the default working hours.
    assert config.roster.work_start == dt.time(8, 0)
    # The ended series: commented out, with when it ended and was last held.
    assert "# series ended on 2026-06-30, last held 2026-06-30:" in text
    assert '#   email: "jo@example.com"' in text
    assert "lee@example.com" not in text and "ned@example.com" not in text
    planned = round_trip(out, monkeypatch, tmp_path)
    for email in ADOPTED:
        assert "create-series" not in planned.get(email, []), email
        assert "adopt-series" in planned[email], email
    for email in THEIRS:
        assert "create-series" not in planned.get(email, [])
        assert "adopt-series" not in planned.get(email, [])


def test_a_dst_spanning_series_kept_in_another_zone_is_flagged_and_never_duplicated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cal = build(tmp_path / "calendar", {
        "ny": (event("pat-ny", "20260105T090000", 30, "FREQ=WEEKLY;BYDAY=MO",
                     with_=("pat@example.com",), zone="America/New_York"),),
        "berlin": (event("ann-weekly", "20260106T100000", 30, "FREQ=WEEKLY;BYDAY=TU",
                         with_=("ann@example.com",)),)})
    out = tmp_path / "config.yaml"
    assert init("--from", str(cal), "--owner", OWNER, "--timezone", "Europe/Berlin",
                "--output", str(out)).code == 0
    text = out.read_text()
    # 09:00 New York is 15:00 Berlin in January; the zones change clocks on other days.
    assert 'slot: {day: mon, time: "15:00"}  # check: the series is kept in America/New_York' \
        in text
    assert "cannot be said as a roster cadence in this time zone" in text
    planned = round_trip(out, monkeypatch, tmp_path)
    assert "create-series" not in planned.get("pat@example.com", [])
    assert "adopt-series" in planned["ann@example.com"]


def test_a_rule_no_cadence_word_says_becomes_an_rrule_cadence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cal = build(tmp_path / "calendar", {
        "twice": (event("quinn", "20260105T100000", 30, "FREQ=WEEKLY;BYDAY=MO,TH",
                        with_=("quinn@example.com",)),)})
    out = tmp_path / "config.yaml"
    assert init("--from", str(cal), "--owner", OWNER, "--output", str(out)).code == 0
    config = load_config(out)
    (person,) = config.roster.people
    assert person.cadence.text == "rrule:FREQ=WEEKLY;BYDAY=MO,TH"
    assert "# check: the calendar's own rule" in out.read_text()
    assert "adopt-series" in round_trip(out, monkeypatch, tmp_path)["quinn@example.com"]


def test_a_late_1on1_widens_the_working_hours(tmp_path: Path) -> None:
    cal = build(tmp_path / "calendar", {
        "late": (event("rae", "20260105T173000", 60, "FREQ=WEEKLY;BYDAY=MO",
                       with_=("rae@example.com",)),
                 event("sam", "20260106T071500", 30, "FREQ=WEEKLY;BYDAY=TU",
                       with_=("sam@example.com",)))})
    run = init("--from", str(cal), "--owner", OWNER)
    assert run.code == 0
    assert 'working_hours: {start: "07:00", end: "19:00"}' in run.out
    # A name made from the email is a guess.
    assert '- name: "Rae"  # check: the calendar gives no name' in run.out


def test_init_never_overwrites(tmp_path: Path) -> None:
    cal = build(tmp_path / "calendar", {"weekly": CASES["weekly"]})
    out = tmp_path / "config.yaml"
    out.write_text("mine\n")
    run = init("--from", str(cal), "--owner", OWNER, "--output", str(out))
    assert run.code == 2
    assert run.err.count("\n") == 1 and "already exists" in run.err and run.out == ""
    assert out.read_text() == "mine\n"
    link = tmp_path / "dangling.yaml"
    link.symlink_to(tmp_path / "nowhere.yaml")
    assert init("--from", str(cal), "--owner", OWNER, "--output", str(link)).code == 2
    assert not (tmp_path / "nowhere.yaml").exists()


@pytest.mark.parametrize(("args", "says"), [
    (("--from", "/nonexistent/cal", "--owner", OWNER), "no such folder or file"),
    (("--owner", "dana", "--from", "."), "not a valid email address"),
    (("--owner", OWNER, "--from", ".", "--timezone", "Mars/Base"), "unknown timezone"),
    (("--owner", OWNER, "--from", "google"), "--from google needs --config"),
])
def test_bad_arguments_are_one_line_and_exit_2(
        args: tuple[str, ...], says: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCD_CONFIG", str(tmp_path / "none.yaml"))  # no signed-in config
    run = init(*args)
    assert run.code == 2 and says in run.err and run.err.count("\n") == 1


def test_an_unreadable_calendar_writes_nothing(tmp_path: Path) -> None:
    cal = tmp_path / "calendar"
    cal.mkdir()
    (cal / "broken.ics").write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\n")
    out = tmp_path / "config.yaml"
    run = init("--from", str(cal), "--owner", OWNER, "--output", str(out))
    assert run.code == 1 and "could not be read, nothing written" in run.err
    assert not out.exists()


# --- the real-world corpus ------------------------------------------------------------------

# Owners as the files' events show them: the address on most of their events.
CORPUS = {
    "rie__issue42.ics": "gabi@gmail.com",
    "rie__daylight_saving_time.ics": "j68lhv614hbv3u4ttbrs6glhpg@group.calendar.google.com",
    "icalrs__o365_meeting.ics": "annonym.usernames@email.com",
    "rie__issue_132_swapped_start_and_end.ics": "xxx@yyy.zzz",
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_real_world_calendars_round_trip(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / name
    shutil.copy(REALWORLD / name, source)
    out = tmp_path / "config.yaml"
    run = init("--from", str(source), "--owner", CORPUS[name], "--output", str(out))
    assert run.code == 0, run.err
    planned = round_trip(out, monkeypatch, tmp_path)
    assert all("create-series" not in kinds for kinds in planned.values())


def test_the_outlook_series_is_an_ended_1on1_in_its_windows_zone(tmp_path: Path) -> None:
    run = init("--from", str(REALWORLD / "icalrs__o365_meeting.ics"),
               "--owner", "Annonym.Usernames@email.com")
    assert run.code == 0, run.err
    # FREQ=DAILY;INTERVAL=2 until 2020-11-26 on a "W. Europe Standard Time" start.
    assert "# series ended on 2020-11-26, last held 2020-11-26:" in run.out
    assert 'timezone: "Europe/Berlin"' in run.out
    assert '#   cadence: "rrule:FREQ=DAILY;INTERVAL=2"' in run.out


def test_the_big_personal_export_counts_what_it_leaves_out() -> None:
    run = init("--from", str(REALWORLD / "rie__issue42.ics"), "--owner", "gabi@gmail.com")
    assert run.code == 0, run.err
    assert "# Found 0 recurring 1:1s with you and one other person." in run.out
    assert "people: []" in run.out


# --- Google ----------------------------------------------------------------------------------


def test_init_from_google_round_trips_on_the_emulator(g: GoogleDemo) -> None:
    """The real client writes the lead's hand-made 1:1s; init reads them with the signed-in
    config, and the config it writes adopts each one."""
    g.write_config(people="people: []\n")
    calendar = g.calendar()
    made = {}
    for who, name, start, rule in (
            ("ann@example.com", "Ann Lee", "2026-09-01T10:00:00+02:00", "FREQ=WEEKLY;BYDAY=TU"),
            ("Bob@Example.com", "Bob Stone", "2026-09-03T14:00:00+02:00",
             "FREQ=MONTHLY;BYDAY=1TH")):
        end = start.replace(":00:00+", ":30:00+")
        made[who.lower()] = calendar.events().insert(calendarId="primary", body={
            "summary": f"{name} / Dana",
            "start": {"dateTime": start, "timeZone": "Europe/Berlin"},
            "end": {"dateTime": end, "timeZone": "Europe/Berlin"},
            "recurrence": [f"RRULE:{rule}"],
            "attendees": [{"email": OWNER}, {"email": who, "displayName": name},
                          {"email": "room-1@resource.calendar.google.com", "resource": True}],
        }).execute()
    calendar.events().insert(calendarId="primary", body={
        "summary": "Team", "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"],
        "start": {"dateTime": "2026-09-07T09:00:00+02:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-09-07T09:30:00+02:00", "timeZone": "Europe/Berlin"},
        "attendees": [{"email": OWNER}, {"email": "x@example.com"}, {"email": "y@example.com"}],
    }).execute()
    out = g.root / "from-google.yaml"
    run = syncd("init", "--from", "google", "--owner", OWNER, "--config", str(g.config),
                "--output", str(out), "--now", NOW)
    assert run.code == 0, run.err
    text = out.read_text()
    assert "1 group meeting" in text
    config = load_config(out)
    assert {p.email: (p.cadence.text, p.slot.week) for p in config.roster.people} == {
        "ann@example.com": ("weekly", None), "bob@example.com": ("monthly", 1)}
    assert str(config.google.credentials) == "anonymous"
    check = syncd("validate", "--config", str(out))
    assert check.code == 0, check.err
    plan = syncd("reconcile", "--dry-run", "--json", "--config", str(out), "--now", NOW)
    assert plan.code == 0, plan.out + plan.err
    adopted = {(a["person"], a["series"]) for a in plan.json()["actions"]
               if a["action"] == "adopt-series"}
    assert adopted == {(e, m["id"] + "@google.com") for e, m in made.items()}
    assert all(a["action"] != "create-series" for a in plan.json()["actions"])


# --- a feed over HTTP ------------------------------------------------------------------------


@pytest.fixture
def feed_url(tmp_path: Path) -> Iterator[str]:
    """Every case as one calendar, served on 127.0.0.1 under a private-looking path."""
    body = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            + WINDOWS_ZONE.replace("\n", "\r\n")
            + "".join(e.replace("\n", "\r\n") for events in CASES.values() for e in events)
            + "END:VCALENDAR\r\n").encode()
    with private_feed(body, SECRET) as url:
        yield url


SECRET = "private-5c0ffee1d2b3"


def test_init_from_a_feed_round_trips_and_keeps_its_address_private(
        feed_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "config.yaml"
    run = init("--from", feed_url, "--owner", OWNER, "--output", str(out))
    assert run.code == 0, run.err
    assert SECRET not in run.out + run.err
    text = out.read_text()
    port = feed_url.split(":")[2].split("/")[0]
    assert "# syncd configuration written by `syncd init` on 2026-11-25 from the feed " \
        f"http://127.0.0.1:{port}/…." in text
    assert out.stat().st_mode & 0o777 == 0o600  # the address is a password
    config = load_config(out)
    assert {p.email for p in config.roster.people} == ADOPTED | THEIRS
    planned = round_trip(out, monkeypatch, tmp_path)
    assert all("create-series" not in kinds for kinds in planned.values())
    assert all("adopt-series" in planned[email] for email in ADOPTED)


def test_titles_and_names_from_the_calendar_cannot_write_config_lines(tmp_path: Path) -> None:
    cal = build(tmp_path / "calendar", {"hostile": (event(
        "x", "20260106T100000", 30, "FREQ=WEEKLY;BYDAY=TU", with_=("ann@example.com",),
        summary="Sync\\npeople: []\\nstate_dir: /etc \u202eevil",
        names={"ann@example.com": '"Lee, Ann: #1 PM"'}),)})
    out = tmp_path / "config.yaml"
    assert init("--from", str(cal), "--owner", OWNER, "--output", str(out)).code == 0
    text = out.read_text()
    assert "\nstate_dir: /etc" not in text and "\u202e" not in text
    assert '  # from "Sync people: [] state_dir: /etc  evil"' in text
    (person,) = load_config(out).roster.people
    assert person.name == "Lee, Ann: #1 PM"


def test_a_mistyped_owner_is_pointed_at_the_address_the_calendar_uses(tmp_path: Path) -> None:
    cal = build(tmp_path / "calendar", {"weekly": CASES["weekly"], "biweekly": CASES["biweekly"]})
    run = init("--from", str(cal), "--owner", "dana@example.org")
    assert run.code == 0
    assert run.err == ("warning: no event names dana@example.org; most name dana@example.com: "
                       "is that your address? (--owner)\n")
    assert "# check: no event names you; most name dana@example.com" in run.out


def test_a_big_team_is_adopted_on_the_first_run_without_force(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    days = ("MO", "TU", "WE", "TH", "FR")
    cal = build(tmp_path / "calendar", {f"p{n}": (event(
        f"p{n}", f"202601{5 + n % 5:02d}T{9 + n // 5:02d}0000", 30,
        f"FREQ=WEEKLY;BYDAY={days[n % 5]}", with_=(f"p{n}@example.com",)),)
        for n in range(12)})
    out = tmp_path / "config.yaml"
    assert init("--from", str(cal), "--owner", OWNER, "--output", str(out)).code == 0
    assert "\nmax_changes: 24\n" in out.read_text()
    monkeypatch.setenv("HOME", str(tmp_path))
    run = syncd("reconcile", "--json", "--config", str(out), "--now", NOW)
    assert run.code == 0, run.out + run.err
    kinds = [a["action"] for a in run.json()["actions"]]
    assert kinds.count("adopt-series") == 12 and "create-series" not in kinds
    again = syncd("reconcile", "--json", "--config", str(out), "--now", NOW)
    assert again.json()["actions"] == []
