"""Batch requests: `multipart/mixed` bodies of `application/http` parts, in and out.

The answer has one `application/http` part per inner request, in order, with
`Content-ID: <response-ID>` for the inner `Content-ID: <ID>`, which is what the client's
BatchHttpRequest parses (it needs CRLF between the inner headers and body).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from http import HTTPStatus

from tests.emulator.errors import invalid


@dataclass(frozen=True)
class InnerRequest:
    """One request taken out of a batch body."""

    content_id: str
    method: str
    target: str  # path and query
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Response:
    """An HTTP answer, for the wire or for a batch part."""

    status: int
    headers: dict[str, str]
    body: bytes


def split(content_type: str, body: bytes, most: int) -> list[InnerRequest]:
    """The inner requests of a batch body of at most `most` calls; 400 for anything that
    is not a valid batch."""
    envelope = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    message = BytesParser(policy=policy.compat32).parsebytes(envelope)
    if message.get_content_type() != "multipart/mixed" or not message.is_multipart():
        raise invalid("A batch request must be multipart/mixed.")
    parts = message.get_payload()
    assert isinstance(parts, list)
    if not parts:
        raise invalid("A batch request needs at least one part.")
    if len(parts) > most:
        raise invalid(f"A batch request may have at most {most} parts, not {len(parts)}.")
    requests = []
    for number, part in enumerate(parts, start=1):
        if part.get_content_type() != "application/http":
            raise invalid(f"Batch part {number} is not application/http.")
        payload = part.get_payload()
        assert isinstance(payload, str)
        raw = payload.encode("ascii", "surrogateescape")  # the parser's own decoding, undone
        content_id = (part["Content-ID"] or f"<{number}>").strip()
        requests.append(_inner(content_id.removeprefix("<").removesuffix(">"), raw, number))
    return requests


def _inner(content_id: str, raw: bytes, number: int) -> InnerRequest:
    blank = re.search(rb"\r?\n\r?\n", raw)
    head, body = (raw[:blank.start()], raw[blank.end():]) if blank else (raw, b"")
    lines = head.decode("latin-1").splitlines()
    request_line = lines[0].split() if lines else []
    if len(request_line) != 3 or not request_line[1].startswith("/"):
        raise invalid(f"Batch part {number} does not hold an HTTP request.")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[:int(headers["content-length"])]
    return InnerRequest(content_id, request_line[0].upper(), request_line[1], headers, body)


def join(answers: list[tuple[str, Response]]) -> tuple[str, bytes]:
    """The content type and body of the batch answer."""
    boundary = "batch_" + secrets.token_hex(12)
    out = bytearray()
    for content_id, response in answers:
        out += (f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{content_id}>\r\n\r\n").encode()
        out += f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}\r\n".encode()
        headers = {**response.headers, "Content-Length": str(len(response.body))}
        for name, value in headers.items():
            out += f"{name}: {value}\r\n".encode()
        out += b"\r\n" + response.body + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return f"multipart/mixed; boundary={boundary}", bytes(out)
