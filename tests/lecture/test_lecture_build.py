"""Building a lecture: the cache, failures that stay local, atomic outputs, the CLI."""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from lxml import etree

from gatelab.lecture import build as lbuild
from gatelab.lecture import parse
from tests.lecture._lecture_helpers import THREE, _files, _leftovers, _status

from tests.cli_helpers import one_line_error

ROOT = Path(__file__).resolve().parents[2]

def test_second_build_is_all_cached_and_one_option_rerenders_one_job(tmp_path):
    out = tmp_path / "out"
    first = lbuild.build(parse(THREE), str(out), workers=2, executor="thread")
    assert _status(first) == dict.fromkeys(("lstm-unfolded", "gru-cell", "attention-walkthrough"), "rendered")
    before = _files(out)
    assert sorted(before) == ["diagrams/attention-walkthrough.dot", "diagrams/attention-walkthrough.svg",
                              "diagrams/gru-cell.svg", "diagrams/lstm-unfolded.svg"]
    etree.fromstring(before["diagrams/gru-cell.svg"])            # complete, well-formed files
    mtimes = {p: (out / p).stat().st_mtime_ns for p in before}

    second = lbuild.build(parse(THREE), str(out), workers=2, executor="thread")
    assert set(_status(second).values()) == {"cached"}
    assert _files(out) == before and {p: (out / p).stat().st_mtime_ns for p in before} == mtimes

    changed = lbuild.build(parse(THREE.replace("step = 2", "step = 1")), str(out), workers=2, executor="thread")
    assert _status(changed) == {"lstm-unfolded": "cached", "gru-cell": "rendered", "attention-walkthrough": "cached"}
    after = _files(out)
    assert after["diagrams/gru-cell.svg"] != before["diagrams/gru-cell.svg"]
    assert {p: b for p, b in after.items() if "gru-cell" not in p} == {p: b for p, b in before.items() if "gru-cell" not in p}
    assert not _leftovers(out)


def test_same_numbers_from_another_source_are_not_rendered_again(tmp_path):
    """Naming the default preset changes what the traces' inputs are but not the trace or its provenance:
    the worker computes the trace, finds the same key and leaves the file alone."""
    out = tmp_path / "out"
    lbuild.build(parse('[[output]]\ndiagram = "lstm-cell"\n'), str(out), workers=1, executor="thread")
    svg = (out / "diagrams" / "lstm-cell.svg").stat().st_mtime_ns
    again = lbuild.build(parse('[[output]]\ndiagram = "lstm-cell"\npreset = "lstm-3step"\n'), str(out), workers=1, executor="thread")
    assert _status(again) == {"lstm-cell": "cached"}
    assert (out / "diagrams" / "lstm-cell.svg").stat().st_mtime_ns == svg
    forced = lbuild.build(parse('[[output]]\ndiagram = "lstm-cell"\npreset = "lstm-3step"\n'), str(out), workers=1,
                          executor="thread", force=True)
    assert _status(forced) == {"lstm-cell": "rendered"}


def test_an_edited_or_deleted_output_is_rendered_again(tmp_path):
    out = tmp_path / "out"
    lec = parse('[[output]]\ndiagram = "lstm-cell"\n[[output]]\ndiagram = "gru-cell"\nformats = ["svg", "dot"]\n')
    lbuild.build(lec, str(out), workers=1, executor="thread")
    svg = (out / "diagrams" / "gru-cell.svg").stat().st_mtime_ns
    (out / "diagrams" / "lstm-cell.svg").write_text("<svg/>")
    (out / "diagrams" / "gru-cell.dot").unlink()
    assert set(_status(lbuild.build(lec, str(out), workers=1, executor="thread")).values()) == {"rendered"}
    assert b"lstm" in (out / "diagrams" / "lstm-cell.svg").read_bytes()
    assert (out / "diagrams" / "gru-cell.dot").is_file() and (out / "diagrams" / "gru-cell.svg").stat().st_mtime_ns == svg
    assert set(_status(lbuild.build(lec, str(out), workers=1, executor="thread")).values()) == {"cached"}


def test_a_failing_job_is_reported_while_the_others_finish(tmp_path, write_json):
    bad = write_json({"model": "lstm", "weights": {"W_f": [[1.0, 2.0]]}, "inputs": {"x": [[1.0]]}}, "bad.json")
    lec = parse(f'[[output]]\ndiagram = "gru-cell"\n[[output]]\ndiagram = "lstm-cell"\nweights = "{bad}"\n'
                f'[[output]]\ndiagram = "attention-walkthrough"\n')
    outcomes = lbuild.build(lec, str(tmp_path / "out"), workers=2, executor="thread")
    assert _status(outcomes) == {"gru-cell": "rendered", "lstm-cell": "failed", "attention-walkthrough": "rendered"}
    (failed,) = [o for o in outcomes if o.status == "failed"]
    assert "W_" in failed.why and "\n" not in failed.why and not failed.files
    assert not (tmp_path / "out" / "diagrams" / "lstm-cell.svg").exists()


