"""The HTML report as headless Chromium shows it, and `syncd report --format pdf`.

Chromium (Debian's `chromium`) takes a 1000x1400 screenshot of the `team` report; the
PNG is decoded here with zlib and struct alone. The picture must not be blank, and the
heat-map must be on it: every square of it (one per person and week, plus one legend
swatch per status) is found as a patch of its exact fill colour, so a heat-map that is
hidden, cut or pushed below the fold has too few squares and fails.

`make test` installs Chromium as root on Debian; without it these tests are skipped
with the command that installs it.
"""

from __future__ import annotations

import re
import statistics
import struct
import zlib
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from syncd.report import browser
from syncd.report.render import STYLE
from tests.integration import test_report
from tests.integration.test_report import report
from tests.workspace import Workspace

WIDTH, HEIGHT = browser.WINDOW
CELL = 22  # px: a heat-map square at 100% zoom (render._CELL)
team = test_report.team  # the fixture: the demo with Erin's events and Gina, reconciled


@pytest.fixture(scope="module")
def chromium() -> str:
    found = browser.find()
    if found is None:
        pytest.skip("Chromium is not installed, so the report is not checked in a browser: "
                    "as root, run `apt-get install --no-install-recommends chromium` "
                    "(`make test` does it)")
    return found


# --- a PNG decoder (8-bit RGB or RGBA, not interlaced) ------------------------------------


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and one RGB byte string per row of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, bytearray(), b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length:
                                                                   pos + 12 + length])[0]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(bytes(idat))
    assert len(raw) == height * (stride + 1)
    rows: list[bytes] = []
    prior = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        unfilter(kind, line, prior, bpp)
        rows.append(bytes(line) if bpp == 3 else
                    bytes(b for i, b in enumerate(line) if i % 4 != 3))
        prior = line
    return width, height, rows


def unfilter(kind: int, line: bytearray, prior: bytearray, bpp: int) -> None:
    """Undo one scanline's PNG filter (0 none, 1 sub, 2 up, 3 average, 4 Paeth) in place."""
    if kind == 0:
        return
    if kind == 2:
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, prior, strict=True))
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = prior[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            corner = prior[i - bpp] if i >= bpp else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + guess) & 0xFF
        else:
            raise AssertionError(f"unknown PNG filter {kind}")


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def squares(rows: list[bytes], colours: dict[tuple[int, int, int], str],
            ) -> list[tuple[str, int, int, int, int]]:
    """(status, left, top, width, height) of every patch of one of `colours` that is about
    a heat-map square: 4-connected pixels of that exact colour, a bounding box of about
    CELLxCELL (the letter inside a square leaves its fill connected around it)."""
    wanted: dict[tuple[int, int], str] = {}
    for y, row in enumerate(rows):
        for x in range(0, len(row), 3):
            status = colours.get((row[x], row[x + 1], row[x + 2]))
            if status is not None:
                wanted[(x // 3, y)] = status
    found = []
    while wanted:
        (x, y), status = wanted.popitem()
        stack, xs, ys = [(x, y)], [x], [y]
        while stack:
            cx, cy = stack.pop()
            for n in ((cx + 1, cy), (cx - 1, cy), (cx, cy + 1), (cx, cy - 1)):
                if wanted.get(n) == status:
                    del wanted[n]
                    stack.append(n)
                    xs.append(n[0])
                    ys.append(n[1])
        w, h = max(xs) - min(xs) + 1, max(ys) - min(ys) + 1
        if CELL - 4 <= w <= CELL + 2 and CELL - 4 <= h <= CELL + 2:
            found.append((status, min(xs), min(ys), w, h))
    return found


# --- the tests ------------------------------------------------------------------------------


def test_html_report_shows_its_heatmap_in_the_first_screen_of_chromium(
        team: Workspace, chromium: str, tmp_path: Path) -> None:
    html = report(team, "--format", "html")
    assert html.code == 0, html.err
    people = report(team, "--format", "json").json()["people"]
    statuses = Counter(c["status"] for p in people for c in p["heatmap"])

    png = browser.screenshot(html.out, (WIDTH, HEIGHT))
    (tmp_path / "report.png").write_bytes(png)  # kept by pytest to look at when this fails
    assert_heatmap_in_view(png, len(people), statuses)


def assert_heatmap_in_view(png: bytes, people: int, statuses: Counter[str]) -> None:
    """`png` is a WIDTHxHEIGHT picture with ink on it and the whole heat-map of `people`
    rows by 12 weeks, `statuses` counting its squares by status, and its legend."""
    width, height, rows = decode_png(png)
    assert (width, height) == (WIDTH, HEIGHT)

    # Not blank: the grey levels of a sample of pixels spread far beyond a flat page's 0.
    grey = [(row[x] * 299 + row[x + 1] * 587 + row[x + 2] * 114) // 1000
            for row in rows[::2] for x in range(0, len(row), 12)]
    assert statistics.pvariance(grey) > 200, statistics.pvariance(grey)
    assert sum(g < 128 for g in grey) > len(grey) // 200  # some dark ink (text) at least

    # The heat-map: each status's squares, counted where its colour is exact.
    colours = {rgb(fill): status for status, (fill, _, _) in STYLE.items()}
    assert len(colours) == len(STYLE)
    found = squares(rows, colours)
    seen = Counter(status for status, *_ in found)
    # One square per person and week in its status's colour, plus the legend's swatch.
    assert seen == Counter({s: statuses[s] + 1 for s in STYLE}), (seen, statuses)
    shown = {s for s, n in seen.items() if n > 1}
    assert shown == set(statuses) and len(shown) == len(statuses) >= 3

    # The cells form one evenly spaced grid of `people` rows by 12 columns.
    lefts = Counter(left for _, left, *_ in found)
    tops = Counter(top for _, _, top, *_ in found)
    columns = sorted(x for x, n in lefts.items() if n >= people)
    grid_rows = sorted(y for y, n in tops.items() if n == 12)
    assert len(columns) == 12 and len(grid_rows) == people, (lefts, tops)
    assert {b - a for a, b in pairwise(columns)} == {CELL + 2}
    assert {b - a for a, b in pairwise(grid_rows)} == {CELL + 2}


def test_pdf_report_is_printed_by_chromium(team: Workspace, chromium: str) -> None:
    target = team.root / "week.pdf"
    run = report(team, "--format", "pdf", "--output", str(target))
    assert run.code == 0, run.err
    assert run.out == ""
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 1
    assert target.stat().st_mode & 0o777 == 0o600


def test_pdf_without_chromium_exits_1_with_the_install_hint(
        team: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    target = team.root / "week.pdf"
    run = report(team, "--format", "pdf", "--output", str(target))
    assert run.code == 1
    assert "no PDF without Chromium" in run.err and "apt-get install" in run.err
    assert not target.exists()
