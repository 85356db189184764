"""Run every benchmark in bench/ (bench_*.py), one after the other, in one session."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    wanted = sys.argv[1:]
    for script in sorted(HERE.glob("bench_*.py")):
        if wanted and not any(w in script.stem for w in wanted):
            continue
        print(f"== {script.stem}")
        subprocess.run([sys.executable, str(script)], cwd=HERE, check=False)
        print()
