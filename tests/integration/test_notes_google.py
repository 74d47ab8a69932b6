"""Agenda sections follow the meeting on the Google emulator + Docs: sections are real
headings (named styles) with the follow-ups as a checklist, a moved 1:1 is re-headed in
place, a make-up gets a section, a meeting declined ahead gets one line under its heading,
a deleted Doc comes back with its agenda, a dropped section is put back, and open items
are carried (ticked ones, marked with a typed [x], are not). The lead's edits are made
with the real Docs client."""

from __future__ import annotations

from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from syncd.google.api import Endpoints, GoogleApi
from tests.integration.gdemo import OWNER, GoogleDemo
from tests.integration.test_google import _instance

PAT = "pat@example.com"
NOW = "2026-11-25T09:00:00+01:00"
PEOPLE = ("people:\n  - {name: Pat Report, email: pat@example.com, cadence: weekly, "
          "start: 2026-09-01, slot: {day: tue, time: '10:00'}}\n"
          "  - {name: Erin Boss, email: erin@example.com, role: manager, cadence: weekly, "
          "start: 2026-09-03, slot: {day: thu, time: '16:00'}}\n")


@pytest.fixture
def pat(g: GoogleDemo) -> GoogleDemo:
    g.write_config(people=PEOPLE)
    run = g.syncd("reconcile", now=NOW)
    assert run.code == 0, run.out + run.err
    return g


def docs(g: GoogleDemo) -> Any:
    return GoogleApi(AnonymousCredentials(), Endpoints.at(g.emu.url)).docs().documents()


def doc_id(g: GoogleDemo, person: str = PAT) -> str:
    from syncd.core import identity

    return str(next(f["id"] for f in g.docs()
                    if f["appProperties"]["syncdPerson"] == identity.person_key(person)))


def paragraphs(g: GoogleDemo, person: str = PAT) -> list[tuple[str, str, str | None]]:
    """(text, named style, "checkbox" / "bullet" / None) of each paragraph."""
    document = docs(g).get(documentId=doc_id(g, person)).execute()
    lists = document.get("lists", {})
    out = []
    for element in document["body"]["content"]:
        para = element.get("paragraph")
        if para is None:
            continue
        text = "".join(r["textRun"]["content"] for r in para["elements"]).rstrip("\n")
        kind = None
        if "bullet" in para:
            level = lists[para["bullet"]["listId"]]["listProperties"]["nestingLevels"][0]
            kind = "bullet" if level.get("glyphSymbol") else "checkbox"
        out.append((text, para["paragraphStyle"]["namedStyleType"], kind))
    return out


def headings(g: GoogleDemo) -> list[str]:
    return [t for t, style, _ in paragraphs(g) if style == "HEADING_2" and "—" in t]


def type_item(g: GoogleDemo, under: str, text: str, *, checklist: bool = False,
              occurrence: int = 0) -> None:
    """The lead typing into the empty item under a heading (of the n-th section)."""
    document = docs(g).get(documentId=doc_id(g)).execute()
    content = [e for e in document["body"]["content"] if "paragraph" in e]
    spots = [i for i, e in enumerate(content)
             if "".join(r["textRun"]["content"] for r in e["paragraph"]["elements"])
             == under + "\n"]
    item = content[spots[occurrence] + 1]
    start = item["startIndex"]
    requests: list[dict[str, Any]] = [
        {"insertText": {"location": {"index": start}, "text": text}}]
    if checklist:
        requests += [
            {"deleteParagraphBullets": {"range": {"startIndex": start,
                                                  "endIndex": start + len(text) + 1}}},
            {"createParagraphBullets": {"range": {"startIndex": start,
                                                  "endIndex": start + len(text) + 1},
                                        "bulletPreset": "BULLET_CHECKBOX"}}]
    docs(g).batchUpdate(documentId=doc_id(g), body={"requests": requests}).execute()


def test_sections_are_real_headings_with_a_checklist_and_role_templates(pat: GoogleDemo) -> None:
    paras = paragraphs(pat)
    assert ("Tue 2026-12-01 10:00 — 1:1 with Pat Report", "HEADING_2", None) in paras
    assert ("Follow-ups from last time", "HEADING_3", None) in paras
    assert ("Positive feedback (specific)", "HEADING_3", None) in paras
    assert not any(t.startswith("#") for t, _, _ in paras)  # no Markdown symbols
    erin = [t for t, style, _ in paragraphs(pat, "erin@example.com") if style == "HEADING_3"]
    assert "Career" in erin and "To improve (framed forward)" not in erin


def test_a_moved_meeting_is_re_headed_in_place(pat: GoogleDemo) -> None:
    type_item(pat, "Their topics", "migration plan")
    (series,) = [e for e in pat.masters() if any(a["email"] == PAT for a in e["attendees"])]
    moved = _instance(pat, series["id"], "2026-12-01")
    pat.calendar().events().patch(calendarId="primary", eventId=moved["id"], body={
        "start": {"dateTime": "2026-11-30T14:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-11-30T14:45:00+01:00", "timeZone": "Europe/Berlin"},
    }).execute()
    run = pat.syncd("reconcile", now=NOW)
    assert run.code == 0, run.out + run.err
    assert headings(pat) == [
        "Mon 2026-11-30 14:00 — 1:1 with Pat Report (moved from Tue 2026-12-01)"]
    assert ("migration plan", "NORMAL_TEXT", "bullet") in paragraphs(pat)
    assert "Nothing to do" in pat.syncd("reconcile", now=NOW).out


