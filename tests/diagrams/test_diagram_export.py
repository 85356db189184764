"""Export, metadata, determinism, escaping, errors (missing dot, bad paths, bad names/options)."""
from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as hs

from gatelab.diagrams import _draw as D, api, export
from gatelab.engines.errors import InputError, OutputError
from gatelab.engines.registry import Source

from _diagram_helpers import SVG_NS, metadata, parse_svg, svg_texts


def test_svg_metadata_and_determinism(tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    api.render("lstm-unfolded", output=str(a))
    api.render("lstm-unfolded", output=str(b))
    assert a.read_bytes() == b.read_bytes()
    meta = metadata(parse_svg(a))
    assert meta["generator"].startswith("GateLab ")
    assert meta["diagram"] == "lstm-unfolded"
    assert meta["preset"] == "lstm-3step" and len(meta["preset-sha256"]) == 64
    assert re.fullmatch(r"[0-9a-f]{64}", meta["trace-sha256"])
    from gatelab.engines import registry
    assert meta["trace-sha256"] == registry.compute("lstm").trace.digest()


def test_seed_in_metadata(tmp_path):
    p = tmp_path / "s.svg"
    api.render("lstm-unfolded", source=Source(seed=7, steps=4), output=str(p))
    assert metadata(parse_svg(p))["seed"] == "7"


def test_dot_output_and_formats(tmp_path):
    paths = api.render("lstm-unfolded", formats=("svg", "png", "pdf"), out_dir=str(tmp_path))
    assert [os.path.basename(p) for p in paths] == ["lstm-unfolded.svg", "lstm-unfolded.png", "lstm-unfolded.pdf"]
    assert open(paths[1], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert open(paths[2], "rb").read(5) == b"%PDF-"
    d = tmp_path / "x.dot"
    api.render("lstm-unfolded", output=str(d))
    text = d.read_text()
    assert text.startswith("// gatelab generator: GateLab") and "digraph lstm_unfolded {" in text
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".gatelab-")]


def test_missing_dot_is_one_line_and_dot_flag_still_works(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    r = run_cli("diagram", "lstm-unfolded", "--out", str(tmp_path))
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: Graphviz's `dot` was not found; install it (Debian/Ubuntu: apt-get install graphviz")
    assert not (tmp_path / "diagrams" / "lstm-unfolded.svg").exists()
    r = run_cli("diagram", "lstm-unfolded", "--dot")
    assert r.exit_code == 0 and "digraph lstm_unfolded {" in r.stdout


def test_unwritable_output_leaves_nothing(run_cli, tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):  # root ignores permissions: simulate the refusal
            import tempfile

            def refuse(*a, **k):
                raise PermissionError(13, "Permission denied")
            monkeypatch.setattr(tempfile, "mkstemp", refuse)
        with pytest.raises(OutputError, match="cannot write"):
            api.render("lstm-unfolded", output=str(ro / "a.svg"))
        assert os.listdir(ro) == []
        monkeypatch.undo()
        r = run_cli("diagram", "lstm-unfolded", "--out", str(ro)) if not os.access(ro, os.W_OK) else None
        if r is not None:
            assert r.exit_code == 2 and r.stderr.startswith("Error: ")
    finally:
        ro.chmod(0o755)
    with pytest.raises(OutputError, match="does not exist"):
        api.render("lstm-unfolded", output=str(tmp_path / "nope" / "a.svg"))
    with pytest.raises(OutputError, match="extension"):
        api.render("lstm-unfolded", output=str(tmp_path / "a.jpg"))


def test_failed_render_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "a.svg"
    target.write_text("old")

    def boom(*a, **k):
        raise OutputError("Graphviz failed to render svg: simulated")
    monkeypatch.setattr(export, "render_bytes", boom)
    with pytest.raises(OutputError):
        api.render("lstm-unfolded", output=str(target))
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["a.svg"]


def test_cli_bad_name_and_options_exit_2(run_cli, tmp_path):
    r = run_cli("diagram", "no-such-diagram")
    assert r.exit_code == 2
    r = run_cli("diagram", "lstm-unfolded", "--step", "2", "--dot")
    assert r.exit_code == 2 and "does not apply to diagram 'lstm-unfolded'" in r.stderr
    r = run_cli("diagram", "lstm-cell", "--step", "9", "--dot")
    assert r.exit_code == 2 and "--step 9 is out of range" in r.stderr
    r = run_cli("diagram", "lstm-unfolded", "--max-steps", "1", "--dot")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    with pytest.raises(InputError, match="unknown diagram"):
        api.render("nope", dot_only=True)


def test_cli_writes_files(run_cli, tmp_path):
    r = run_cli("diagram", "lstm-unfolded", "--out", str(tmp_path), "-f", "svg", "-f", "png")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.split() == [str(tmp_path / "diagrams" / "lstm-unfolded.svg"), str(tmp_path / "diagrams" / "lstm-unfolded.png")]


def test_cli_dash_o(run_cli, tmp_path):
    r = run_cli("diagram", "lstm-unfolded", "-o", str(tmp_path / "a.png"))
    assert r.exit_code == 0 and (tmp_path / "a.png").exists()


# ------------------------------------------------------------------ escaping

ALLOWED = {f"{{{SVG_NS}}}{t}" for t in ("svg", "g", "title", "text", "polygon", "path", "ellipse", "polyline", "metadata")}


def _normalise(s: str) -> str:
    s = D.xml_safe(s)
    return re.sub(r"\s+", " ", s).strip()


@pytest.mark.parametrize("token", ['<script>alert(1)</script>', '"]; x [label=', "a & b", "</TD></TR></TABLE>>", "\\N \\G", "&lt;"])
def test_hostile_tokens_come_out_as_text(token, tmp_path):
    _escaping_roundtrip(token, tmp_path)


def _escaping_roundtrip(token: str, tmp_path) -> None:
    st = D.Style()
    g = D.digraph("esc", st)
    g.node("tok", D.html_label(f'<TABLE BORDER="0"><TR><TD>{D.esc(token)}</TD></TR></TABLE>'), shape="plain")
    path = tmp_path / "e.svg"
    export.export(g, str(path), "svg", {"diagram": token})
    root = parse_svg(path)
    for el in root.iter():
        if isinstance(el.tag, str) and not el.tag.startswith("{https://gatelab.dev/"):
            assert el.tag in ALLOWED, f"unexpected element {el.tag}"
    assert root.find(f"{{{SVG_NS}}}script") is None
    texts = [t for t in svg_texts(root)]
    want = _normalise(token)
    if want:
        assert "".join(texts).strip() == want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hs.text(max_size=30))
def test_escaping_property(tmp_path, token):
    _escaping_roundtrip(token, tmp_path)
