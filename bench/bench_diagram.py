"""`gatelab diagram lstm-unfolded` whole-process time vs `python -c "import numpy, graphviz"` plus
`dot -Tsvg` on the same DOT (goal <= 1.3x), and the whole catalogue's SVG export time."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import BIN, ROOT, table, wall


def main() -> None:
    py = sys.executable
    dot = shutil.which("dot")
    if dot is None:
        print("Graphviz's `dot` is not installed: nothing to measure")
        return
    tmp = Path(tempfile.mkdtemp(prefix="gatelab-bench-"))
    # A user's machine caches bytecode; this environment may forbid it (PYTHONDONTWRITEBYTECODE),
    # which would charge every run for compiling GateLab's sources. Cache it outside the tree.
    env = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
    try:
        src = subprocess.run([str(BIN / "gatelab"), "diagram", "lstm-unfolded", "--dot"], check=True,
                             capture_output=True, cwd=ROOT).stdout
        dot_file = tmp / "lstm-unfolded.dot"
        dot_file.write_bytes(src)
        imports = wall([py, "-c", "import numpy, graphviz"], env=env)
        dot_only = wall([dot, "-Tsvg", str(dot_file), "-o", str(tmp / "ref.svg")])
        base = imports + dot_only
        ours = wall([str(BIN / "gatelab"), "diagram", "lstm-unfolded", "--out", str(tmp)], env=env)
        print("diagram (median of 7 runs each, one session):")
        print(table([
            ('python -c "import numpy, graphviz"', f"{imports * 1000:7.1f} ms"),
            ("dot -Tsvg lstm-unfolded.dot", f"{dot_only * 1000:7.1f} ms"),
            ("  sum (the floor)", f"{base * 1000:7.1f} ms"),
            ("gatelab diagram lstm-unfolded", f"{ours * 1000:7.1f} ms  ({ours / base:.2f}x, goal <= 1.3x)"),
        ]))
        print()
        sys.path.insert(0, str(ROOT))
        from gatelab.diagrams import api, catalogue
        rows, total = [], 0.0
        for name in catalogue.DIAGRAMS:
            t0 = time.perf_counter()
            api.render(name, formats=("svg",), out_dir=str(tmp))
            dt = time.perf_counter() - t0
            total += dt
            rows.append((name, f"{dt * 1000:7.1f} ms"))
        rows.append((f"whole catalogue ({len(catalogue.DIAGRAMS)} SVGs, one process)", f"{total * 1000:7.1f} ms"))
        print("catalogue SVG export (in-process, default presets):")
        print(table(rows))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
