"""sd_notify: datagrams systemd would read, abstract sockets, and silence without systemd."""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.sdnotify import Notifier, watchdog_interval


@pytest.fixture
def short_dir() -> Iterator[Path]:
    # A socket path must fit in 108 bytes; pytest's tmp_path may not.
    with tempfile.TemporaryDirectory(dir="/tmp", prefix="sdn") as folder:
        yield Path(folder)


def listener(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + address[1:] if address.startswith("@") else address)
    sock.settimeout(5)
    return sock


def fields(sock: socket.socket) -> list[str]:
    return sock.recv(4096).decode().split("\n")


def test_path_socket_gets_ready_with_status(short_dir: Path) -> None:
    address = str(short_dir / "notify")
    with listener(address) as sock:
        notifier = Notifier.from_env({"NOTIFY_SOCKET": address})
        assert notifier.enabled
        assert notifier.ready("started with 4 people")
        assert fields(sock) == ["READY=1", "STATUS=started with 4 people"]
        notifier.close()


def test_abstract_socket_name_starting_with_at_sign() -> None:
    address = f"@syncd-test-{uuid.uuid4().hex}"
    with listener(address) as sock:
        notifier = Notifier(address)
        assert notifier.watchdog()
        assert fields(sock) == ["WATCHDOG=1"]
        assert notifier.stopping("stopping")
        assert fields(sock) == ["STOPPING=1", "STATUS=stopping"]
        notifier.close()


def test_status_is_one_line_and_reload_carries_a_monotonic_timestamp() -> None:
    address = f"@syncd-test-{uuid.uuid4().hex}"
    with listener(address) as sock:
        notifier = Notifier(address)
        notifier.status("4 people,\n3 actions done")
        assert fields(sock) == ["STATUS=4 people, 3 actions done"]
        notifier.reloading()
        got = fields(sock)
        assert got[0] == "RELOADING=1"
        assert got[1].startswith("MONOTONIC_USEC=") and int(got[1].split("=")[1]) > 0
        notifier.close()


def test_without_notify_socket_everything_is_a_quiet_no_op() -> None:
    notifier = Notifier.from_env({})
    assert not notifier.enabled
    assert notifier.ready("x") is False
    assert notifier.watchdog() is False
    assert notifier.stopping() is False


def test_a_manager_that_never_reads_cannot_freeze_the_daemon() -> None:
    """With the socket's queue full, notifications are dropped, not waited on."""
    address = f"@syncd-test-{uuid.uuid4().hex}"
    with listener(address) as sock:
        notifier = Notifier(address)
        sent = [notifier.watchdog() for _ in range(5000)]
        assert sent[0] is True
        assert sent[-1] is False  # the queue filled up long before; the call returned
        assert fields(sock) == ["WATCHDOG=1"]
        notifier.close()


def test_a_vanished_socket_does_not_raise(short_dir: Path) -> None:
    notifier = Notifier(str(short_dir / "gone"))
    assert notifier.ready() is False
    notifier.close()


def test_watchdog_pings_at_half_the_timeout_and_only_for_the_main_process() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "2000000"}) == 1.0
    own = {"WATCHDOG_USEC": "600000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_interval(own) == 300.0
    assert watchdog_interval({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None
