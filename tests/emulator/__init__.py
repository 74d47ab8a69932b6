"""A local emulator of the Google Calendar v3, Drive v3 and Docs v1 surface syncd uses.

    with running_emulator() as emu:
        cal = build("calendar", "v3", credentials=AnonymousCredentials(),
                    client_options={"api_endpoint": emu.calendar_endpoint})

See README.md in this folder for the admin endpoints and fault injection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.emulator.client import Emulator
from tests.emulator.server import EmulatorServer

__all__ = ["Emulator", "EmulatorServer", "running_emulator"]


@contextmanager
def running_emulator(
    owner: str = "lead@example.com", time_zone: str = "Europe/Berlin", port: int = 0
) -> Iterator[Emulator]:
    """Serve an emulator on 127.0.0.1 for the duration of the block, then stop it cleanly."""
    server = EmulatorServer(owner, time_zone, port)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="google-emulator",
                              daemon=True)
    thread.start()
    try:
        yield Emulator(server.url)
    finally:
        server.shutdown()
        server.server_close()  # joins the request threads
        thread.join()
