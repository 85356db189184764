"""Headless Chromium for the deck tests: console/resource errors, the DOM after load, screenshots.

Chromium's stderr log does not say which console lines are errors and does not report a missing
image or video at all, so the page is opened through a copy of the deck (same directory, so
relative links resolve alike) with a small script first in ``<head>`` that records every error
event (script errors, resources that fail to load: captured at ``window``), every
``console.error`` and unhandled promise rejection, and writes them into ``<body data-errors>``
for ``--dump-dom`` to read.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0",
         "--window-size=1280,720", "--hide-scrollbars", "--mute-audio")

PROBE = """<script>
window.__gatelabErrors = [];
window.addEventListener("error", function (e) {
  var t = e.target;
  window.__gatelabErrors.push(t && t !== window ? "failed to load " + (t.currentSrc || t.src || t.href || t.tagName)
                                                : String(e.message));
}, true);
window.addEventListener("unhandledrejection", function (e) { window.__gatelabErrors.push("rejection " + e.reason); });
(function () { var ce = console.error; console.error = function () {
  window.__gatelabErrors.push(Array.prototype.join.call(arguments, " ")); ce.apply(console, arguments); }; })();
window.addEventListener("load", function () { setTimeout(function () {
  document.body.setAttribute("data-errors", JSON.stringify(window.__gatelabErrors));
  document.body.setAttribute("data-reveal-ready", String(!!(window.Reveal && Reveal.isReady && Reveal.isReady())));
  document.body.setAttribute("data-slides", String(window.Reveal && Reveal.getTotalSlides ? Reveal.getTotalSlides() : -1));
}, 1500); });
</script>"""


def binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Chromium is needed for the deck test: `make sysdeps` installs Debian's chromium package")


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="gatelab-chromium-") as profile:
        return subprocess.run([binary(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=timeout, check=False)


def probed_copy(html: Path) -> Path:
    """A copy of the deck beside it with the error probe first in <head>."""
    text = html.read_text(encoding="utf-8")
    probed = html.with_name(f"probe-{html.name}")
    probed.write_text(re.sub(r"<head>", "<head>" + PROBE, text, count=1), encoding="utf-8")
    return probed


def load(html: Path) -> dict:
    """Open the deck; returns {errors, ready, slides, console} after the page settled."""
    probed = probed_copy(html)
    try:
        proc = _run(["--virtual-time-budget=6000", "--dump-dom", probed.as_uri()])
    finally:
        probed.unlink()
    m = re.search(r'<body[^>]*data-errors="([^"]*)"', proc.stdout)
    assert m, f"the page did not finish loading: {proc.stdout[:300]!r} {proc.stderr[-500:]!r}"
    body = re.search(r"<body[^>]*>", proc.stdout).group(0)
    unescape = lambda s: s.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    console = [ln for ln in proc.stderr.splitlines() if "CONSOLE" in ln]
    return {"errors": json.loads(unescape(m.group(1))),
            "ready": 'data-reveal-ready="true"' in body,
            "slides": int(re.search(r'data-slides="(-?\d+)"', body).group(1)),
            "console": console}


def screenshot(html: Path, slide: int, dest: Path) -> Path:
    proc = _run(["--virtual-time-budget=4000", f"--screenshot={dest}", f"{html.as_uri()}#/{slide}"])
    assert dest.is_file(), proc.stderr[-500:]
    return dest
