"""`gatelab inspect` and `gatelab compute lstm --weights F.safetensors` on a ~100 MB checkpoint
(a small LSTM beside a big extra tensor, written at bench time) vs `python -c "import numpy"`
(goal: inspect <= 1.5x: it reads the header only; compute reads only the LSTM's tensors)."""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from _timing import BIN, table, wall


def make_checkpoint(path: Path) -> None:
    from safetensors.numpy import save_file
    rng = np.random.default_rng(0)
    H, D = 4, 3
    tensors = {
        "embed.weight": rng.standard_normal((25_000_000,), dtype=np.float32),   # 100 MB, in no module GateLab draws
        "rnn.weight_ih_l0": rng.standard_normal((4 * H, D), dtype=np.float32),
        "rnn.weight_hh_l0": rng.standard_normal((4 * H, H), dtype=np.float32),
        "rnn.bias_ih_l0": rng.standard_normal((4 * H,), dtype=np.float32),
        "rnn.bias_hh_l0": rng.standard_normal((4 * H,), dtype=np.float32),
        "head.weight": rng.standard_normal((1, H), dtype=np.float32),
        "head.bias": rng.standard_normal((1,), dtype=np.float32),
    }
    save_file(tensors, str(path))
    (path.parent / "x.json").write_text(json.dumps({"x": rng.standard_normal((5, D)).tolist()}))


def main() -> None:
    py = sys.executable
    tmp = Path(tempfile.mkdtemp(prefix="gatelab-bench-"))
    env = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
    try:
        ckpt = tmp / "model.safetensors"
        make_checkpoint(ckpt)
        size = ckpt.stat().st_size / 1e6
        base = wall([py, "-c", "import numpy"], env=env)
        insp = wall([str(BIN / "gatelab"), "inspect", str(ckpt)], env=env)
        insp_json = wall([str(BIN / "gatelab"), "inspect", str(ckpt), "--json"], env=env)
        preset = wall([str(BIN / "gatelab"), "compute", "lstm"], env=env)
        comp = wall([str(BIN / "gatelab"), "compute", "lstm", "--weights", str(ckpt), "--inputs", str(tmp / "x.json")],
                    env=env)
        print(f"inspect / compute on a {size:.0f} MB safetensors file (median of 7 runs each, one session):")
        print(table([
            ('python -c "import numpy"', f"{base * 1000:7.1f} ms"),
            ("gatelab inspect F.safetensors", f"{insp * 1000:7.1f} ms  ({insp / base:.2f}x, goal <= 1.5x)"),
            ("gatelab inspect F.safetensors --json", f"{insp_json * 1000:7.1f} ms  ({insp_json / base:.2f}x)"),
            ("gatelab compute lstm (the preset, for reference)", f"{preset * 1000:7.1f} ms  ({preset / base:.2f}x)"),
            ("gatelab compute lstm --weights F.safetensors", f"{comp * 1000:7.1f} ms  ({comp / base:.2f}x)"),
        ]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
