"""An HTTP transport for calls that must not be carried out twice.

httplib2 sends a request again by itself when the connection closes before any answer
(its `_conn_request` takes that for a kept-alive connection gone stale), whatever the
method. For a create Google gives its own id (a notes Doc: Drive takes no id chosen in
advance for a Google Doc) or a first write into a new Doc, that resend runs the call a
second time whenever the first was carried out and only its answer lost: a second Doc,
or the template written twice. Here each request goes out on a connection of its own,
so none is stale, and a close before the answer is a failure the caller hears of
(`OSError`, which GoogleApi reads as "no answer": the call may have been made).
"""

from __future__ import annotations

import http.client
from typing import Any

import httplib2


class _AnswerOrFail:
    """A connection whose close before the status line is an error, not a stale socket."""

    def getresponse(self) -> http.client.HTTPResponse:
        try:
            response: http.client.HTTPResponse = super().getresponse()  # type: ignore[misc]
        except http.client.BadStatusLine as exc:  # RemoteDisconnected is one
            raise ConnectionAbortedError(f"the connection closed unanswered ({exc!r})") from None
        return response


class _Plain(_AnswerOrFail, httplib2.HTTPConnectionWithTimeout):  # type: ignore[misc]
    pass


class _Secure(_AnswerOrFail, httplib2.HTTPSConnectionWithTimeout):  # type: ignore[misc]
    pass


class OnceHttp(httplib2.Http):  # type: ignore[misc]
    """httplib2.Http that never sends a request a second time on its own."""

    def request(self, uri: str, method: str = "GET", body: Any = None,
                headers: Any = None, redirections: int = httplib2.DEFAULT_MAX_REDIRECTS,
                connection_type: Any = None) -> Any:
        """As httplib2's, each on a new connection (the one before it closed first)."""
        for connection in self.connections.values():
            connection.close()
        self.connections.clear()
        kind = connection_type or (_Secure if uri.startswith("https:") else _Plain)
        return super().request(uri, method, body, headers, redirections, kind)
