"""Fixtures of the integration tests: the Google emulator with the contract roster's owner,
the contract roster on it, and systemd's notify socket. The `demo` workspace is shared by
every test folder (tests/conftest.py, tests/workspace.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.emulator import Emulator
    from tests.integration.gdemo import GoogleDemo
    from tests.integration.test_service import NotifySocket


@pytest.fixture
def owner_emulator() -> Iterator[Emulator]:
    """The Google emulator with the contract roster's owner owning the calendar."""
    from tests.emulator import running_emulator
    from tests.integration.gdemo import OWNER

    with running_emulator(owner=OWNER) as emu:
        yield emu


@pytest.fixture
def g(owner_emulator: Emulator, tmp_path: Path) -> GoogleDemo:
    """The contract roster on the emulator's calendar and Google Docs notes."""
    from tests.integration.gdemo import GoogleDemo

    demo = GoogleDemo(owner_emulator, tmp_path)
    demo.write_config()
    return demo


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    """A NOTIFY_SOCKET datagram socket, as systemd gives a Type=notify service."""
    from tests.integration.test_service import NotifySocket

    sock = NotifySocket()
    try:
        yield sock
    finally:
        sock.close()