def test_an_unwritable_output_directory_is_one_line_per_job(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    outcomes = lbuild.build(parse(THREE), str(tmp_path / "file" / "out"), workers=1, executor="thread")
    assert [o.status for o in outcomes] == ["failed"] * 3
    assert all("cannot write in" in o.why and "\n" not in o.why for o in outcomes)


def test_build_and_all_on_the_command_line(run_cli, tmp_path):
    lec = tmp_path / "lec.toml"
    lec.write_text(THREE)
    r = run_cli("build", lec, "--out", tmp_path / "out", "-j", "2", "--only", "lstm-*")
    assert r.exit_code == 0, r.output
    assert "lstm-unfolded.svg" in r.stdout and "rendered" in r.stdout and "1 outputs: 1 rendered, 0 cached, 0 failed" in r.stdout
    assert "[1/1] rendered" in r.stderr                        # plain progress lines off a terminal
    r = run_cli("all", "--no-scenes", "--out", tmp_path / "out", "-j", "1", "--only", "lstm-unf*")
    assert r.exit_code == 0 and "1 outputs: 0 rendered, 1 cached" in r.stdout, r.output


def test_cli_errors_are_one_line_with_the_line_number(run_cli, tmp_path):
    lec = tmp_path / "lec.toml"
    lec.write_text('[[output]]\nscene = "lstm-gates"\nhiden = 3\n')
    one_line_error(run_cli("build", lec, "--out", tmp_path / "out"), f"{lec}:3: unknown option 'hiden' (did you mean 'hidden'?)")
    assert not (tmp_path / "out").exists()                     # nothing rendered, nothing created
    one_line_error(run_cli("build", tmp_path / "none.toml"), "does not exist")
    lec.write_text(THREE)
    one_line_error(run_cli("build", lec, "--only", "zzz*"), "matches no output")
    one_line_error(run_cli("build", lec, "--executor", "dask"), "--scheduler")


@pytest.mark.slow
def test_the_example_lecture_builds(tmp_path):
    """examples/lecture.toml at low quality, its scenes as last frames (PNG) to keep the suite fast."""
    from gatelab.lecture import load

    lec = load(ROOT / "examples" / "lecture.toml")
    assert {j.kind for j in lec.jobs} == {"diagram", "scene", "plot"}
    jobs = tuple(dataclasses.replace(j, formats=("png",)) if j.kind == "scene" else j for j in lec.jobs
                 if j.kind != "scene" or j.view == "softmax-temperature")
    outcomes = lbuild.build(dataclasses.replace(lec, jobs=jobs), str(tmp_path / "out"), workers=1, quality="l",
                            executor="thread")
    assert {o.status for o in outcomes} == {"rendered"}, [(o.job.name, o.why) for o in outcomes]
    assert (tmp_path / "out" / "videos" / "softmax-temperature.png").read_bytes()[:4] == b"\x89PNG"
    rec = json.loads((tmp_path / "out" / ".gatelab-cache" / "videos" / "softmax-temperature.png.json").read_text())
    assert rec["traces"][""]["model"] == "softmax" and len(rec["traces"][""]["digest"]) == 64
    assert not _leftovers(tmp_path / "out")
    assert os.listdir(tmp_path / "out" / ".gatelab-cache") and not (tmp_path / "out" / ".gatelab-cache" / "tmp").exists()


def test_a_job_runs_its_engines_once(tmp_path, monkeypatch):
    """The worker computes the traces for the key, and the view's own resolve reuses them."""
    from gatelab.engines import registry
    from gatelab.lecture import worker

    calls = []
    real = worker._original_resolve
    monkeypatch.setattr(worker, "_original_resolve", lambda *a, **k: calls.append(a) or real(*a, **k))
    outcomes = lbuild.build(parse('[[output]]\ndiagram = "lstm-cell"\nformats = ["svg", "dot"]\n'), str(tmp_path),
                            workers=1, executor="thread")
    assert _status(outcomes) == {"lstm-cell": "rendered"} and len(calls) == 1
    assert registry.compute("lstm").trace.digest() == json.loads(
        (tmp_path / ".gatelab-cache" / "diagrams" / "lstm-cell.svg.json").read_text())["traces"][""]["digest"]
