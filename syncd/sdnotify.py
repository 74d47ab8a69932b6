"""Tell systemd how the service is doing (the sd_notify protocol, standard library only).

systemd passes `NOTIFY_SOCKET` to a `Type=notify` service: the path of an
AF_UNIX datagram socket, or an abstract-namespace name written with a leading
"@". Each datagram is a few `KEY=value` lines. Without the variable every call
is a no-op, so the same code runs under systemd, in a terminal and in tests.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends state changes to the service manager; silently does nothing without a socket."""

    def __init__(self, address: str | None) -> None:
        """Notify the socket at `address` (a path, or "@name" for the abstract namespace)."""
        self.address = address or None
        self._socket: socket.socket | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """The notifier systemd asked for through NOTIFY_SOCKET (a no-op one if unset)."""
        env = os.environ if environ is None else environ
        return cls(env.get("NOTIFY_SOCKET"))

    @property
    def enabled(self) -> bool:
        """True when there is a service manager to tell."""
        return self.address is not None

    def send(self, *fields: str) -> bool:
        """Send one datagram of `KEY=value` fields; False when it could not be delivered.

        A lost notification must never stop the service (systemd may be
        restarting), so errors are logged, not raised.
        """
        if self.address is None:
            return False
        message = "\n".join(fields).encode("utf-8")
        # An abstract socket's name starts with a NUL byte instead of the "@".
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            if self._socket is None:
                # Non-blocking: with the manager's queue full (it is busy, or a test
                # never reads), a notification is dropped instead of freezing the daemon.
                kind = socket.SOCK_DGRAM | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK
                self._socket = socket.socket(socket.AF_UNIX, kind)
            self._socket.sendto(message, target)
        except OSError as exc:
            log.debug("sd_notify to %s failed: %s", self.address, exc)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """The service is up (or done reloading); `status` becomes its one-line STATUS."""
        return self.send("READY=1", *_status(status))

    def status(self, text: str) -> bool:
        """Replace the one-line status `systemctl status` shows."""
        return self.send(*_status(text))

    def watchdog(self) -> bool:
        """Still alive: resets the WatchdogSec= timer."""
        return self.send("WATCHDOG=1")

    def reloading(self) -> bool:
        """A reload begins; `ready()` ends it. MONOTONIC_USEC lets newer systemd match the two."""
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.send("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def stopping(self, status: str | None = None) -> bool:
        """The service is shutting down."""
        return self.send("STOPPING=1", *_status(status))

    def close(self) -> None:
        """Close the socket (a later send opens a new one)."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _status(text: str | None) -> tuple[str, ...]:
    # STATUS is one line: a newline would start a new (bogus) field.
    return () if text is None else ("STATUS=" + " ".join(text.split()),)


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WATCHDOG_USEC), or None without a watchdog.

    systemd sets WATCHDOG_PID to the main process; a child that inherited the
    variables must not ping on the parent's behalf.
    """
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / 2 / 1_000_000
