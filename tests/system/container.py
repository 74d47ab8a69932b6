"""A Debian container booted with a real systemd (systemd-nspawn), driven with nsenter.

The root file system and the wheelhouse come from tests/system/prepare.sh. The
container runs on a throw-away overlay (`--volatile=overlay`), with no network of
its own (`--private-network`), so every test run starts from the same clean image.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("SYNCD_SYSTEM_CACHE", ROOT / ".cache" / "systemd-test"))
ROOTFS = CACHE / "rootfs-bookworm-2"
WHEELS = CACHE / "wheels"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def why_not() -> str | None:
    """Why no container can run here, or None when one can."""
    if os.geteuid() != 0:
        return "systemd-nspawn needs root; run `make systemd-test` as root"
    for tool in ("systemd-nspawn", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: systemd-container, util-linux)"
    if not (ROOTFS / ".complete").exists():
        return f"no root file system in {ROOTFS}: run tests/system/prepare.sh (make systemd-test)"
    if not any(WHEELS.glob("syncd-*.whl")):
        return f"no syncd wheel in {WHEELS}: run tests/system/prepare.sh (make systemd-test)"
    return None


class ContainerError(RuntimeError):
    """The container did not boot, or a command inside it failed."""


@dataclass
class Container:
    """A booted container: `pid` is its systemd (PID 1 inside)."""

    nspawn: subprocess.Popen[bytes]
    pid: int
    log: Path

    def run(self, *argv: str, check: bool = True, stdin: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a command in all of the container's namespaces, with a clean environment."""
        result = subprocess.run(
            ["nsenter", "-t", str(self.pid), "-a", "env", "-i", f"PATH={PATH}", "LANG=C.UTF-8",
             *argv],
            input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise ContainerError(f"{' '.join(argv)} exited {result.returncode}:\n"
                                 f"{result.stdout}{result.stderr}")
        return result

    def sh(self, script: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a shell script inside the container."""
        return self.run("sh", "-ec", script, check=check)

    def write(self, path: str, text: str) -> None:
        """Write a file inside the container (on its overlay)."""
        self.run("sh", "-ec", f'mkdir -p "$(dirname {path})" && cat > {path}', stdin=text)

    def show(self, unit: str, *properties: str) -> dict[str, str]:
        """`systemctl show` properties of a unit."""
        out = self.run("systemctl", "show", unit, "-p", ",".join(properties)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def journal(self, unit: str) -> str:
        """Everything the unit logged since boot."""
        return self.run("journalctl", "--no-pager", "-o", "cat", "-u", unit).stdout

    def wait_for(self, what: str, test: object, deadline: float = 60) -> None:
        """Poll `test()` until it is true; fail after `deadline` seconds with `what`."""
        assert callable(test)
        end = time.monotonic() + deadline
        while not test():
            if time.monotonic() > end:
                raise ContainerError(f"gave up waiting for {what}")
            time.sleep(0.2)  # polling a real systemd; the deadline is the only timing


def _init_pid(nspawn: subprocess.Popen[bytes], log: Path, deadline: float) -> int:
    """The container's systemd: the process whose parent is systemd-nspawn."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if nspawn.poll() is not None:
            raise ContainerError(f"systemd-nspawn exited {nspawn.returncode}:\n"
                                 f"{log.read_text(errors='replace')[-2000:]}")
        children = Path(f"/proc/{nspawn.pid}/task/{nspawn.pid}/children")
        for pid in children.read_text().split() if children.exists() else ():
            if Path(f"/proc/{pid}/comm").read_text().strip() == "systemd":
                return int(pid)
        time.sleep(0.1)
    raise ContainerError("systemd did not start in the container")


@contextmanager
def booted(workdir: Path, binds: dict[Path, str]) -> Iterator[Container]:
    """Boot the cached root file system; power it off when done."""
    log = workdir / "nspawn.log"
    argv = ["systemd-nspawn", "-D", str(ROOTFS), "-b", "--register=no", "--keep-unit",
            "--private-network", "--volatile=overlay", "--console=passive",
            *(f"--bind-ro={host}:{inside}" for host, inside in binds.items())]
    with log.open("wb") as out:
        nspawn = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        container = Container(nspawn, _init_pid(nspawn, log, 30), log)
        # The system bus appears a moment after PID 1; until then systemctl cannot ask.
        container.wait_for("the system bus", lambda: container.run(
            "systemctl", "is-system-running", "--wait", check=False).stdout.strip()
            in ("running", "degraded"))
        yield container
    finally:
        # SIGTERM asks nspawn to shut the container down cleanly.
        nspawn.send_signal(signal.SIGTERM)
        try:
            nspawn.wait(timeout=60)
        except subprocess.TimeoutExpired:
            nspawn.kill()
            nspawn.wait()
