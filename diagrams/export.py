"""Exporting a built ``graphviz.Digraph``: the only place that runs Graphviz.

``export(graph, path, fmt, metadata=...)`` renders with the ``dot`` binary and writes the
file atomically (a temp file in the same directory, then ``os.replace``), so a failed or
interrupted render never leaves a partial file. SVGs carry a ``<metadata>`` element
(GateLab version, diagram, preset / weights hash, seed, trace digest).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Mapping

from gatelab.engines.errors import OutputError, ToolMissing

from ._draw import xml_safe

FORMATS = ("svg", "png", "pdf", "dot")
PNG_DPI = "144"
METADATA_NS = "https://gatelab.dev/ns/diagram-metadata/1"

DOT_MISSING = ("Graphviz's `dot` was not found; install it (Debian/Ubuntu: apt-get install graphviz; "
               "macOS: brew install graphviz), or use --dot to print the DOT source")


def dot_binary() -> str:
    path = shutil.which("dot")
    if path is None:
        raise ToolMissing(DOT_MISSING)
    return path


def render_bytes(source: str, fmt: str) -> bytes:
    """Run ``dot -T<fmt>`` on DOT ``source`` and return the output bytes."""
    if fmt == "dot":
        return source.encode("utf-8")
    if fmt not in FORMATS:
        raise OutputError(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    args = [dot_binary(), f"-T{fmt}"]
    if fmt == "png":
        args.append(f"-Gdpi={PNG_DPI}")
    try:
        proc = subprocess.run(args, input=source.encode("utf-8"), capture_output=True, check=False)
    except OSError as e:  # found but not executable
        raise ToolMissing(f"{DOT_MISSING} ({e.strerror})") from None
    if proc.returncode != 0 or not proc.stdout:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OutputError(f"Graphviz failed to render {fmt}: {msg[0] if msg else 'no output'}")
    return proc.stdout


def _attr(value: str) -> str:
    """A double-quoted XML attribute value (what xml.sax.saxutils.quoteattr gives, without its imports)."""
    v = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return '"' + v.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;") + '"'


def svg_with_metadata(svg: bytes, metadata: Mapping[str, object]) -> bytes:
    """Insert ``<metadata><gatelab:diagram k="v" .../></metadata>`` right after the <svg> tag."""
    if not metadata:
        return svg
    attrs = " ".join(f"{k}={_attr(xml_safe(str(v)))}" for k, v in metadata.items() if v is not None)
    elem = (f'<metadata id="gatelab-metadata"><gatelab:diagram xmlns:gatelab="{METADATA_NS}" {attrs}/>'
            f"</metadata>\n").encode("utf-8")
    start = svg.find(b"<svg")
    end = svg.find(b">", start)
    if start < 0 or end < 0:
        raise OutputError("Graphviz produced an SVG without an <svg> element")
    return svg[: end + 1] + b"\n" + elem + svg[end + 1:]


def dot_with_metadata(source: str, metadata: Mapping[str, object]) -> str:
    lines = [f"// gatelab {k}: {str(v).replace(chr(10), ' ')}" for k, v in metadata.items() if v is not None]
    return "\n".join(lines) + ("\n" if lines else "") + source


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory and ``os.replace``."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise OutputError(f"output directory {directory!r} does not exist")
    if os.path.isdir(path):
        raise OutputError(f"output {path!r} is a directory, expected a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".gatelab-", suffix=".part", dir=directory)
    except OSError as e:
        raise OutputError(f"cannot write to {directory!r}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(f"cannot write {path!r}: {e.strerror}") from None
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def export(graph, path: str, fmt: str, metadata: Mapping[str, object] | None = None) -> str:
    """Render ``graph`` (a ``graphviz.Digraph`` or DOT text) as ``fmt`` into ``path``, atomically."""
    source = graph if isinstance(graph, str) else graph.source
    metadata = dict(metadata or {})
    if fmt == "dot":
        data = dot_with_metadata(source, metadata).encode("utf-8")
    else:
        data = render_bytes(source, fmt)
        if fmt == "svg":
            data = svg_with_metadata(data, metadata)
    write_atomic(path, data)
    return path
