"""Print branch coverage per syncd module and fail when one is under the floor.

Usage: python .ci/coverage_floor.py COVERAGE.json FLOOR_PERCENT
(the JSON is what `pytest --cov=syncd --cov-branch --cov-report=json:FILE` writes).
"""

from __future__ import annotations

import json
import sys


def main(report: str, floor: float) -> int:
    with open(report, encoding="utf-8") as stream:
        files = json.load(stream)["files"]
    low = []
    print(f"{'module':<32} {'stmts':>6} {'branches':>8} {'cover':>7}")
    for name, data in sorted(files.items()):
        summary = data["summary"]
        percent = summary["percent_covered"]
        print(f"{name:<32} {summary['num_statements']:>6} {summary['num_branches']:>8} "
              f"{percent:>6.1f}%")
        if percent < floor:
            low.append(f"{name} {percent:.1f}%")
    if low:
        print(f"under {floor:.0f}% branch coverage: {', '.join(low)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
