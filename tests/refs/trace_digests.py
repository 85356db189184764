"""Digests of every preset trace and a grid of seeded runs, to prove a refactoring changes no number.

    python tests/refs/trace_digests.py write FILE    # record
    python tests/refs/trace_digests.py check FILE    # compare; exit 1 and list what changed
    python tests/refs/trace_digests.py check FILE --ignore d_image,oscillation   # drop these keys first

The cases loop over the registry's models, the preset catalogue and each model's choice
options, so a new model or preset is covered without editing this file.
"""
from __future__ import annotations

import itertools
import json
import sys


def _api():
    try:
        from gatelab.engines import presets, registry
    except ImportError:  # before packaging as gatelab
        from engines import presets, registry  # type: ignore
    return presets, registry


def cases():
    presets, registry = _api()
    out = []
    for p in presets.catalogue():
        models = [p.model] + [m for m in registry.MODELS if m != p.model]
        for m in models:
            out.append((m, registry.Source(preset=p.name), {}))
    for name, spec in registry.MODELS.items():
        choices = {o: registry.OPTIONS[o].type for o in spec.options if isinstance(registry.OPTIONS[o].type, tuple)}
        keys = sorted(choices)
        combos = [dict(zip(keys, vals)) for vals in itertools.product(*(choices[k] for k in keys))] or [{}]
        if "layers" in spec.options:
            combos += [dict(c, layers=2) for c in combos] + [dict(c, bidirectional=True) for c in combos]
        if name == "gan":
            combos = [{"train_steps": 20, "snapshot_every": 5}]
        for seed, (h, d, t) in ((0, (3, 2, 4)), (1, (2, 1, 3)), (7, (4, 3, 5))):
            for combo in combos[:48]:
                out.append((name, registry.Source(seed=seed, hidden=h, input_size=d, steps=t), combo))
    return out


def _drop(v, ignore):
    if isinstance(v, dict):
        return {k: _drop(x, ignore) for k, x in v.items() if k not in ignore}
    if isinstance(v, list):
        return [_drop(x, ignore) for x in v]
    return v


def _digest(trace, ignore) -> str:
    if not ignore:
        return trace.digest()
    import hashlib
    blob = json.dumps(_drop(trace.to_dict(), ignore), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def digests(ignore=frozenset()) -> dict[str, str]:
    _, registry = _api()
    res = {}
    for model, src, opts in cases():
        key = f"{model}|{src.preset or ''}|{src.seed}|{json.dumps(opts, sort_keys=True)}"
        try:
            res[key] = _digest(registry.compute(model, src, opts).trace, ignore)
        except Exception as e:  # a refusal is a result too
            res[key] = f"error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return res


def main(argv):
    mode, path = argv[1], argv[2]
    ignore = frozenset(argv[argv.index("--ignore") + 1].split(",")) if "--ignore" in argv else frozenset()
    now = digests(ignore)
    if mode == "write":
        with open(path, "w") as fh:
            json.dump(now, fh, indent=0, sort_keys=True)
        print(f"{len(now)} cases, {sum(not v.startswith('error') for v in now.values())} traces")
        return 0
    old = json.load(open(path))
    changed = [k for k in sorted(set(old) & set(now)) if old[k] != now[k]]
    gone = sorted(set(old) - set(now))
    for k in changed[:50] + gone[:10]:
        print(f"{k}: {old.get(k)} -> {now.get(k)}")
    print(f"{len(now)} cases, {len(changed)} changed, {len(gone)} gone, {len(set(now) - set(old))} new")
    changed += gone
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
