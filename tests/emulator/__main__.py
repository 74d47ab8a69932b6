"""`python -m tests.emulator --port N [--seed FILE.json]`: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import sys

from tests.emulator import state
from tests.emulator.client import Emulator
from tests.emulator.server import EmulatorServer


def main(argv: list[str] | None = None) -> int:
    """Run the emulator in the foreground; the first stdout line is its URL."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", help="a JSON state file (the shape of GET /_emulator/state)")
    parser.add_argument("--owner", default="lead@example.com")
    parser.add_argument("--time-zone", default="Europe/Berlin")
    args = parser.parse_args(argv)
    server = EmulatorServer(args.owner, args.time_zone, args.port)
    if args.seed:
        with open(args.seed, encoding="utf-8") as file:
            state.seed(server.api.store, json.load(file))
    emulator = Emulator(server.url)
    print(emulator.url, flush=True)
    print(f"calendar: {emulator.calendar_endpoint}  drive: {emulator.drive_endpoint}  "
          f"docs: {emulator.docs_endpoint}  batch: {emulator.batch_uri}", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
