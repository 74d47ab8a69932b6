"""The HTTP side: one dispatcher for API requests (top-level or inside a batch) and the admin
endpoints under /_emulator/, served by a ThreadingHTTPServer on 127.0.0.1.

Every API request goes through the same steps: request log, faults, routing by the
discovery documents, query and body validation, the handler (under the store lock), then
the `fields` mask. Connections close after each answer, so no handler thread outlives its
request and shutdown joins them all.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.emulator import batch, calendar, docs, drive, fieldmask, freebusy, state
from tests.emulator.batch import Response
from tests.emulator.call import Call, Handler
from tests.emulator.discovery import Discovery, Method
from tests.emulator.errors import ApiError, invalid, not_found
from tests.emulator.faults import Faults
from tests.emulator.store import Store

Json = dict[str, Any]

# Each API's own batch endpoint (the batchPath of its discovery document: "A batch request
# ... can be sent to the batchPath specified in the API discovery document",
# https://developers.google.com/admin-sdk/directory/v1/guides/batch), the API its parts
# must all go to ("All the inner requests must go to the same Google API") and how many
# calls one batch may hold: Calendar 1000
# (https://developers.google.com/calendar/api/guides/batch), Drive 100
# (https://developers.google.com/drive/api/guides/performance#batch-requests), Docs the
# guide's general 1000. The shared www.googleapis.com/batch was turned off on 2020-08-12
# (https://developers.googleblog.com/2018/03/discontinuing-support-for-json-rpc-and.html).
# Docs lives on its own host, where its discovery document still puts a batch at /batch,
# but "Requests sent as part of an HTTP batch request will fail after July 19, 2022"
# (https://developers.google.com/docs/api/how-tos/batch-deprecation): every part is
# answered 501 and not carried out, as Sheets, deprecated the same day, answers inside a
# batch (googleapis/google-api-python-client#2085, brekkylab/backlot#343).
BATCH_PATHS = {"/batch/calendar/v3": ("calendar", 1000), "/batch/drive/v3": ("drive", 100),
               "/batch": ("docs", 1000)}
_NO_DOCS_BATCH = ApiError(501, "notImplemented",
                          "Operation is not implemented, or supported, or enabled.",
                          status="UNIMPLEMENTED")
ADMIN_PREFIX = "/_emulator/"
HANDLERS: dict[str, Handler] = {
    **calendar.HANDLERS, **freebusy.HANDLERS, **drive.HANDLERS, **docs.HANDLERS}
_JSON = "application/json; charset=UTF-8"


def _json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    out = dict(headers or {})
    if body is not None:
        out["Content-Type"] = _JSON
    return Response(status, out, data)


def _error_response(error: ApiError, api: str | None) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else {}
    return _json_response(error.code, error.body(with_errors=api != "docs"), headers)


def _api_of(path: str) -> str | None:
    for api in ("calendar", "drive"):
        if path.startswith(f"/{api}/"):
            return api
    return "docs" if path.startswith("/v1/") else None


class DroppedAnswer(Exception):
    """A `drop` fault fired: the request was carried out; close the connection unanswered."""


class Api:
    """Serves API requests against one store, with faults and a request log."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.discovery = Discovery.load()
        self.faults = Faults()
        self.log: list[Json] = []
        self.log_lock = threading.Lock()

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes,
        *, inner: bool = False,
    ) -> Response:
        """Answer one API request (`inner` for a request taken out of a batch)."""
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        entry: Json = {
            "method": method,
            "path": parts.path,
            "query": {k: v[0] if len(v) == 1 else v for k, v in query.items()},
            "status": None,
            "batch": inner,
        }
        with self.log_lock:
            self.log.append(entry)
        envelope = not inner and method == "POST" and parts.path in BATCH_PATHS
        response = self._answer(method, parts.path, query, headers, body, entry, envelope,
                                inner)
        entry["status"] = response.status
        return response

    def _answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: Mapping[str, str],
        body: bytes, entry: Json, envelope: bool, inner: bool,
    ) -> Response:
        api = _api_of(path)
        fault = self.faults.take(method, path, envelope=envelope, inner=inner)
        if fault is not None:
            time.sleep(fault.latency_ms / 1000)
            error = fault.error()
            if error is not None and not fault.drop:
                return _error_response(error, api)
        try:
            if envelope:
                return self._batch(path, headers, body, entry)
            response = self._call(method, path, query, headers, body)
            if fault is not None and fault.drop:
                entry["status"] = "dropped"
                raise DroppedAnswer
            return response
        except DroppedAnswer:
            raise
        except ApiError as error:
            return _error_response(error, api)
        except Exception as error:  # an emulator bug: answer, and say so loudly
            traceback.print_exc()
            return _error_response(
                ApiError(500, "internalError", f"Emulator internal error: {error!r}"), api)

    def _batch(self, path: str, headers: Mapping[str, str], body: bytes,
               entry: Json) -> Response:
        api, most = BATCH_PATHS[path]
        requests = batch.split(headers.get("content-type", ""), body, most)
        entry["parts"] = len(requests)  # Google advises at most 50 per batch
        for number, inner in enumerate(requests, start=1):
            if _api_of(urlsplit(inner.target).path) != api:
                raise invalid(f"Batch part {number} is not a {api} request: every part of "
                              f"a batch goes to the API of its endpoint, {path}.")
        answers = [
            (inner.content_id,
             _error_response(_NO_DOCS_BATCH, api) if api == "docs" else
             self.handle(inner.method, inner.target, inner.headers, inner.body, inner=True))
            for inner in requests
        ]
        content_type, data = batch.join(answers)
        return Response(200, {"Content-Type": content_type}, data)

    def _call(
        self, method: str, path: str, query: dict[str, list[str]], headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        if path in BATCH_PATHS:
            raise ApiError(400, "badRequest", "A batch cannot contain a batch request.")
        if "upload/" in path:
            raise ApiError(400, "badRequest",
                           "The emulator does not take media uploads: create Docs with "
                           "files.create (metadata only) and write them with the Docs API.")
        routed = self.discovery.route(method, path)
        if routed is None:
            raise not_found(f"The emulator has no {method} {path}.")
        spec, raw_path_params = routed
        handler = HANDLERS.get(spec.id)
        if handler is None:
            raise ApiError(501, "notImplemented", f"The emulator does not implement {spec.id}.")
        params = self.discovery.query(spec, query)
        params.update({k: unquote(v) for k, v in raw_path_params.items()})
        payload = self._body(spec, body)
        mask = self._mask(spec, params)
        with self.store.lock:
            reply = handler(Call(self.store, params, payload, headers))
        content = None if reply.body is None else fieldmask.project(reply.body, mask)
        return _json_response(reply.status, content, reply.headers)

    def _body(self, spec: Method, body: bytes) -> Any:
        if spec.request_ref is None:
            return None
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            raise ApiError(400, "parseError", "Parse Error: the body is not JSON.") from None
        self.discovery.check_body(spec, payload)
        return payload

    def _mask(self, spec: Method, params: Mapping[str, Any]) -> fieldmask.Mask | None:
        text = params.get("fields") or drive.DEFAULT_FIELDS.get(spec.id)
        if not text or spec.response_ref is None:
            return None
        mask = fieldmask.parse(text)
        fieldmask.check(mask, {"$ref": spec.response_ref},
                        lambda name: self.discovery.schema(spec.api, name))
        return mask


class Admin:
    """The /_emulator/ endpoints: state dump and seed, request log, faults, reset."""

    def __init__(self, api: Api, owner: str, time_zone: str) -> None:
        self.api = api
        self.owner = owner
        self.time_zone = time_zone

    def handle(self, method: str, path: str, body: bytes) -> Response:
        """Answer an admin request; bad input is a 400 with a message."""
        api = self.api
        try:
            payload = json.loads(body) if body else None
            match method, path.removeprefix(ADMIN_PREFIX):
                case "GET", "state":
                    return _json_response(200, state.dump(api.store))
                case "POST", "state":
                    if not isinstance(payload, dict):
                        raise ValueError("the state must be a JSON object")
                    state.seed(api.store, payload)
                case "GET", "requests":
                    with api.log_lock:
                        return _json_response(200, list(api.log))
                case "POST", "faults":
                    self._faults(payload)
                case "DELETE", "faults":
                    api.faults.clear()
                case "POST", "reset":
                    with api.store.lock:
                        api.store.replace_with(Store(self.owner, self.time_zone))
                    api.faults.clear()
                    with api.log_lock:
                        api.log.clear()
                case _:
                    return _json_response(404, {"error": f"no admin endpoint {method} {path}"})
        except ApiError as error:
            return _json_response(400, {"error": error.message})
        except (ValueError, KeyError, TypeError) as error:
            return _json_response(400, {"error": f"{type(error).__name__}: {error}"})
        return _json_response(200, {"ok": True})

    def _faults(self, payload: Any) -> None:
        for spec in payload if isinstance(payload, list) else [payload]:
            if spec.get("expire_sync_tokens"):
                with self.api.store.lock:
                    self.api.store.sync_tokens.clear()
            else:
                self.api.faults.add(spec)


class EmulatorServer(ThreadingHTTPServer):
    """The HTTP server on 127.0.0.1 (port 0 picks a free one)."""

    daemon_threads = True

    def __init__(self, owner: str, time_zone: str, port: int = 0) -> None:
        self.api = Api(Store(owner, time_zone))
        self.admin = Admin(self.api, owner, time_zone)
        super().__init__(("127.0.0.1", port), _RequestHandler)

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so shutdown never waits on an idle keep-alive.
    protocol_version = "HTTP/1.0"
    server: EmulatorServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith(ADMIN_PREFIX):
            response = self.server.admin.handle(self.command, urlsplit(self.path).path, body)
        else:
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                response = self.server.api.handle(self.command, self.path, headers, body)
            except DroppedAnswer:
                self.close_connection = True
                return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log at /_emulator/requests is the record."""
