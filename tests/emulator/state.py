"""The admin view of all data: a JSON dump, and seeding from the same shape.

    {"owner": "lead@example.com", "timeZone": "Europe/Berlin",
     "calendars": [{"id", "summary", "timeZone", "freeBusyVisible", "events": [event, ...]}],
     "files": [drive file, ...],
     "docs": {"<fileId>": {"text": "line\\n", "revision": 1, "styles": ["NORMAL_TEXT"],
              "bullets": [null], "lists": {}}},
     "permissions": {"<fileId>": [{"type": "user", "role": "reader", "emailAddress": "..."}]},
     "generatedIds": ["..."]}

Seeded events and files may be partial: what Google would fill in (ids, etags, stamps,
organizer, links) is filled in. Seeding replaces everything and voids all sync tokens.
"""

from __future__ import annotations

import json
from typing import Any

from tests.emulator.calendar import seed_event
from tests.emulator.drive import DOCUMENT, new_file, seed_permission
from tests.emulator.errors import invalid
from tests.emulator.store import Calendar, Doc, Store

Json = dict[str, Any]
_KEYS = {"owner", "timeZone", "calendars", "files", "docs", "permissions", "generatedIds"}


def dump(store: Store) -> Json:
    """Everything the store holds, as plain JSON (a copy)."""
    with store.lock:
        state = {
            "owner": store.owner,
            "timeZone": store.time_zone,
            "calendars": [
                {"id": cal.id, "summary": cal.summary, "timeZone": cal.time_zone,
                 "freeBusyVisible": cal.free_busy_visible,
                 "events": list(cal.events.values())}
                for cal in store.calendars.values()
            ],
            "files": list(store.files.values()),
            "docs": {key: {"text": doc.text, "revision": doc.revision,
                           "styles": list(doc.styles), "bullets": list(doc.bullets),
                           "lists": dict(doc.lists)}
                     for key, doc in store.docs.items()},
            "permissions": store.permissions,
            "generatedIds": sorted(store.generated_ids),
        }
        copied: Json = json.loads(json.dumps(state))
        return copied


def seed(store: Store, state: Json) -> None:
    """Replace the store's data with `state` (all or nothing; 400 on a bad state)."""
    unknown = set(state) - _KEYS
    if unknown:
        raise invalid(f"Unknown state keys {sorted(unknown)}; known: {sorted(_KEYS)}")
    fresh = Store(owner=state.get("owner", store.owner),
                  time_zone=state.get("timeZone", store.time_zone))
    for raw in state.get("calendars", []):
        cal = fresh.calendars.get(raw["id"]) or Calendar(raw["id"], raw["id"], fresh.time_zone)
        cal.summary = raw.get("summary", cal.summary)
        cal.time_zone = raw.get("timeZone", cal.time_zone)
        cal.free_busy_visible = bool(raw.get("freeBusyVisible", True))
        fresh.calendars[cal.id] = cal
        for event in raw.get("events", []):
            seed_event(fresh, cal, event)
    for raw in state.get("files", []):
        file = new_file(fresh, raw.get("id") or f"seeded{len(fresh.files):05d}xyz", raw)
        file.update(raw)
    for file_id, raw in state.get("docs", {}).items():
        if fresh.files.get(file_id, {}).get("mimeType") != DOCUMENT:
            raise invalid(f"docs[{file_id!r}] needs a file with mimeType {DOCUMENT}.")
        text = raw["text"] if raw["text"].endswith("\n") else raw["text"] + "\n"
        fresh.docs[file_id] = Doc(
            text=text, revision=int(raw.get("revision", 1)), styles=list(raw.get("styles", [])),
            bullets=list(raw.get("bullets", [])), lists=dict(raw.get("lists", {})))
    for file_id, permissions in state.get("permissions", {}).items():
        for permission in permissions:
            seed_permission(fresh, file_id, permission)
    fresh.generated_ids.update(state.get("generatedIds", []))
    with store.lock:
        store.replace_with(fresh)
