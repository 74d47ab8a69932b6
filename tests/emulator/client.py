"""The test-side handle on a running emulator: endpoints for the real client, admin calls."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class Emulator:
    """Where a running emulator listens, and its admin endpoints as methods."""

    url: str  # http://127.0.0.1:PORT

    @property
    def calendar_endpoint(self) -> str:
        """`api_endpoint` for build("calendar", "v3")."""
        return self.url + "/calendar/v3/"

    @property
    def drive_endpoint(self) -> str:
        """`api_endpoint` for build("drive", "v3")."""
        return self.url + "/drive/v3/"

    @property
    def docs_endpoint(self) -> str:
        """`api_endpoint` for build("docs", "v1"): its servicePath is empty, so the root."""
        return self.url + "/"

    @property
    def batch_uri(self) -> str:
        """`batch_uri` for BatchHttpRequest (new_batch_http_request() would aim at Google)."""
        return self.url + "/batch/calendar/v3"

    def state(self) -> Json:
        """Every calendar, event (exceptions included), file and doc, as JSON."""
        found: Json = self._admin("GET", "state")
        return found

    def seed(self, state: Json) -> None:
        """Replace all data with `state` (the shape state() returns; partial events are fine)."""
        self._admin("POST", "state", state)

    def requests(self) -> list[Json]:
        """The request log: {method, path, query, status, batch} per API request."""
        found: list[Json] = self._admin("GET", "requests")
        return found

    def fault(self, **spec: Any) -> None:
        """Queue a fault, e.g. fault(nth=1, status=503, retry_after=2)."""
        self._admin("POST", "faults", spec)

    def clear_faults(self) -> None:
        """Drop every pending fault (one that never fired would hit a later run)."""
        self._admin("DELETE", "faults")

    def expire_sync_tokens(self) -> None:
        """Make every sync token issued so far answer 410 fullSyncRequired."""
        self._admin("POST", "faults", {"expire_sync_tokens": True})

    def reset(self) -> None:
        """Empty store, no faults, empty request log."""
        self._admin("POST", "reset")

    def _admin(self, method: str, name: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_emulator/{name}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"emulator admin {method} {name}: {error.read().decode()}") from None
