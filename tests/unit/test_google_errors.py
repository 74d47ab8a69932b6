"""Google's HTTP answers mapped to what they mean, once (syncd/google/errors.py)."""

from __future__ import annotations

import pytest

from syncd.google.errors import (
    AlreadyExists,
    Forbidden,
    Gone,
    GoogleError,
    NotFound,
    PreconditionFailed,
    RateLimited,
    SyncTokenExpired,
    Unavailable,
    Unsupported,
    google_error,
)


@pytest.mark.parametrize(("status", "reason", "meaning", "passing"), [
    (0, "", Unavailable, True),  # no answer at all
    (404, "notFound", NotFound, False),
    (409, "duplicate", AlreadyExists, False),
    (409, "fileIdInUse", AlreadyExists, False),
    (410, "deleted", Gone, False),
    (410, "fullSyncRequired", SyncTokenExpired, False),
    (412, "conditionNotMet", PreconditionFailed, False),
    (429, "rateLimitExceeded", RateLimited, True),
    (403, "userRateLimitExceeded", RateLimited, True),
    (403, "quotaExceeded", RateLimited, True),
    (403, "forbidden", Forbidden, False),
    (403, "insufficientPermissions", Forbidden, False),
    (500, "backendError", Unavailable, True),
    (503, "", Unavailable, True),
    (501, "", Unsupported, False),  # not served here: another try gets the same
    (400, "badRequest", GoogleError, False),
])
def test_each_answer_has_its_meaning(status: int, reason: str, meaning: type[GoogleError],
                                     passing: bool) -> None:
    error = google_error(status, reason, "what Google said")
    assert type(error) is meaning
    assert error.passing is passing
    assert (error.status, error.reason) == (status, reason)


def test_an_expired_sync_token_is_gone_and_the_message_names_the_status() -> None:
    error = google_error(410, "fullSyncRequired", "Sync token is no longer valid")
    assert isinstance(error, Gone)
    assert str(error) == "HTTP 410 fullSyncRequired: Sync token is no longer valid"
    assert str(google_error(0, "", "no answer from Google")) == "no answer from Google"
