"""`gatelab compute lstm` whole-process time vs `python -c "import numpy"` (goal <= 1.5x)."""
from __future__ import annotations

import sys

from _timing import BIN, table, wall


def main() -> None:
    py = sys.executable
    base = wall([py, "-c", "import numpy"])
    ours = wall([str(BIN / "gatelab"), "compute", "lstm"])
    ours_json = wall([str(BIN / "gatelab"), "compute", "lstm", "--json"])
    print("compute (median of 7 runs, one session):")
    print(table([
        ('python -c "import numpy"', f"{base * 1000:7.1f} ms"),
        ("gatelab compute lstm", f"{ours * 1000:7.1f} ms  ({ours / base:.2f}x, goal <= 1.5x)"),
        ("gatelab compute lstm --json", f"{ours_json * 1000:7.1f} ms  ({ours_json / base:.2f}x)"),
    ]))


if __name__ == "__main__":
    main()
