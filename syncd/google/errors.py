"""What can go wrong talking to Google, as exceptions: each HTTP status Google answers
with is mapped to its meaning once, here, and callers catch the meaning.

Nothing here imports the Google client libraries, so code that only names these
errors (a command deciding what to print) starts without them.
"""

from __future__ import annotations

from typing import ClassVar

# Why a 403 is a quota to wait out rather than a refusal. Google's reasons:
# https://developers.google.com/workspace/calendar/api/guides/errors
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})


class AuthError(Exception):
    """Google credentials are missing, unsafe, revoked or unusable; the message says what to do."""


class GoogleError(Exception):
    """A Google API call failed for good; `status` is the HTTP status (0: no answer)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        """One error as Google reported it."""
        super().__init__(f"HTTP {status} {reason}: {message}" if status else message)
        self.status = status
        self.reason = reason

    # True when trying again later may work (rate limits, server trouble, no answer).
    passing: ClassVar[bool] = False


class Unavailable(GoogleError):
    """No answer, or a 5xx: Google's side, worth another try."""

    passing = True


class RateLimited(GoogleError):
    """429, or a 403 whose reason is a quota: slow down and try again."""

    passing = True


class Forbidden(GoogleError):
    """403 for any other reason: the credentials may not do this."""


class NotFound(GoogleError):
    """404: no such event, file or Doc."""


class AlreadyExists(GoogleError):
    """409: the id asked for is taken (by an earlier run's create)."""


class Gone(GoogleError):
    """410: deleted, or a sync token that is no longer valid."""


class SyncTokenExpired(Gone):
    """410 fullSyncRequired: the listing must start again without a token.

    https://developers.google.com/workspace/calendar/api/guides/sync ("Full sync
    required by server"): any 410 on a listing with a sync token means the same.
    """


class PreconditionFailed(GoogleError):
    """412: the event or Doc changed since it was read (If-Match, required revision)."""


class Unsupported(GoogleError):
    """501: this call is not served here; nothing was done, and trying again will not help
    (Sheets answers it to calls inside a batch: googleapis/google-api-python-client#2085)."""


_BY_STATUS: dict[int, type[GoogleError]] = {
    0: Unavailable, 404: NotFound, 409: AlreadyExists, 410: Gone, 412: PreconditionFailed,
    429: RateLimited, 501: Unsupported,
}


def google_error(status: int, reason: str, message: str) -> GoogleError:
    """The exception that says what `status` (and Google's `reason`) means."""
    kind = _BY_STATUS.get(status, GoogleError)
    if status == 403:
        kind = RateLimited if reason in RATE_REASONS else Forbidden
    elif status == 410 and reason == "fullSyncRequired":
        kind = SyncTokenExpired
    elif status >= 500 and status != 501:
        kind = Unavailable
    return kind(status, reason, message)
