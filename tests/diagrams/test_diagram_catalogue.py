"""Every catalogue entry: renders with its defaults, carries metadata, is byte-for-byte deterministic,
and works in both themes and with --values none (the GAN entries are tested by tests/diagrams/test_diagram_gan.py)."""
from __future__ import annotations

import pytest

from gatelab.diagrams import api, catalogue

from _diagram_helpers import metadata, parse_svg

NAMES = [n for n in catalogue.DIAGRAMS if not n.startswith("gan")]


@pytest.mark.parametrize("name", NAMES)
def test_renders_deterministically_with_metadata(tmp_path, name):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    api.render(name, output=str(a))
    api.render(name, output=str(b))
    assert a.read_bytes() == b.read_bytes()
    meta = metadata(parse_svg(a))
    assert meta["diagram"] == name and len(meta["trace-sha256"] if "trace-sha256" in meta else
                                           next(v for k, v in meta.items() if k.endswith("trace-sha256"))) == 64


@pytest.mark.parametrize("name", NAMES)
def test_dark_theme_and_no_values(tmp_path, name):
    p = tmp_path / "d.svg"
    api.render(name, output=str(p), theme="dark", values="none")
    root = parse_svg(p)
    assert root.tag.endswith("svg")

