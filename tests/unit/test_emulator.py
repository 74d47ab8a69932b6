"""The Google emulator, driven by the real google-api-python-client over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from tests.emulator import Emulator, running_emulator

ROOT = Path(__file__).resolve().parents[2]
BERLIN = "Europe/Berlin"
DOC = "application/vnd.google-apps.document"
Json = dict[str, Any]


@dataclass
class Google:
    """Calendar, Drive and Docs clients built the way syncd builds them."""

    calendar: Any
    drive: Any
    docs: Any


def _build(api: str, version: str, endpoint: str) -> Any:
    return build(api, version, credentials=AnonymousCredentials(), static_discovery=True,
                 client_options={"api_endpoint": endpoint})


@pytest.fixture
def google(google_emulator: Emulator) -> Google:
    return Google(
        _build("calendar", "v3", google_emulator.calendar_endpoint),
        _build("drive", "v3", google_emulator.drive_endpoint),
        _build("docs", "v1", google_emulator.docs_endpoint),
    )


def _timed(start: str, end: str, **fields: Any) -> Json:
    return {"start": {"dateTime": start, "timeZone": BERLIN},
            "end": {"dateTime": end, "timeZone": BERLIN}, **fields}


def _weekly(**fields: Any) -> Json:
    """Tuesdays 10:00-10:30 Berlin from 2026-03-17, over the switch to summer time (03-29)."""
    return _timed("2026-03-17T10:00:00", "2026-03-17T10:30:00",
                  recurrence=["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4"], **fields)


def _error(caught: pytest.ExceptionInfo[HttpError]) -> Json:
    error: Json = json.loads(caught.value.content)["error"]
    return error


def _all_pages(request_for_token: Any) -> list[Json]:
    items: list[Json] = []
    token = None
    while True:
        page = request_for_token(token).execute()
        items += page["items"]
        token = page.get("nextPageToken")
        if token is None:
            return items


# ---------------------------------------------------------------- calendar


def test_insert_with_client_id_then_get_then_duplicate(google: Google) -> None:
    events = google.calendar.events()
    created = events.insert(calendarId="primary", body=_timed(
        "2026-05-05T10:00:00", "2026-05-05T10:30:00", id="lead0alice0001", summary="1:1",
        attendees=[{"email": "alice@example.com"}, {"email": "lead@example.com"}],
    )).execute()
    fetched = events.get(calendarId="lead@example.com", eventId="lead0alice0001").execute()

    assert fetched == created
    assert created["status"] == "confirmed"
    assert created["iCalUID"] == "lead0alice0001@google.com"
    assert created["organizer"] == {"email": "lead@example.com", "self": True}
    assert created["start"] == {"dateTime": "2026-05-05T10:00:00+02:00", "timeZone": BERLIN}
    assert created["attendees"][0] == {"email": "alice@example.com",
                                       "responseStatus": "needsAction"}
    assert created["attendees"][1]["self"] is True
    with pytest.raises(HttpError) as caught:
        events.insert(calendarId="primary", body=_timed(
            "2026-05-06T10:00:00", "2026-05-06T10:30:00", id="lead0alice0001")).execute()
    assert caught.value.status_code == 409
    assert _error(caught)["errors"][0]["reason"] == "duplicate"
    with pytest.raises(HttpError) as caught:
        events.insert(calendarId="primary", body=_timed(
            "2026-05-06T10:00:00", "2026-05-06T10:30:00", id="Not_Base32hex")).execute()
    assert caught.value.status_code == 400


def test_insert_refuses_a_zone_that_is_not_iana(google: Google) -> None:
    """A stored event may be listed with `GMT+03:00` (see seeding), but a write may not name
    one: Google answers "Invalid time zone definition" (recorded in fmeum/ics2gcal#1)."""
    body = {"start": {"dateTime": "2026-05-05T10:00:00", "timeZone": "GMT+03:00"},
            "end": {"dateTime": "2026-05-05T10:30:00", "timeZone": "GMT+03:00"}}
    with pytest.raises(HttpError) as caught:
        google.calendar.events().insert(calendarId="primary", body=body).execute()
    assert caught.value.status_code == 400
    assert _error(caught)["message"] == "Invalid time zone definition for start time."


def test_deleted_event_stays_visible_and_keeps_its_id(google: Google) -> None:
    events = google.calendar.events()
    events.insert(calendarId="primary", body=_timed(
        "2026-05-05T10:00:00", "2026-05-05T10:30:00", id="gone00001")).execute()
    events.delete(calendarId="primary", eventId="gone00001").execute()

    assert events.get(calendarId="primary", eventId="gone00001").execute()["status"] == "cancelled"
    assert events.list(calendarId="primary").execute()["items"] == []
    shown = events.list(calendarId="primary", showDeleted=True).execute()["items"]
    assert [(e["id"], e["status"]) for e in shown] == [("gone00001", "cancelled")]
    for again in (events.delete(calendarId="primary", eventId="gone00001"),
                  events.insert(calendarId="primary", body=_timed(
                      "2026-05-05T10:00:00", "2026-05-05T10:30:00", id="gone00001"))):
        with pytest.raises(HttpError) as caught:
            again.execute()
        assert caught.value.status_code in (409, 410)


def test_conditional_writes_use_etags(google: Google) -> None:
    events = google.calendar.events()
    event = events.insert(calendarId="primary", body=_timed(
        "2026-05-05T10:00:00", "2026-05-05T10:30:00", summary="v1")).execute()
    newer = events.patch(calendarId="primary", eventId=event["id"],
                         body={"summary": "v2"}).execute()
    assert newer["etag"] != event["etag"]

    stale = events.patch(calendarId="primary", eventId=event["id"], body={"summary": "v3"})
    stale.headers["If-Match"] = event["etag"]
    with pytest.raises(HttpError) as caught:
        stale.execute()
    assert caught.value.status_code == 412
    assert _error(caught)["errors"][0]["reason"] == "conditionNotMet"

    fresh = events.patch(calendarId="primary", eventId=event["id"], body={"summary": "v3"})
    fresh.headers["If-Match"] = newer["etag"]
    latest = fresh.execute()
    assert latest["summary"] == "v3"
    unchanged = events.get(calendarId="primary", eventId=event["id"])
    unchanged.headers["If-None-Match"] = latest["etag"]
    with pytest.raises(HttpError) as caught:
        unchanged.execute()  # the client raises for a 304
    assert caught.value.status_code == 304


def test_weekly_series_keeps_local_time_across_dst(google: Google) -> None:
    events = google.calendar.events()
    master = events.insert(calendarId="primary", body=_weekly(id="series0001")).execute()

    items = events.instances(calendarId="primary", eventId=master["id"]).execute()["items"]

    assert [i["start"]["dateTime"] for i in items] == [
        "2026-03-17T10:00:00+01:00", "2026-03-24T10:00:00+01:00",
        "2026-03-31T10:00:00+02:00", "2026-04-07T10:00:00+02:00",
    ]
    assert [i["id"] for i in items][2] == "series0001_20260331T080000Z"
    assert {i["recurringEventId"] for i in items} == {"series0001"}
    assert items[2]["originalStartTime"] == items[2]["start"]


def test_moved_and_cancelled_instances(google: Google) -> None:
    events = google.calendar.events()
    events.insert(calendarId="primary", body=_weekly(id="series0002")).execute()
    moved = events.patch(calendarId="primary", eventId="series0002_20260324T090000Z", body={
        "start": {"dateTime": "2026-03-25T15:00:00+01:00"},
        "end": {"dateTime": "2026-03-25T15:30:00+01:00"},
    }).execute()
    events.delete(calendarId="primary", eventId="series0002_20260331T080000Z").execute()

    single = events.list(calendarId="primary", singleEvents=True, orderBy="startTime").execute()
    assert [(i["id"], i["start"]["dateTime"]) for i in single["items"]] == [
        ("series0002_20260317T090000Z", "2026-03-17T10:00:00+01:00"),
        ("series0002_20260324T090000Z", "2026-03-25T15:00:00+01:00"),
        ("series0002_20260407T080000Z", "2026-04-07T10:00:00+02:00"),
    ]
    assert moved["originalStartTime"]["dateTime"] == "2026-03-24T10:00:00+01:00"
    with_deleted = events.list(calendarId="primary", singleEvents=True,
                               showDeleted=True).execute()["items"]
    cancelled = [i for i in with_deleted if i["status"] == "cancelled"]
    assert cancelled == [{
        "kind": "calendar#event", "etag": cancelled[0]["etag"], "status": "cancelled",
        "id": "series0002_20260331T080000Z", "recurringEventId": "series0002",
        "originalStartTime": {"dateTime": "2026-03-31T10:00:00+02:00", "timeZone": BERLIN},
    }]
    raw = events.list(calendarId="primary", showDeleted=True).execute()["items"]
    assert sorted(i["id"] for i in raw) == [
        "series0002", "series0002_20260324T090000Z", "series0002_20260331T080000Z"]
    assert [i["id"] for i in events.list(calendarId="primary").execute()["items"]] == [
        "series0002", "series0002_20260324T090000Z"]


def test_ending_a_series_cancels_exceptions_after_until(google: Google) -> None:
    events = google.calendar.events()
    events.insert(calendarId="primary", body=_weekly(id="series0003")).execute()
    events.patch(calendarId="primary", eventId="series0003_20260407T080000Z",
                 body={"summary": "last one"}).execute()
    events.patch(calendarId="primary", eventId="series0003", body={
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20260325T000000Z"]}).execute()

    exception = events.get(calendarId="primary", eventId="series0003_20260407T080000Z").execute()
    assert exception["status"] == "cancelled"
    items = events.instances(calendarId="primary", eventId="series0003").execute()["items"]
    assert [i["id"] for i in items] == ["series0003_20260317T090000Z",
                                        "series0003_20260324T090000Z"]


def test_hostile_rule_is_bounded(google: Google) -> None:
    events = google.calendar.events()
    events.insert(calendarId="primary", body=_timed(
        "2026-03-17T10:00:00", "2026-03-17T10:30:00", id="never0001",
        recurrence=["RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"])).execute()
    events.insert(calendarId="primary", body=_timed(
        "2026-03-17T10:00:00", "2026-03-17T10:30:00", id="forever01",
        recurrence=["RRULE:FREQ=DAILY"])).execute()

    found = events.instances(calendarId="primary", eventId="never0001").execute()["items"]
    endless = _all_pages(lambda token: events.list(
        calendarId="primary", singleEvents=True, maxResults=2500, pageToken=token,
        timeMin="2026-03-17T00:00:00Z"))

    assert found == []
    assert 365 * 3 <= len(endless) <= 5000


def test_private_extended_property_filter_with_paging(google: Google) -> None:
    events = google.calendar.events()
    for day in range(1, 8):
        mine = {"syncd": "1", "person": "alice" if day % 2 else "bob"}
        events.insert(calendarId="primary", body=_timed(
            f"2026-06-0{day}T09:00:00", f"2026-06-0{day}T09:30:00", summary=f"d{day}",
            extendedProperties={"private": mine})).execute()
    events.insert(calendarId="primary", body=_timed(
        "2026-06-01T12:00:00", "2026-06-01T13:00:00", summary="lunch")).execute()

    found = _all_pages(lambda token: events.list(
        calendarId="primary", privateExtendedProperty=["syncd=1", "person=alice"],
        maxResults=2, pageToken=token))

    assert sorted(e["summary"] for e in found) == ["d1", "d3", "d5", "d7"]


def test_sync_token_flow(google: Google, google_emulator: Emulator) -> None:
    events = google.calendar.events()
    keep = events.insert(calendarId="primary", body=_timed(
        "2026-05-05T10:00:00", "2026-05-05T10:30:00", summary="keep")).execute()
    drop = events.insert(calendarId="primary", body=_timed(
        "2026-05-06T10:00:00", "2026-05-06T10:30:00", summary="drop")).execute()
    pages = [events.list(calendarId="primary", maxResults=1).execute()]
    while "nextPageToken" in pages[-1]:
        pages.append(events.list(calendarId="primary", maxResults=1,
                                 pageToken=pages[-1]["nextPageToken"]).execute())
    assert [p.get("nextSyncToken") is None for p in pages] == [True, False]
    token = pages[-1]["nextSyncToken"]

    events.patch(calendarId="primary", eventId=keep["id"], body={"summary": "kept"}).execute()
    events.delete(calendarId="primary", eventId=drop["id"]).execute()
    changes = events.list(calendarId="primary", syncToken=token).execute()

    assert {(e["id"], e["status"]) for e in changes["items"]} == {
        (keep["id"], "confirmed"), (drop["id"], "cancelled")}
    quiet = events.list(calendarId="primary", syncToken=changes["nextSyncToken"]).execute()
    assert quiet["items"] == []
    with pytest.raises(HttpError) as caught:
        events.list(calendarId="primary", syncToken=token, timeMin="2026-01-01T00:00:00Z",
                    ).execute()
    assert caught.value.status_code == 400
    google_emulator.expire_sync_tokens()
    with pytest.raises(HttpError) as caught:
        events.list(calendarId="primary", syncToken=changes["nextSyncToken"]).execute()
    assert caught.value.status_code == 410
    assert _error(caught)["errors"][0]["reason"] == "fullSyncRequired"


def test_batch_of_inserts_with_callbacks(google: Google, google_emulator: Emulator) -> None:
    answers: dict[str, tuple[Any, Any]] = {}
    batch = BatchHttpRequest(batch_uri=google_emulator.batch_uri)
    for n in range(3):
        batch.add(
            google.calendar.events().insert(calendarId="primary", body=_timed(
                f"2026-07-0{n + 1}T10:00:00", f"2026-07-0{n + 1}T11:00:00", summary=f"b{n}")),
            callback=lambda rid, response, error: answers.__setitem__(rid, (response, error)),
        )
    batch.execute()

    assert sorted((r["summary"], e) for r, e in answers.values()) == [
        ("b0", None), ("b1", None), ("b2", None)]
    log = google_emulator.requests()
    assert [(e["method"], e["batch"]) for e in log] == [("POST", False)] + [("POST", True)] * 3
    assert log[0]["path"] == "/batch/calendar/v3" and log[0]["parts"] == 3


def _batch(uri: str, requests: list[Any]) -> dict[str, tuple[Any, Any]]:
    answers: dict[str, tuple[Any, Any]] = {}
    batch = BatchHttpRequest(batch_uri=uri)
    for request in requests:
        batch.add(request, callback=lambda rid, response, error: answers.__setitem__(
            rid, (response, error)))
    batch.execute()
    return answers


def test_drive_has_a_batch_endpoint_of_its_own_for_at_most_100_calls(
    google: Google, google_emulator: Emulator,
) -> None:
    uri = google_emulator.url + "/batch/drive/v3"
    files = google.drive.files()
    doc = {"mimeType": "application/vnd.google-apps.document"}
    answers = _batch(uri, [files.create(body={**doc, "name": f"d{n}"}) for n in range(3)])
    assert sorted(r["name"] for r, e in answers.values() if e is None) == ["d0", "d1", "d2"]
    with pytest.raises(HttpError) as caught:
        _batch(uri, [files.create(body={**doc, "name": f"e{n}"}) for n in range(101)])
    assert caught.value.status_code == 400
    assert len(google_emulator.state()["files"]) == 3


def test_a_batch_holds_calls_of_its_own_api_only(
    google: Google, google_emulator: Emulator,
) -> None:
    made = google.drive.files().create(
        body={"name": "n", "mimeType": "application/vnd.google-apps.document"}).execute()
    read = google.docs.documents().get(documentId=made["id"])
    for uri in (google_emulator.url + "/batch/drive/v3", google_emulator.batch_uri):
        with pytest.raises(HttpError) as caught:
            _batch(uri, [read])
        assert caught.value.status_code == 400
    with pytest.raises(HttpError) as caught:
        _batch(google_emulator.url + "/batch/docs/v1", [read])  # a guess, not the batchPath
    assert caught.value.status_code == 404


def test_the_docs_batch_path_answers_every_part_501_and_writes_nothing(
    google: Google, google_emulator: Emulator,
) -> None:
    doc = {"mimeType": "application/vnd.google-apps.document"}
    ids = [google.drive.files().create(body={**doc, "name": f"d{n}"}).execute()["id"]
           for n in range(2)]
    documents = google.docs.documents()
    answers = _batch(google_emulator.url + "/batch", [documents.batchUpdate(
        documentId=ident, body={"requests": [{"insertText": {
            "endOfSegmentLocation": {}, "text": f"doc {n}"}}]}) for n, ident in enumerate(ids)])
    assert [error.status_code if error else None for _, error in answers.values()] == [501] * 2
    assert {d["text"] for d in google_emulator.state()["docs"].values()} == {"\n"}
    documents.batchUpdate(documentId=ids[0], body={"requests": [{"insertText": {
        "endOfSegmentLocation": {}, "text": "alone"}}]}).execute()  # alone: written
    assert google_emulator.state()["docs"][ids[0]]["text"] == "alone\n"


def test_an_in_batch_fault_fails_the_call_inside_a_batch_only(
    google: Google, google_emulator: Emulator,
) -> None:
    made = google.drive.files().create(body={"name": "n"}).execute()
    google_emulator.fault(path="^/drive/v3/files/", status=501, in_batch=True, times=5)
    files = google.drive.files()
    answers = _batch(google_emulator.url + "/batch/drive/v3", [files.get(fileId=made["id"])])
    [(_, error)] = answers.values()
    assert error is not None and error.status_code == 501
    assert files.get(fileId=made["id"]).execute()["id"] == made["id"]  # alone: answered


@pytest.mark.parametrize(("body", "reason", "named"), [
    ({"colour": 1}, "invalid", "colour"),
    ({"attendees": "x"}, "invalid", "attendees"),
    ({"start": {"dateTime": "2026-05-05T10:00:00Z"}}, "required", "end"),
    ({"end": {"dateTime": "2026-05-05T10:00:00Z"}}, "required", "start"),
])
def test_schema_rejections(google: Google, body: Json, reason: str, named: str) -> None:
    full = {**_timed("2026-05-05T10:00:00", "2026-05-05T11:00:00"), **body}
    if reason == "required":
        full = body
    with pytest.raises(HttpError) as caught:
        google.calendar.events().insert(calendarId="primary", body=full).execute()

    assert caught.value.status_code == 400
    detail = _error(caught)["errors"][0]
    assert detail["reason"] == reason
    assert named in detail["message"]


def test_fault_503_carries_retry_after(google: Google, google_emulator: Emulator) -> None:
    google_emulator.fault(nth=2, status=503, retry_after=2, path="/events$")
    events = google.calendar.events()
    events.list(calendarId="primary").execute()

    with pytest.raises(HttpError) as caught:
        events.list(calendarId="primary").execute()
    assert caught.value.status_code == 503
    assert caught.value.resp["retry-after"] == "2"
    assert _error(caught)["errors"][0]["reason"] == "backendError"
    assert events.list(calendarId="primary").execute()["items"] == []


def test_fault_403_rate_limit(google: Google, google_emulator: Emulator) -> None:
    google_emulator.fault(status=403, reason="rateLimitExceeded", method="POST")
    google.calendar.calendars().get(calendarId="primary").execute()  # a GET: not counted

    with pytest.raises(HttpError) as caught:
        google.calendar.events().insert(calendarId="primary", body=_timed(
            "2026-05-05T10:00:00", "2026-05-05T11:00:00")).execute()
    assert caught.value.status_code == 403
    assert caught.value.error_details[0]["reason"] == "rateLimitExceeded"


def test_client_retries_recover_from_one_503(google: Google, google_emulator: Emulator) -> None:
    google_emulator.fault(status=503)
    request = google.calendar.calendars().get(calendarId="primary")
    request._sleep = lambda seconds: None  # the client's own backoff, not a timing sleep

    assert request.execute(num_retries=2)["id"] == "lead@example.com"
    assert [e["status"] for e in google_emulator.requests()] == [503, 200]


# ---------------------------------------------------------------- drive and docs


def test_drive_create_with_generated_id(google: Google) -> None:
    files = google.drive.files()
    ids = files.generateIds(count=3, space="drive", type="files").execute()["ids"]
    assert len(ids) == 3 and all(len(i) == 33 for i in ids)

    created = files.create(body={"id": ids[0], "name": "1:1 Alice", "mimeType": "text/plain"},
                           fields="id,name,webViewLink").execute()

    assert created == {"id": ids[0], "name": "1:1 Alice",
                       "webViewLink": f"https://drive.google.com/file/d/{ids[0]}/view?usp=drivesdk"}
    with pytest.raises(HttpError) as caught:
        files.create(body={"id": ids[0], "name": "again", "mimeType": "text/plain"}).execute()
    assert caught.value.status_code == 409
    permissions = google.drive.permissions().list(
        fileId=ids[0], fields="permissions(role,emailAddress)").execute()["permissions"]
    assert permissions == [{"role": "owner", "emailAddress": "lead@example.com"}]


def test_drive_refuses_a_generated_id_for_a_google_doc_but_not_for_a_folder(
        google: Google) -> None:
    files = google.drive.files()
    doc_id, folder_id = files.generateIds(count=2).execute()["ids"]
    with pytest.raises(HttpError) as caught:
        files.create(body={"id": doc_id, "name": "1:1 Alice", "mimeType": DOC}).execute()
    assert caught.value.status_code == 400
    assert caught.value.error_details[0]["reason"] == "generatedIdNotSupported"
    assert files.list().execute()["files"] == []
    folder = files.create(body={"id": folder_id, "name": "1:1s",
                                "mimeType": "application/vnd.google-apps.folder"}).execute()
    assert folder["id"] == folder_id


def test_drive_list_by_app_properties(google: Google) -> None:
    files = google.drive.files()
    for person in ("alice", "bob"):
        files.create(body={"name": f"1:1 {person}", "mimeType": DOC,
                           "appProperties": {"syncd": "notes", "person": person}}).execute()
    bob_old = files.list(q="name = '1:1 bob'").execute()["files"][0]
    files.update(fileId=bob_old["id"], body={"trashed": True}).execute()

    query = ("appProperties has { key='person' and value='bob' } and "
             "appProperties has { key='syncd' and value='notes' }")
    everything = files.list(q=query, fields="files(id,trashed)").execute()["files"]
    live = files.list(q=query + " and trashed = false").execute()

    assert everything == [{"id": bob_old["id"], "trashed": True}]
    assert live == {"kind": "drive#fileList", "incompleteSearch": False, "files": []}
    with pytest.raises(HttpError) as caught:
        files.list(q="appProperties has { key='person' }").execute()
    assert caught.value.status_code == 400


def test_docs_insert_text_and_read_back(google: Google) -> None:
    doc_id = google.drive.files().create(body={"name": "Notes", "mimeType": DOC}).execute()["id"]
    documents = google.docs.documents()
    empty = documents.get(documentId=doc_id).execute()
    assert [e.get("paragraph", {}).get("elements", [{}])[0].get("textRun", {}).get("content")
            for e in empty["body"]["content"]] == [None, "\n"]

    reply = documents.batchUpdate(documentId=doc_id, body={
        "requests": [{"insertText": {"endOfSegmentLocation": {}, "text": "## 2026-03-17 ☕\n"}},
                     {"insertText": {"location": {"index": 1}, "text": "Notes 😀\n"}}],
        "writeControl": {"requiredRevisionId": empty["revisionId"]},
    }).execute()
    document = documents.get(documentId=doc_id).execute()

    text = "".join(e["paragraph"]["elements"][0]["textRun"]["content"]
                   for e in document["body"]["content"] if "paragraph" in e)
    assert text == "Notes 😀\n## 2026-03-17 ☕\n\n"
    assert [e["startIndex"] for e in document["body"]["content"][1:]] == [1, 10, 26]
    assert reply["writeControl"]["requiredRevisionId"] == document["revisionId"]
    for bad in ({"requests": [{"insertText": {"location": {"index": 27}, "text": "x"}}]},
                {"requests": [{"insertText": {"location": {"index": 1}, "text": "x"}}],
                 "writeControl": {"requiredRevisionId": empty["revisionId"]}}):
        with pytest.raises(HttpError) as caught:
            documents.batchUpdate(documentId=doc_id, body=bad).execute()
        assert caught.value.status_code == 400
    with pytest.raises(HttpError) as caught:
        documents.get(documentId="no-such-document").execute()
    assert caught.value.status_code == 404


def test_docs_paragraph_styles_bullets_and_deletes(google: Google) -> None:
    doc_id = google.drive.files().create(body={"name": "Notes", "mimeType": DOC}).execute()["id"]
    documents = google.docs.documents()
    documents.batchUpdate(documentId=doc_id, body={"requests": [
        {"insertText": {"endOfSegmentLocation": {}, "text": "Title\nTask one\nTask two"}},
        {"updateParagraphStyle": {"range": {"startIndex": 1, "endIndex": 7},
                                  "fields": "namedStyleType",
                                  "paragraphStyle": {"namedStyleType": "HEADING_2"}}},
        {"createParagraphBullets": {"range": {"startIndex": 7, "endIndex": 25},
                                    "bulletPreset": "BULLET_CHECKBOX"}},
    ]}).execute()
    # A newline typed inside a checklist item makes another item (style copied).
    documents.batchUpdate(documentId=doc_id, body={"requests": [
        {"insertText": {"location": {"index": 15}, "text": "\nTask three"}},
        {"deleteContentRange": {"range": {"startIndex": 1, "endIndex": 2}}}]}).execute()
    document = documents.get(documentId=doc_id).execute()
    paras = [e["paragraph"] for e in document["body"]["content"] if "paragraph" in e]
    assert ["".join(r["textRun"]["content"] for r in p["elements"]) for p in paras] == [
        "itle\n", "Task one\n", "Task three\n", "Task two\n"]
    assert paras[0]["paragraphStyle"]["namedStyleType"] == "HEADING_2"
    assert paras[0]["paragraphStyle"]["headingId"].startswith("h.")
    list_ids = {p["bullet"]["listId"] for p in paras[1:]}
    (list_id,) = list_ids
    level = document["lists"][list_id]["listProperties"]["nestingLevels"][0]
    assert level["glyphType"] == "GLYPH_TYPE_UNSPECIFIED" and "glyphSymbol" not in level
    documents.batchUpdate(documentId=doc_id, body={"requests": [
        {"deleteParagraphBullets": {"range": {"startIndex": 6, "endIndex": 15}}}]}).execute()
    paras = [e["paragraph"] for e in documents.get(documentId=doc_id).execute()["body"][
        "content"] if "paragraph" in e]
    assert ["bullet" in p for p in paras] == [False, False, True, True]
    # Whole paragraphs deleted: nothing merges, the rest keep their styles and lists.
    documents.batchUpdate(documentId=doc_id, body={"requests": [
        {"deleteContentRange": {"range": {"startIndex": 6, "endIndex": 26}}}]}).execute()
    paras = [e["paragraph"] for e in documents.get(documentId=doc_id).execute()["body"][
        "content"] if "paragraph" in e]
    assert [("".join(r["textRun"]["content"] for r in p["elements"]), "bullet" in p,
             p["paragraphStyle"]["namedStyleType"]) for p in paras] == [
        ("itle\n", False, "HEADING_2"), ("Task two\n", True, "NORMAL_TEXT")]
    with pytest.raises(HttpError) as caught:  # merging two paragraphs is not modelled
        documents.batchUpdate(documentId=doc_id, body={"requests": [
            {"deleteContentRange": {"range": {"startIndex": 3, "endIndex": 8}}}]}).execute()
    assert caught.value.status_code == 501
    for bad in ({"deleteContentRange": {"range": {"startIndex": 30, "endIndex": 40}}},
                {"deleteContentRange": {"range": {"startIndex": 3, "endIndex": 2}}},
                {"updateParagraphStyle": {"range": {"startIndex": 1, "endIndex": 2},
                                          "paragraphStyle": {"namedStyleType": "HEADING_2"}}},
                {"updateParagraphStyle": {"range": {"startIndex": 1, "endIndex": 2},
                                          "fields": "namedStyleType",
                                          "paragraphStyle": {"namedStyleType": "LOUD"}}}):
        with pytest.raises(HttpError) as caught:
            documents.batchUpdate(documentId=doc_id, body={"requests": [bad]}).execute()
        assert caught.value.status_code == 400, bad
    with pytest.raises(HttpError) as caught:
        documents.batchUpdate(documentId=doc_id, body={"requests": [
            {"replaceAllText": {"containsText": {"text": "x"}, "replaceText": "y"}}]}).execute()
    assert caught.value.status_code == 501


def test_uploads_are_refused(google_emulator: Emulator) -> None:
    # The client cannot even send one here: it keeps the https scheme of the discovery
    # document's upload URL, so an upload against the emulator fails with an SSL error.
    request = urllib.request.Request(
        google_emulator.url + "/upload/drive/v3/files?uploadType=media", data=b"# notes\n",
        method="POST", headers={"Content-Type": "text/markdown"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    assert "upload" in json.loads(caught.value.read())["error"]["message"]


# ---------------------------------------------------------------- admin and lifecycle


def test_reads_only_leave_no_writes_in_the_log(google: Google,
                                               google_emulator: Emulator) -> None:
    google.calendar.calendars().get(calendarId="primary").execute()
    google.calendar.events().list(calendarId="primary", singleEvents=True).execute()
    google.drive.files().list(q="trashed = false").execute()
    google_emulator.state()  # admin calls are never logged

    log = google_emulator.requests()
    assert len(log) == 3
    assert {e["method"] for e in log} == {"GET"}
    assert log[1]["query"]["singleEvents"] == "true"


def test_dump_and_seed_round_trip(google: Google, google_emulator: Emulator) -> None:
    events = google.calendar.events()
    events.insert(calendarId="primary", body=_weekly(id="series0004")).execute()
    events.delete(calendarId="primary", eventId="series0004_20260324T090000Z").execute()
    doc_id = google.drive.files().create(body={"name": "Notes", "mimeType": DOC}).execute()["id"]
    google.docs.documents().batchUpdate(documentId=doc_id, body={"requests": [
        {"insertText": {"endOfSegmentLocation": {}, "text": "hello\n"}}]}).execute()
    dumped = google_emulator.state()

    google_emulator.reset()
    assert google_emulator.state()["calendars"][0]["events"] == []
    google_emulator.seed(dumped)

    assert google_emulator.state() == dumped
    items = events.instances(calendarId="primary", eventId="series0004").execute()["items"]
    assert len(items) == 3


def test_seed_partial_events_and_shared_files(google: Google,
                                              google_emulator: Emulator) -> None:
    google_emulator.seed({
        "calendars": [{"id": "lead@example.com", "events": [
            {"id": "handmade01", "summary": "Alice / Lead", **_weekly()}]}],
        "files": [{"id": "1notesalice000000000000000000000", "name": "Alice", "mimeType": DOC}],
        "docs": {"1notesalice000000000000000000000": {"text": "old notes"}},
        "permissions": {"1notesalice000000000000000000000": [
            {"role": "reader", "emailAddress": "alice@example.com"}]},
    })

    event = google.calendar.events().get(calendarId="primary", eventId="handmade01").execute()
    assert event["organizer"]["self"] is True and event["etag"].startswith('"')
    shared = google.drive.files().get(fileId="1notesalice000000000000000000000",
                                      fields="shared").execute()
    assert shared == {"shared": True}
    roles = google.drive.permissions().list(fileId="1notesalice000000000000000000000").execute()
    assert [p["role"] for p in roles["permissions"]] == ["owner", "reader"]


def test_running_emulator_stops_every_thread() -> None:
    before = threading.active_count()
    with running_emulator(owner="dana@example.com", time_zone="UTC") as emulator:
        calendar = _build("calendar", "v3", emulator.calendar_endpoint)
        assert calendar.calendars().get(calendarId="primary").execute()["timeZone"] == "UTC"
    assert threading.active_count() == before
    with pytest.raises(OSError):
        urllib.request.urlopen(emulator.url + "/_emulator/state", timeout=5)


def test_module_entry_point_serves_until_terminated() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--port", "0"], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        calendar = _build("calendar", "v3", url + "/calendar/v3/")
        assert calendar.calendars().get(calendarId="primary").execute()["id"] == \
            "lead@example.com"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_freebusy_merges_busy_time_and_marks_unseen_calendars(
        google: Google, google_emulator: Emulator) -> None:
    lead = google_emulator.state()["owner"]
    standup = _timed("2027-01-05T10:00:00", "2027-01-05T10:30:00", summary="Standup")
    review = _timed("2027-01-05T10:15:00", "2027-01-05T11:00:00", summary="Review")
    focus = _timed("2027-01-05T14:00:00", "2027-01-05T16:00:00", transparency="transparent")
    skipped = _timed("2027-01-05T16:00:00", "2027-01-05T17:00:00", attendees=[
        {"email": lead, "responseStatus": "declined"}, {"email": "x@example.com"}])
    colleague = _timed("2027-01-05T09:00:00", "2027-01-05T09:45:00")
    google_emulator.seed({"calendars": [
        {"id": lead, "timeZone": BERLIN, "events": [standup, review, focus, skipped]},
        {"id": "ben@example.com", "timeZone": BERLIN, "events": [colleague]},
        {"id": "cho@example.com", "timeZone": BERLIN, "freeBusyVisible": False,
         "events": [colleague]},
    ]})
    answer = google.calendar.freebusy().query(body={
        "timeMin": "2027-01-05T00:00:00Z", "timeMax": "2027-01-06T00:00:00Z",
        "items": [{"id": "primary"}, {"id": "ben@example.com"}, {"id": "cho@example.com"},
                  {"id": "nobody@example.com"}]}).execute()
    calendars = answer["calendars"]
    assert answer["kind"] == "calendar#freeBusy"
    assert calendars["primary"] == {"busy": [
        {"start": "2027-01-05T09:00:00Z", "end": "2027-01-05T10:00:00Z"}]}
    assert calendars["ben@example.com"] == {"busy": [
        {"start": "2027-01-05T08:00:00Z", "end": "2027-01-05T08:45:00Z"}]}
    for unseen in ("cho@example.com", "nobody@example.com"):
        assert calendars[unseen]["errors"] == [{"domain": "global", "reason": "notFound"}]
        assert calendars[unseen]["busy"] == []


def test_freebusy_needs_both_ends_of_the_range(google: Google) -> None:
    with pytest.raises(HttpError) as caught:
        google.calendar.freebusy().query(body={
            "timeMin": "2027-01-05T00:00:00Z", "items": [{"id": "primary"}]}).execute()
    assert caught.value.resp.status == 400
