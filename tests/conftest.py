"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.emulator import Emulator


@pytest.fixture
def google_emulator() -> Iterator[Emulator]:
    """A Google Calendar/Drive/Docs emulator on a free 127.0.0.1 port, stopped after the test."""
    # Imported here so test folders that never use it do not load the discovery documents.
    from tests.emulator import running_emulator

    with running_emulator() as emulator:
        yield emulator
