"""Resident memory and idle CPU of `syncd run`, the long-running service.

On a copy of the demo (local calendar, Markdown notes), it starts
`syncd run --interval 20s` the way systemd does (a NOTIFY_SOCKET this script
listens on, WATCHDOG_USEC as in systemd/syncd.service), waits for three cycles
(the first one applies the demo's plan, the next two find nothing to do), then:

- RSS: VmRSS from /proc/PID/status after those three cycles (and VmHWM, the peak);
- idle CPU: user + system CPU seconds (/proc/PID/stat) used over the next 60 s,
  in which the daemon only waits and runs its steady-state cycles.

Aim: under 80 MB resident, under 0.5 s of CPU per idle minute.
Usage: python bench/daemon_idle.py [--interval 20s] [--idle 60]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"
WATCHDOG_USEC = 5 * 60 * 1_000_000  # WatchdogSec=5min in systemd/syncd.service
RSS_AIM_MB, CPU_AIM_S = 80.0, 0.5


class Notifications:
    """The datagram socket systemd would listen on; collects the daemon's messages."""

    def __init__(self) -> None:
        self.address = f"@syncd-bench-{uuid.uuid4().hex}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.address[1:])
        self.messages: list[list[str]] = []

    def cycles(self) -> int:
        """How many cycle STATUS lines arrived (not the one that comes with READY=1)."""
        return sum(1 for m in self.messages
                   if "READY=1" not in m and any(f.startswith("STATUS=") and "next run" in f
                                                 for f in m))

    def collect_until(self, deadline: float, cycles: int | None = None) -> None:
        """Receive messages until `deadline` (time.monotonic), or until `cycles` cycles."""
        while cycles is None or self.cycles() < cycles:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                self.messages.append(self.sock.recv(4096).decode().split("\n"))
            except TimeoutError:
                return

    def close(self) -> None:
        self.sock.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of the process, in MB (10^6 bytes)."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024 / 1e6
    return found


def demo_copy(folder: Path) -> Path:
    """The demo calendar and example config in `folder`; the config's path."""
    shutil.copytree(DEMO / "calendar", folder / "calendar")
    config = folder / "config.yaml"
    text = (ROOT / "config.example.yaml").read_text().replace("examples/demo/", "")
    config.write_text(text)
    return config


def main() -> None:
    """Start the daemon, wait for three cycles, measure, stop it; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", default="20s", help="syncd run --interval (default 20s)")
    parser.add_argument("--idle", type=float, default=60.0, help="idle window in seconds")
    options = parser.parse_args()
    syncd = Path(sys.executable).with_name("syncd")
    notify = Notifications()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as journal:
        config = demo_copy(Path(tmp))
        env = {k: v for k, v in os.environ.items() if k not in ("WATCHDOG_PID", "JOURNAL_STREAM")}
        env.update(NOTIFY_SOCKET=notify.address, WATCHDOG_USEC=str(WATCHDOG_USEC))
        cmd = [str(syncd), "run", "--interval", options.interval, "--config", str(config),
               "--log-level", "info"]
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=journal)
        try:
            notify.collect_until(time.monotonic() + 300, cycles=3)
            if notify.cycles() < 3 or proc.poll() is not None:
                journal.seek(0)
                raise SystemExit(f"no three cycles within 300 s; stderr:\n"
                                 f"{journal.read().decode()[-2000:]}")
            memory = memory_mb(proc.pid)
            cpu_start = cpu_seconds(proc.pid)
            before = notify.cycles()
            began = time.monotonic()
            notify.collect_until(began + options.idle)
            idle_cpu = cpu_seconds(proc.pid) - cpu_start
            window = time.monotonic() - began
            during = notify.cycles() - before
            idle_memory = memory_mb(proc.pid)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            notify.close()
    rss, cpu = memory["VmRSS"], idle_cpu
    print(f"syncd run --interval {options.interval} on the demo (4 people), pid {proc.pid}")
    print(f"RSS after 3 cycles:   {rss:7.1f} MB  (peak {memory['VmHWM']:.1f} MB; "
          f"after the idle window {idle_memory['VmRSS']:.1f} MB)  aim < {RSS_AIM_MB:.0f} MB  "
          f"{'ok' if rss < RSS_AIM_MB else 'OVER'}")
    print(f"CPU over {window:.0f} s idle: {cpu:7.2f} s   ({during} steady-state cycles in "
          f"the window)  aim < {CPU_AIM_S} s  {'ok' if cpu < CPU_AIM_S else 'OVER'}")
    print(f"stopped with exit code {code}")


if __name__ == "__main__":
    main()
