"""Google-shaped API errors: one exception type that renders the JSON body Google sends."""

from __future__ import annotations

from typing import Any

# The canonical status names Google puts next to the HTTP code (410 has none).
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# The messages Google uses for the reasons the emulator produces without a specific text.
_MESSAGES = {
    "notFound": "Not Found",
    "duplicate": "The requested identifier already exists.",
    "deleted": "Resource has been deleted",
    "conditionNotMet": "Precondition Failed",
    "fullSyncRequired": "Sync token is no longer valid, a full sync is required.",
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Calendar usage limits exceeded.",
    "backendError": "Backend Error",
    "internalError": "Internal Error",
    "badRequest": "Bad Request",
    "invalid": "Invalid Value",
    "required": "Required",
    "parseError": "Parse Error",
    "forbidden": "Forbidden",
    "notImplemented": "Not Implemented",
}

# Quota errors live in the usageLimits domain, everything else in global.
_USAGE_LIMITS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}


class ApiError(Exception):
    """An error answer: HTTP code, Google reason and message, optional location."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str | None = None,
        *,
        location: str | None = None,
        location_type: str | None = None,
        retry_after: int | None = None,
        status: str | None = None,
    ) -> None:
        self.code = code
        self.reason = reason
        self.message = message or _MESSAGES.get(reason, reason)
        self.location = location
        self.location_type = location_type
        self.retry_after = retry_after
        self.status = status or _STATUS.get(code)
        super().__init__(f"{code} {reason}: {self.message}")

    def body(self, *, with_errors: bool = True) -> dict[str, Any]:
        """The JSON error body; Docs (a newer API) sends no `errors` list, so it can be left out."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if with_errors:
            detail: dict[str, Any] = {
                "domain": "usageLimits" if self.reason in _USAGE_LIMITS else "global",
                "reason": self.reason,
                "message": self.message,
            }
            if self.location_type:
                detail["locationType"] = self.location_type
            if self.location:
                detail["location"] = self.location
            error["errors"] = [detail]
        if self.status:
            error["status"] = self.status
        return {"error": error}


def not_found(message: str | None = None, location: str | None = None) -> ApiError:
    """404 notFound."""
    return ApiError(
        404,
        "notFound",
        message,
        location=location,
        location_type="parameter" if location else None,
    )


def invalid(message: str, location: str | None = None, reason: str = "invalid") -> ApiError:
    """400 with reason `invalid` (or another 400 reason)."""
    return ApiError(
        400, reason, message, location=location, location_type="parameter" if location else None
    )
