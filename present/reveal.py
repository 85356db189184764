"""The HTML deck: manim-slides' reveal.js converter, made to work with no network.

manim-slides' template links reveal.js from a CDN (its ``--offline`` mode downloads the files
once and needs the network for that). GateLab ships the reveal.js files the template loads
(``present/vendor/reveal.js``, MIT) and points the template at a copy beside the HTML:

    deck.html
    deck_assets/            slide videos and images (manim-slides copies them)
    deck_assets/reveal.js/  the vendored reveal.js files

With ``one_file=True`` everything is inlined instead: videos and images as data URIs, the
CSS and JS as ``<style>``/``<script>`` elements, so the single HTML file is the whole deck.
Either way no ``http(s)://`` link is left in a ``src`` or ``href`` (checked before writing).
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from gatelab.engines.errors import OutputError

VENDOR = Path(__file__).parent / "vendor" / "reveal.js"
REVEAL_VERSION = "6.0.1"
THEMES = {"dark": "dracula", "light": "serif"}   # reveal.js themes that import no web font
_REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def remote_links(html: str) -> list[str]:
    """Every ``src``/``href`` of ``html`` that would reach the network (empty for a good deck)."""
    return [html[m.start(): m.start() + 80] for m in _REMOTE.finditer(html)]


def _inline(html: str, assets: Path) -> str:
    """Replace the links to the vendored reveal.js files by the files' text."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag, attr in (("link", "href"), ("script", "src")):
        for item in soup.find_all(tag):
            ref = item.get(attr)
            if not ref or not ref.startswith(assets.name + "/"):
                continue
            text = (assets.parent / ref).read_text(encoding="utf-8")
            new = soup.new_tag("style" if tag == "link" else "script")
            new.string = text
            item.replace_with(new)
    return str(soup)


def write(configs: list, dest: Path, *, theme: str = "dark", one_file: bool = False, title: str = "GateLab") -> Path:
    """Write the reveal.js deck of ``configs`` (manim-slides ``PresentationConfig``s) to ``dest``."""
    from manim_slides.convert import RevealJS

    dest = Path(dest)
    assets_name = f"{dest.stem}_assets"
    vendored = dest.parent / assets_name / "reveal.js"
    if vendored.exists():
        shutil.rmtree(vendored)
    shutil.copytree(VENDOR, vendored / "dist", ignore=shutil.ignore_patterns("README.md", "LICENSE"))   # the CDN layout
    shutil.copy(VENDOR / "LICENSE", vendored / "LICENSE")
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    try:
        RevealJS(presentation_configs=configs, assets_dir=assets_name, one_file=one_file, title=title,
                 reveal_version=REVEAL_VERSION, reveal_theme=THEMES[theme],
                 cdn_url=f"{assets_name}/reveal.js").convert_to(tmp)
        html = tmp.read_text(encoding="utf-8")
        if one_file:
            html = _inline(html, dest.parent / assets_name)
            shutil.rmtree(dest.parent / assets_name, ignore_errors=True)
        bad = remote_links(html)
        if bad:
            raise OutputError(f"the deck would load {bad[0]!r} from the network")
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest
