"""Headless Chromium (Debian's `chromium`) turning the HTML report into a PDF or a PNG.

The page is written to a private temp folder together with a throw-away browser
profile; Chromium runs in its own process group with no network chatter of its own
(no sync, component updates or background requests), stdin from /dev/null and its
chatter in a log file, and is killed with its children if it overruns the timeout.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

NAMES = ("chromium", "chromium-browser")
INSTALL_HINT = "install Chromium (Debian: apt-get install --no-install-recommends chromium)"
TIMEOUT = 60.0
WINDOW = (1000, 1400)
_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run")


class BrowserError(Exception):
    """Chromium is missing, failed or overran its time."""


def find() -> str | None:
    """The path of `chromium` or `chromium-browser` on PATH, or None."""
    for name in NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    return None


def pdf(html: str, timeout: float = TIMEOUT) -> bytes:
    """`html` printed to PDF (no header or footer, so no temp path or date in it)."""
    return _run(html, "report.pdf", ("--no-pdf-header-footer", "--print-to-pdf={}"), timeout)


def screenshot(html: str, window: tuple[int, int] = WINDOW, timeout: float = TIMEOUT) -> bytes:
    """A PNG of the first `window` (width, height) pixels of `html`, as a screen shows it."""
    return _run(html, "report.png",
                (f"--window-size={window[0]},{window[1]}", "--screenshot={}"), timeout)


def _run(html: str, name: str, flags: tuple[str, ...], timeout: float) -> bytes:
    """Chromium on `html` with `flags` ("{}" standing for the output file); its output."""
    binary = find()
    if binary is None:
        raise BrowserError(f"Chromium not found on PATH: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="syncd-chromium-") as tmp:
        folder = Path(tmp)
        page, target, log = folder / "report.html", folder / name, folder / "chromium.log"
        page.write_text(html, encoding="utf-8")
        args = [binary, *_FLAGS, f"--user-data-dir={folder / 'profile'}",
                *(flag.format(target) for flag in flags), page.as_uri()]
        with log.open("wb") as out:
            try:
                proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as exc:
                raise BrowserError(f"cannot start {binary}: {exc.strerror or exc}") from exc
            try:
                code = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise BrowserError(f"{binary} took longer than {timeout:g} s") from None
        if code != 0 or not target.is_file() or target.stat().st_size == 0:
            tail = log.read_text(encoding="utf-8", errors="replace")[-1000:]
            raise BrowserError(f"{binary} exited {code} without writing {name}: {tail}")
        return target.read_bytes()
