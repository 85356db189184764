"""docs/catalogue.md is generated from the catalogues: it must match `gatelab list --format md`."""
from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "catalogue.md"


def test_catalogue_doc_is_current(run_cli):
    r = run_cli("list", "--format", "md")
    assert r.exit_code == 0, r.output
    assert DOC.is_file(), "docs/catalogue.md is missing: run `make docs`"
    body = DOC.read_text(encoding="utf-8").split("\n\n", 2)[2]   # after the title and the note
    assert body == r.output, "docs/catalogue.md is out of date: run `make docs`"


def test_every_catalogue_entry_is_listed(run_cli):
    from gatelab.diagrams import catalogue as dcat
    from gatelab.engines import presets, registry
    from gatelab.scenes import catalogue as scat

    out = run_cli("list").output
    names = [*registry.MODELS, *presets.names(), *dcat.DIAGRAMS, *scat.SCENES, *dcat.PLOTS]
    missing = [n for n in names if f"  {n} " not in out]
    assert not missing, missing
