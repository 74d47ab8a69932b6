"""`python -m tests.stateful.crashing ARGS…`: the syncd CLI with the OS failing one write.

Test-only. The k-th file write (os.write: notes; os.replace: calendar files) either
fails with EIO (SYNCD_TEST_FAIL_MODE=raise) or completes and then the process dies
at once with no cleanup (SYNCD_TEST_FAIL_MODE=exit), as a kill -9 or a power cut
between a write and its state commit would. Only the OS is patched, never syncd.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from typing import Any

CRASH_EXIT = 70


def _counting(real: Callable[..., Any], limit: int, mode: str,
              count: list[int]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        if count[0] == limit and mode == "raise":
            raise OSError(errno.EIO, "injected I/O error")
        result = real(*args, **kwargs)
        if count[0] == limit and mode == "exit":
            os._exit(CRASH_EXIT)
        return result
    return call


def main() -> None:
    limit = int(os.environ["SYNCD_TEST_FAIL_AT"])
    mode = os.environ["SYNCD_TEST_FAIL_MODE"]
    count = [0]  # shared by both patched calls: "the k-th write" of any kind
    os.write = _counting(os.write, limit, mode, count)
    os.replace = _counting(os.replace, limit, mode, count)
    from syncd.cli import main as cli  # imported after patching: nothing holds the originals

    cli(sys.argv[1:], prog_name="syncd")


if __name__ == "__main__":
    main()