def test_a_make_up_gets_a_section_with_the_open_checklist_items(pat: GoogleDemo) -> None:
    type_item(pat, "Outcome and follow-ups", "send migration design doc", checklist=True)
    type_item(pat, "Follow-ups from last time", "[x] book the room", checklist=True)
    (series,) = [e for e in pat.masters() if any(a["email"] == PAT for a in e["attendees"])]
    events = pat.calendar().events()
    events.delete(calendarId="primary",
                  eventId=_instance(pat, series["id"], "2026-12-08")["id"]).execute()
    events.insert(calendarId="primary", body={
        "summary": "Pat / Dana catch-up",
        "start": {"dateTime": "2026-12-10T11:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-12-10T11:45:00+01:00", "timeZone": "Europe/Berlin"},
        "attendees": [{"email": OWNER, "responseStatus": "accepted"},
                      {"email": PAT, "responseStatus": "accepted"}]}).execute()
    run = pat.syncd("reconcile", now="2026-12-02T09:00:00+01:00")
    assert run.code == 0, run.out + run.err
    assert headings(pat)[-1] == (
        "Thu 2026-12-10 11:00 — 1:1 with Pat Report (make-up for Tue 2026-12-08)")
    paras = paragraphs(pat)
    last = paras[max(i for i, p in enumerate(paras) if p[0] == headings(pat)[-1]):]
    assert ("send migration design doc (from 2026-12-01)", "NORMAL_TEXT", "checkbox") in last
    assert not any("book the room" in t for t, _, _ in last)


def test_a_meeting_declined_ahead_gets_one_line_under_its_heading(pat: GoogleDemo) -> None:
    (series,) = [e for e in pat.masters() if any(a["email"] == PAT for a in e["attendees"])]
    declined = _instance(pat, series["id"], "2026-12-01")
    pat.calendar().events().patch(calendarId="primary", eventId=declined["id"], body={
        "attendees": [{"email": OWNER, "responseStatus": "accepted"},
                      {"email": PAT, "responseStatus": "declined"}]}).execute()
    for _ in range(2):
        assert pat.syncd("reconcile", now=NOW).code == 0
    paras = paragraphs(pat)
    first = paras.index(("Tue 2026-12-01 10:00 — 1:1 with Pat Report", "HEADING_2", None))
    assert paras[first + 1] == (
        "✗ The 1:1 of Tue 2026-12-01 10:00 is off (declined by them); open items carry to "
        "the next one.", "NORMAL_TEXT", None)
    assert sum("is off" in t for t, _, _ in paras) == 1
    assert headings(pat)[-1] == "Tue 2026-12-08 10:00 — 1:1 with Pat Report"


def test_a_deleted_doc_comes_back_with_its_agenda(pat: GoogleDemo) -> None:
    drive = GoogleApi(AnonymousCredentials(), Endpoints.at(pat.emu.url)).drive().files()
    drive.delete(fileId=doc_id(pat)).execute()
    assert "no agenda section yet" in pat.syncd("report").out
    assert pat.syncd("reconcile", now=NOW).code == 0
    assert headings(pat) == ["Tue 2026-12-01 10:00 — 1:1 with Pat Report"]
    assert "no agenda section yet" not in pat.syncd("report").out


def test_a_dropped_section_is_nudged_and_reconcile_puts_it_back(pat: GoogleDemo) -> None:
    """The lead deletes the upcoming section's paragraphs in the Doc (all but the empty
    item that ends the body): the report nudges, reconcile appends the section again."""
    document = docs(pat).get(documentId=doc_id(pat)).execute()
    content = [e for e in document["body"]["content"] if "paragraph" in e]
    heading = next(e for e in content if "—" in e["paragraph"]["elements"][0]["textRun"][
        "content"] and e["paragraph"]["paragraphStyle"]["namedStyleType"] == "HEADING_2")
    docs(pat).batchUpdate(documentId=doc_id(pat), body={"requests": [{"deleteContentRange": {
        "range": {"startIndex": heading["startIndex"],
                  "endIndex": content[-1]["startIndex"]}}}]}).execute()
    assert headings(pat) == []
    assert "no agenda section yet: run syncd reconcile" in pat.syncd("report").out
    assert pat.syncd("reconcile", now=NOW).code == 0
    assert headings(pat) == ["Tue 2026-12-01 10:00 — 1:1 with Pat Report"]
    assert "no agenda section yet" not in pat.syncd("report").out


def test_an_item_carried_three_times_is_stale_in_the_report(pat: GoogleDemo) -> None:
    type_item(pat, "Outcome and follow-ups", "send migration design doc", checklist=True)
    for day in ("2026-12-02", "2026-12-09", "2026-12-16"):
        assert pat.syncd("reconcile", now=f"{day}T09:00:00+01:00").code == 0
    carried = [t for t, _, kind in paragraphs(pat) if kind == "checkbox"]
    assert carried[-1] == "send migration design doc (from 2026-12-01, carried 3 times)"
    out = pat.syncd("report", now="2026-12-16T09:00:00+01:00").out
    assert "stale follow-ups: send migration design doc (since 2026-12-01, carried 3 times)" \
        in out
