"""PDF reports through Chromium: missing, broken or slow browsers are one clear error,
and no half-written report file is left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.report import browser
from tests.workspace import Workspace

PAGE = "<!doctype html><title>r</title><p>report</p>"


def only_on_path(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(folder))


def test_without_chromium_the_pdf_report_exits_1_with_an_install_hint(
    demo: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    only_on_path(monkeypatch, tmp_path / "empty-bin")
    output = tmp_path / "report.pdf"
    run = demo.syncd("report", "--week", "2026-W50", "--format", "pdf", "--output", str(output))
    assert run.code == 1
    assert "no PDF without Chromium" in run.err and "apt-get install" in run.err
    assert not output.exists()
    with pytest.raises(browser.BrowserError, match="Chromium not found on PATH"):
        browser.pdf(PAGE)


def test_a_chromium_that_cannot_be_started_is_reported_and_nothing_written(
    demo: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "bin"
    only_on_path(monkeypatch, folder)
    broken = folder / "chromium"
    broken.write_bytes(b"\x00\x01 not a program")
    broken.chmod(0o755)
    output = tmp_path / "report.pdf"
    run = demo.syncd("report", "--week", "2026-W50", "--format", "pdf", "--output", str(output))
    assert run.code == 1
    assert f"syncd: no PDF: cannot start {broken}" in run.err
    assert not output.exists()


def test_a_chromium_that_fails_shows_the_end_of_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "bin"
    only_on_path(monkeypatch, folder)
    failing = folder / "chromium-browser"  # the second name syncd looks for
    failing.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    failing.chmod(0o755)
    assert browser.find() == str(failing)
    with pytest.raises(browser.BrowserError) as caught:
        browser.pdf(PAGE)
    assert f"{failing} exited 3 without writing report.pdf" in str(caught.value)
    assert "cannot open display" in str(caught.value)


def test_a_chromium_that_overruns_its_time_is_stopped_with_a_clear_error() -> None:
    assert browser.find() is not None, "Chromium is part of the test environment"
    with pytest.raises(browser.BrowserError, match=r"took longer than 0\.01 s"):
        browser.screenshot(PAGE, timeout=0.01)
