"""Run one measured child process: wall time, peak RSS and its standard output."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, bytes]:
    """(seconds, peak MiB, stdout) of `cmd`; exits with its stderr tail if it fails."""
    # Output goes to files, not pipes, so waiting on the child (for its rusage) never blocks.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - began
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({code}): {err.read().decode()[-800:]}")
        return elapsed, usage.ru_maxrss / 1024, out.read()
