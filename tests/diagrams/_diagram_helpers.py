"""Shared helpers of the diagram tests: golden DOT files and SVG parsing."""
from __future__ import annotations

import os
from pathlib import Path

from lxml import etree

GOLDEN = Path(__file__).resolve().parent / "golden"
SVG_NS = "http://www.w3.org/2000/svg"
META_NS = "https://gatelab.dev/ns/diagram-metadata/1"
UPDATE_ENV = "GATELAB_UPDATE_GOLDENS"


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with golden/NAME.dot; a missing golden file fails.

    Goldens are written only on request: ``make goldens`` (GATELAB_UPDATE_GOLDENS=1) rewrites them;
    then look at the diff and the rendered figure before committing (a golden must have been eyeballed).
    """
    path = GOLDEN / f"{name}.dot"
    if os.environ.get(UPDATE_ENV) == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path} is missing; write it with `make goldens` and review it"
    assert text == path.read_text(encoding="utf-8"), f"DOT differs from {path}; if intended, `make goldens` and review"


def parse_svg(path) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(str(path), parser).getroot()


def svg_texts(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{{{SVG_NS}}}text")]


def svg_nodes(root) -> list[str]:
    """Titles of the graph's node groups (graphviz writes the node id as <title>)."""
    out = []
    for g in root.iter(f"{{{SVG_NS}}}g"):
        if g.get("class") == "node":
            out.append(g.find(f"{{{SVG_NS}}}title").text)
    return out


def metadata(root) -> dict[str, str]:
    el = root.find(f"{{{SVG_NS}}}metadata/{{{META_NS}}}diagram")
    assert el is not None, "no GateLab <metadata> in the SVG"
    return dict(el.attrib)
