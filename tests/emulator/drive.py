"""Drive v3: metadata-only files (create, get, list, update, delete), generateIds, permissions.

Like Drive, answers carry only the default fields (`kind,id,name,mimeType`) unless the
request names others in `fields`, so a client that forgets `fields=webViewLink` notices.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import secrets
from typing import Any

from tests.emulator.call import Call, Reply, registry
from tests.emulator.drive_query import compile_query
from tests.emulator.errors import ApiError, invalid, not_found
from tests.emulator.store import Doc, Store
from tests.emulator.times import timestamp

Json = dict[str, Any]
HANDLERS, _register = registry()

DOCUMENT = "application/vnd.google-apps.document"
FOLDER = "application/vnd.google-apps.folder"
# Google Workspace types a create may not give an id of its own (all but these two).
_NO_GENERATED_ID = re.compile(r"application/vnd\.google-apps\.(?!folder$|drive-sdk$)[\w.-]+")
ROOT_ID = "0AEmulatorRootUk9PVA"
OWNER_PERMISSION_ID = "01234567890123456789"

# What Drive answers when the request has no `fields` parameter.
DEFAULT_FIELDS = {
    "drive.files.create": "kind,id,name,mimeType",
    "drive.files.get": "kind,id,name,mimeType",
    "drive.files.update": "kind,id,name,mimeType",
    "drive.files.list": "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)",
    "drive.permissions.list": "kind,nextPageToken,permissions(kind,id,type,role)",
}

_FILE_ID = re.compile(r"[A-Za-z0-9_-]{10,100}")
_CREATE_WRITABLE = {
    "id", "name", "mimeType", "parents", "appProperties", "properties", "description",
    "starred", "createdTime", "modifiedTime", "originalFilename",
}
_UPDATE_WRITABLE = {
    "name", "mimeType", "appProperties", "properties", "description", "starred", "trashed",
    "modifiedTime", "originalFilename",
}
_ORDER_KEYS = {"createdTime", "modifiedTime", "name", "starred"}


@_register("drive.files.create")
def _create(call: Call) -> Reply:
    store = call.store
    body: Json = call.body or {}
    _check_writable(body, _CREATE_WRITABLE)
    file_id = body.get("id")
    if file_id is None:
        file_id = _new_id()
    elif _NO_GENERATED_ID.fullmatch(body.get("mimeType") or ""):
        # "Pre-generated IDs aren't supported for Google Workspace file creation", except
        # folders and drive-sdk files (developers.google.com/workspace/drive/api/guides/
        # create-file, "Generate IDs to use with your files"); the reason is the one a copy
        # of a Slides file with such an id got (googleapis/google-api-go-client#2334). The
        # status and wording are not recorded: 400, as Drive answers other unusable ids.
        raise ApiError(400, "generatedIdNotSupported",
                       "Generated IDs are not supported for this file type.",
                       location="id", location_type="other")
    elif file_id in store.used_file_ids:
        raise ApiError(409, "fileIdInUse", "A file already exists with the provided ID.",
                       location="id", location_type="other")
    elif not _FILE_ID.fullmatch(file_id):
        raise invalid("The provided file ID is not usable.", "id", "fileIdNotUsable")
    file = new_file(store, file_id, body)
    return Reply(body=copy.deepcopy(file))


def new_file(store: Store, file_id: str, fields: Json) -> Json:
    """Store a file resource built from writable fields (a Google Doc gets an empty body)."""
    parents = [ROOT_ID if p == "root" else p for p in fields.get("parents") or [ROOT_ID]]
    for parent in parents:
        if parent != ROOT_ID and store.files.get(parent, {}).get("mimeType") != FOLDER:
            raise not_found(f"File not found: {parent}.", "parents")
    now = timestamp(store.now())
    mime_type = fields.get("mimeType") or "application/octet-stream"
    file: Json = {
        "kind": "drive#file",
        "id": file_id,
        "name": fields.get("name") or "Untitled",
        "mimeType": mime_type,
        "parents": parents,
        "starred": bool(fields.get("starred", False)),
        "trashed": False,
        "explicitlyTrashed": False,
        "shared": False,
        "ownedByMe": True,
        "owners": [{
            "kind": "drive#user", "displayName": store.owner, "emailAddress": store.owner,
            "me": True, "permissionId": OWNER_PERMISSION_ID,
        }],
        "spaces": ["drive"],
        "version": "1",
        "createdTime": fields.get("createdTime") or now,
        "modifiedTime": fields.get("modifiedTime") or now,
        "webViewLink": _web_view_link(file_id, mime_type),
        "iconLink": f"https://drive-thirdparty.googleusercontent.com/16/type/{mime_type}",
    }
    for key in ("appProperties", "properties"):
        if fields.get(key):
            file[key] = {k: v for k, v in fields[key].items() if v is not None}
    for key in ("description", "originalFilename"):
        if key in fields:
            file[key] = fields[key]
    store.files[file_id] = file
    store.used_file_ids.add(file_id)
    store.generated_ids.discard(file_id)
    if mime_type == DOCUMENT:
        store.docs[file_id] = Doc()
    return file


def _web_view_link(file_id: str, mime_type: str) -> str:
    if mime_type == DOCUMENT:
        return f"https://docs.google.com/document/d/{file_id}/edit?usp=drivesdk"
    if mime_type == FOLDER:
        return f"https://drive.google.com/drive/folders/{file_id}"
    return f"https://drive.google.com/file/d/{file_id}/view?usp=drivesdk"


def _check_writable(body: Json, writable: set[str]) -> None:
    for key in body:
        if key not in writable:
            raise ApiError(
                403, "fieldNotWritable",
                f"The resource body includes fields which are not directly writable: {key}.",
                location=key, location_type="other",
            )


def _new_id() -> str:
    """A 33-character id like the ones Drive hands out."""
    return "1" + secrets.token_urlsafe(24)


def file_or_404(store: Store, file_id: str) -> Json:
    """A stored file; 404 `File not found: ID.` like Drive."""
    file = store.files.get(file_id)
    if file is None:
        raise not_found(f"File not found: {file_id}.", "fileId")
    return file


@_register("drive.files.get")
def _get(call: Call) -> Reply:
    return Reply(body=copy.deepcopy(file_or_404(call.store, call.params["fileId"])))


@_register("drive.files.update")
def _update(call: Call) -> Reply:
    store = call.store
    file = file_or_404(store, call.params["fileId"])
    body: Json = call.body or {}
    _check_writable(body, _UPDATE_WRITABLE)
    for key in ("appProperties", "properties"):
        if key in body:
            merged = {**file.get(key, {}), **(body[key] or {})}
            file[key] = {k: v for k, v in merged.items() if v is not None}
            if not file[key]:
                del file[key]
    for key in ("name", "mimeType", "description", "starred", "originalFilename"):
        if body.get(key) is not None:
            file[key] = body[key]
    if body.get("trashed") is not None:
        file["trashed"] = file["explicitlyTrashed"] = bool(body["trashed"])
    parents = [p for p in file["parents"] if p not in _split(call.params.get("removeParents"))]
    for parent in _split(call.params.get("addParents")):
        parent = ROOT_ID if parent == "root" else parent
        if parent not in parents:
            parents.append(parent)
    file["parents"] = parents
    touch(store, file, body.get("modifiedTime"))
    return Reply(body=copy.deepcopy(file))


def touch(store: Store, file: Json, modified: str | None = None) -> None:
    """Record a change to a file: new modifiedTime and version."""
    file["modifiedTime"] = modified or timestamp(store.now())
    file["version"] = str(int(file["version"]) + 1)


def _split(text: str | None) -> list[str]:
    return [part for part in (text or "").split(",") if part]


@_register("drive.files.delete")
def _delete(call: Call) -> Reply:
    store = call.store
    file_id = call.params["fileId"]
    file_or_404(store, file_id)
    del store.files[file_id]
    store.docs.pop(file_id, None)
    store.permissions.pop(file_id, None)
    return Reply(status=204)


@_register("drive.files.list")
def _list(call: Call) -> Reply:
    store, params = call.store, call.params
    files = list(store.files.values())
    if params.get("q"):
        matches = compile_query(params["q"], owner=store.owner, root_id=ROOT_ID)
        files = [file for file in files if matches(file)]
    if "drive" not in params.get("spaces", "drive").split(","):
        files = []  # nothing lives in the app data folder
    for key in reversed([k.strip() for k in params.get("orderBy", "").split(",") if k.strip()]):
        name, _, direction = key.partition(" ")
        if name not in _ORDER_KEYS or direction not in ("", "desc"):
            raise invalid(f"Invalid Value: orderBy {key!r}", "orderBy")
        files.sort(key=lambda file: file.get(name) or "", reverse=direction == "desc")
    page, token = _paginate(files, params, "drive.files.list")
    body: Json = {"kind": "drive#fileList", "incompleteSearch": False,
                  "files": copy.deepcopy(page)}
    if token:
        body["nextPageToken"] = token
    return Reply(body=body)


def _paginate(items: list[Json], params: Any, query_id: str) -> tuple[list[Json], str | None]:
    """One page; without pageSize Drive returns the whole My Drive list."""
    fingerprint = json.dumps([query_id, params.get("q"), params.get("orderBy"),
                              params.get("fileId")])
    offset = 0
    if params.get("pageToken"):
        try:
            data = json.loads(base64.urlsafe_b64decode(params["pageToken"].encode()))
            if data["f"] != fingerprint:
                raise ValueError("page token of another query")
            offset = int(data["o"])
        except (ValueError, KeyError, TypeError):
            raise invalid("Invalid Value", "pageToken") from None
    size = params.get("pageSize") or len(items) or 1
    page = items[offset:offset + size]
    if offset + size >= len(items):
        return page, None
    token = json.dumps({"o": offset + size, "f": fingerprint})
    return page, base64.urlsafe_b64encode(token.encode()).decode()


@_register("drive.files.generateIds")
def _generate_ids(call: Call) -> Reply:
    params = call.params
    space, kind = params.get("space", "drive"), params.get("type", "files")
    if space not in ("drive", "appDataFolder") or kind not in ("files", "shortcuts"):
        raise invalid("Invalid Value", "space" if space not in ("drive", "appDataFolder")
                      else "type")
    ids = [_new_id() for _ in range(params.get("count", 10))]
    call.store.generated_ids.update(ids)
    return Reply(body={"kind": "drive#generatedIds", "space": space, "ids": ids})


@_register("drive.permissions.list")
def _permissions(call: Call) -> Reply:
    store = call.store
    file_id = call.params["fileId"]
    file = file_or_404(store, file_id)
    owner = file["owners"][0]
    permissions = [{
        "kind": "drive#permission", "id": OWNER_PERMISSION_ID, "type": "user",
        "role": "owner", "emailAddress": owner["emailAddress"],
        "displayName": owner["displayName"], "deleted": False, "pendingOwner": False,
    }]
    permissions += copy.deepcopy(store.permissions.get(file_id, []))
    page, token = _paginate(permissions, call.params, "drive.permissions.list")
    body: Json = {"kind": "drive#permissionList", "permissions": page}
    if token:
        body["nextPageToken"] = token
    return Reply(body=body)


def seed_permission(store: Store, file_id: str, raw: Json) -> None:
    """Share a file (admin seeding): adds a permission and marks the file shared."""
    file = file_or_404(store, file_id)
    permission = {"kind": "drive#permission", "type": "user", "role": "reader", **raw}
    digest = hashlib.sha1(f"{file_id} {json.dumps(raw, sort_keys=True)}".encode()).hexdigest()
    permission.setdefault("id", str(int(digest[:15], 16)))
    store.permissions.setdefault(file_id, []).append(permission)
    file["shared"] = True
