"""Scenes: every catalogue scene runs end to end cheaply; in key scenes every number on screen is the
trace value it says it shows (step t, field, unit).

Cheap runs use ``scenes.api.run``: construct() with animations skipped (no frames encoded), the last
frame saved as PNG at 480p. A scene's default run is made once per test process (the ``scene_run``
fixture) and read by every test about it; those tests share an xdist group (`make test` keeps it on one worker).
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from gatelab.style import fmt
from gatelab.engines import registry
from gatelab.scenes import api, catalogue

from _scene_helpers import check_numbers, check_provenance, pixel_std
from tests.cli_helpers import one_line_error as _one_line_error
from tests.model_files import word_lm

ALL = sorted(catalogue.SCENES)
# The GAN scenes' default examples train for thousands of steps; 40 steps (5 snapshots) run every beat of the
# scene. The presets' full trainings are checked in tests/engines/test_gan.py and test_independent_references.py.
GAN_FAST = {"train_steps": 40, "snapshot_every": 10, "batch_size": 32}
OPTIONS = {"gan-training": GAN_FAST, "gan-compare": GAN_FAST}
CHEAP = "gradient-flow"      # the cheapest scene to construct: the file-format tests (png, mp4, gif) render it


def group(name):
    return pytest.mark.xdist_group(f"scene:{name}")


def _ran_well(name, scene):
    assert scene.mobjects, f"{name} ends on an empty screen"
    assert scene.renderer.time > 10, f"{name} is too short to narrate ({scene.renderer.time:.1f} s)"


@pytest.mark.parametrize("name", [pytest.param(n, marks=group(n)) for n in ALL])
def test_every_scene_runs(name, scene_run):
    scene, png = scene_run(name, **OPTIONS.get(name, {}))
    _ran_well(name, scene)
    assert pixel_std(str(png)) > 10, f"{name} ends on a blank frame"


def _sources(scene) -> set[tuple]:
    return {src for _, _, source in scene.shown if isinstance(source, tuple) for src in source}


@group("lstm-gates")
def test_lstm_numbers_are_the_records_they_show(scene_run):
    scene, _ = scene_run("lstm-gates")
    assert check_numbers(scene) > 100
    check_provenance(scene)
    tr = scene.trace
    shown = _sources(scene)
    for st in tr.steps:                   # every gate value, every c_t and h_t is printed
        for field in ("f", "i", "o", "g", "c", "h"):
            for k in range(len(getattr(st, field))):
                assert (field, st.t, k) in shown, f"{field}[{k}] of step {st.t} never shown"
    assert ("y", None, 0) in shown
    eqs = " ".join(text for kind, text, _ in scene.shown if kind == "eq")
    assert f"= [{fmt(tr.steps[0].f[0])}, {fmt(tr.steps[0].f[1])}]" in eqs       # f_1 substituted
    assert f"= {fmt(tr.y[0])}" in eqs


@group("lstm-gates")
def test_peephole_wires_tap_the_highway_where_it_carries_the_state_each_gate_reads(scene_run):
    from gatelab.scenes.lstm import HIGHWAY_Y, X_ADD, X_F
    assert len(scene_run("lstm-gates")[0].peepholes) == 0                # the standard LSTM has none
    scene, _ = scene_run("lstm-gates", preset="lstm-peephole-full")
    f, i, o = scene.peepholes
    def ends(wire):                                                      # (top end on the highway, tip)
        pts = wire.get_all_points()
        return pts[pts[:, 1].argmax()], pts[pts[:, 1].argmin()]
    taps = [ends(w)[0] for w in (f, i, o)]
    assert all(abs(t[1] - HIGHWAY_Y) < 0.05 for t in taps)
    assert taps[0][0] < X_F and taps[1][0] < X_F                        # f, i: c_{t-1}, before the forget x
    assert taps[2][0] > X_ADD                                            # o: c_t, after the +
    for wire, gate in ((f, "f"), (i, "i"), (o, "o")):                    # each ends on its gate's boxes
        boxes = scene.gates[gate].boxes
        end = ends(wire)[1]
        assert boxes.get_left()[0] <= end[0] <= boxes.get_right()[0] and abs(end[1] - boxes.get_top()[1]) < 0.1
    shown = {id(m) for top in scene.mobjects for m in top.get_family()}
    assert all(id(w) in shown for w in (f, i, o))                         # still on screen at the end


@group("attention-walkthrough")
def test_attention_numbers_are_the_records_they_show(scene_run):
    scene, _ = scene_run("attention-walkthrough")
    assert check_numbers(scene) > 40
    check_provenance(scene)
    tr = scene.trace
    shown = _sources(scene)
    # the lecture's chain for query 1: 112, 96 -> /8 -> 14, 12 -> softmax 0.88, 0.12
    for field in ("dots", "scores", "weights"):
        assert {(field, None, (0, 0)), (field, None, (0, 1))} <= shown, field
    assert (fmt(tr.dots[0, 0]), fmt(tr.scores[0, 0]), fmt(tr.weights[0, 0], 2)) == ("112", "14", "0.88")
    texts = [text for kind, text, _ in scene.shown if kind == "text"]
    assert {"112", "96", "14", "12", "0.88", "0.12"} <= set(texts)
    assert any(f"{fmt(tr.weights[0, 0], 2)}\\, v_{{1}}" in text for kind, text, _ in scene.shown if kind == "eq")


def _fake_scene(shown):
    trace = registry.compute("lstm", registry.Source(preset="lstm-3step")).trace
    return SimpleNamespace(shown=shown, trace=trace)


def test_number_check_catches_a_number_from_another_record():
    tr = _fake_scene([]).trace
    good = ("text", fmt(tr.steps[0].f[0]), [("f", 1, 0)])
    assert check_numbers(_fake_scene([good])) == 1
    for wrong in ([("f", 2, 0)], [("f", 1, 1)], [("i", 1, 0)]):      # another step, unit, gate
        with pytest.raises(AssertionError, match="which is"):
            check_numbers(_fake_scene([("text", good[1], wrong)]))


def test_number_check_catches_numbers_without_a_source():
    tr = _fake_scene([]).trace
    with pytest.raises(AssertionError, match="without saying"):
        check_numbers(_fake_scene([("text", fmt(tr.steps[0].h[0]), None)]), strict=False)
    with pytest.raises(AssertionError, match="without saying"):
        check_numbers(_fake_scene([("eq", f"h_{{1}} = {fmt(tr.steps[0].h[0])}", None)]))
    with pytest.raises(AssertionError, match="sources"):
        check_numbers(_fake_scene([("eq", f"h_{{1}} = {fmt(tr.steps[0].h[0])}, 1", [("h", 1, 0)])]))
    assert check_numbers(_fake_scene([("eq", "h_{t} = o_{t} \\odot \\tanh(c_{t-1})", None)])) == 0


def test_scene_of_a_seeded_trace(tmp_path):
    scene = api.run("lstm-gates", source=registry.Source(seed=3, hidden=3, input_size=2, steps=2),
                    media_dir=str(tmp_path))
    assert len(scene.trace.steps) == 2 and scene.trace.hidden == 3
    assert check_numbers(scene) > 50
    check_provenance(scene)


# --------------------------------------------------------------------------- CLI errors: one line, exit 2


def test_unknown_scene(run_cli):
    _one_line_error(run_cli("scene", "no-such-scene"))


def test_unknown_preset(run_cli, tmp_path):
    msg = _one_line_error(run_cli("scene", "lstm-gates", "--preset", "nope", "--out", tmp_path))
    assert "nope" in msg
    assert not list(tmp_path.rglob("*.mp4"))


def test_preset_of_another_model(run_cli, tmp_path):
    _one_line_error(run_cli("scene", "lstm-gates", "--preset", "exam-rnn", "--out", tmp_path))


def test_engine_option_the_model_does_not_take(run_cli, tmp_path):
    _one_line_error(run_cli("scene", "lstm-gates", "--clip", "1", "--out", tmp_path))


def test_bad_output_extension(run_cli, tmp_path):
    out = tmp_path / "x.avi"
    msg = _one_line_error(run_cli("scene", "lstm-gates", "-o", out))
    assert ".mp4" in msg and not out.exists()


def test_output_in_missing_directory(run_cli, tmp_path):
    out = tmp_path / "missing" / "x.mp4"
    _one_line_error(run_cli("scene", "lstm-gates", "-o", out))
    assert not out.parent.exists()


def test_bad_quality_and_format(run_cli):
    _one_line_error(run_cli("scene", "lstm-gates", "-q", "z"))
    _one_line_error(run_cli("scene", "lstm-gates", "--format", "avi"))


def test_tex_without_latex(run_cli, tmp_path, monkeypatch):
    monkeypatch.setattr(api.shutil, "which", lambda name: None)
    msg = _one_line_error(run_cli("scene", "lstm-gates", "--tex", "--out", tmp_path))
    assert "LaTeX" in msg
    assert not list(tmp_path.rglob("*.mp4"))


def test_gradient_flow_with_inputs_that_do_not_fit(run_cli, tmp_path, write_json):
    x = write_json({"x": [[0.1, 0.2], [0.3, 0.4]]}, "x2.json")   # the preset's cells take one input per step
    msg = _one_line_error(run_cli("scene", "gradient-flow", "--inputs", x, "--out", tmp_path, "--no-progress"))
    assert "does not fit the shared sequence x" in msg
    assert not list(tmp_path.rglob("*.mp4")) and not list(tmp_path.rglob(".gatelab-render-*"))


@pytest.mark.parametrize("args", [("lstm-gates", "-p", "lstm-stacked"), ("lstm-gates", "-p", "lstm-bidirectional"),
                                  ("lstm-gates", "--seed", "1", "--layers", "2"), ("gru-gates", "--seed", "1", "--bidirectional")])
def test_single_cell_scenes_refuse_stacked_or_bidirectional_traces(run_cli, tmp_path, args):
    """One animated cell cannot honestly show several layers/directions: refuse, point to the diagrams."""
    line = _one_line_error(run_cli("scene", *args, "--format", "png", "--out", tmp_path), "animates a single cell")
    assert "gatelab diagram" in line
    assert not any(tmp_path.rglob("*.png"))


def test_scene_option_of_another_scene():
    with pytest.raises(Exception) as e:
        api.split_options("lstm-gates", {"no_such_option": 1})
    assert "does not apply" in str(e.value)


def test_catalogue_is_consistent():
    for name, spec in catalogue.SCENES.items():
        assert spec.model in registry.MODELS, name
        for o in spec.options:
            assert o in catalogue.OPTIONS and o not in registry.OPTIONS, (name, o)


# --------------------------------------------------------------------------- real renders (slow)

@pytest.fixture
def tiny_quality(monkeypatch):
    """`-q l` renders 256x144 at 5 fps here: the file-format tests prove the encoding path, not the picture
    (the pictures are checked on the 480p last frames above)."""
    from manim import constants
    monkeypatch.setitem(constants.QUALITIES, "low_quality",
                        {**constants.QUALITIES["low_quality"], "pixel_width": 256, "pixel_height": 144, "frame_rate": 5})


@pytest.mark.slow
def test_png_render_via_cli(run_cli, tmp_path):
    out = tmp_path / "last.png"
    result = run_cli("scene", CHEAP, "--format", "png", "-o", out, "--no-progress")
    assert result.exit_code == 0, result.output
    assert out.exists() and pixel_std(str(out)) > 10
    assert [p.name for p in tmp_path.iterdir()] == ["last.png"]      # temp media dir cleaned up


@pytest.mark.slow
def test_mp4_render(tmp_path, tiny_quality):
    path = api.render(CHEAP, options={"pace": 0.0}, quality="l", fmt="mp4", out_dir=str(tmp_path), progress=False)
    p = Path(path)
    assert p == tmp_path / "videos" / f"{CHEAP}.mp4" and p.stat().st_size > 10_000
    assert p.read_bytes()[4:8] == b"ftyp"
    assert sorted(x.name for x in p.parent.iterdir()) == [f"{CHEAP}.mp4"]


@pytest.mark.slow
def test_gif_render(tmp_path, tiny_quality):
    out = tmp_path / "s.gif"
    path = api.render(CHEAP, options={"pace": 0.0}, quality="l", fmt="gif", output=str(out), progress=False)
    assert path == str(out) and out.read_bytes()[:6] in (b"GIF89a", b"GIF87a")


def test_lstm_gates_of_a_word_level_model_stays_readable(tmp_path):
    """A user's language model (embedding 50 x 8 -> LSTM 6 -> decoder 50), read from token ids: the long [h, x]
    column is shown by its ends and stays between the highway and the equations, the sequence strip names the
    embedding rows, and y's 50 logits come as their first and last values instead of a 300-number line."""
    from gatelab.scenes import lstm as lstm_scene
    src = registry.Source(weights=word_lm(tmp_path / "lm.safetensors"), module="rnn", inputs={"token_ids": [4, 17, 9]})
    scene = api.run("lstm-gates", source=src, media_dir=str(tmp_path / "media"))
    assert check_numbers(scene) > 50
    texts = [text for kind, text, _ in scene.shown if kind == "text"]
    assert [t for t in texts if "= E[" in t] == ["x₁ = E[4]", "x₂ = E[17]", "x₃ = E[9]"]
    hx, c = scene.hx_col, scene.c_prev_col
    assert len(hx.cells) == 7 and "⋮" in [n.original_text for n in hx.numbers]          # 14 values: 3, ⋮, 3
    assert hx.get_bottom()[1] >= lstm_scene.EQ_TOP and hx.get_top()[1] < c.cells.get_bottom()[1]
    assert len(c.cells) == 6 and "⋮" not in [n.original_text for n in c.numbers]       # c fits whole
    eq = " ".join(text for kind, text, _ in scene.shown if kind == "eq")
    assert "y = V h_{3} + b_y" in eq and r"\ldots" in eq
    assert scene._eq.height > 0.5                                   # not a 300-number line squeezed to a sliver


def test_gru_gates_of_a_word_level_model_stays_readable(tmp_path):
    src = registry.Source(weights=word_lm(tmp_path / "lm.safetensors", "gru", seed=1), module="rnn",
                          inputs={"token_ids": [4, 17]})
    scene = api.run("gru-gates", source=src, media_dir=str(tmp_path / "media"))
    assert check_numbers(scene, strict=False) > 30
    assert [t for kind, t, _ in scene.shown if kind == "text" and "= E[" in t] == ["x₁ = E[4]", "x₂ = E[17]"]
    assert len(scene.hx_col.cells) == 7 and scene._eq.height > 0.5
    n, r, z = scene.n_col, scene.gates["r"].boxes, scene.gates["z"].boxes    # n stands clear of both gates
    assert r.get_right()[0] < n.get_left()[0] and n.get_right()[0] < z.get_left()[0]


def test_rnn_unfold_names_embedding_rows_and_never_a_dangling_equals(tmp_path):
    path = word_lm(tmp_path / "rnn.safetensors", "rnn", vocab=20, decoder=False, seed=2)
    for inputs, want in (({"token_ids": [4, 17]}, ["x₁ = E[4]", "x₂ = E[17]"]),
                         ({"x": [[0.1 * k - 0.3 for k in range(8)], [0.5] * 8]}, ["x₁", "x₂"])):
        src = registry.Source(weights=path, module="rnn", inputs=inputs)
        scene = api.run("rnn-unfold", source=src, media_dir=str(tmp_path / "media"))
        assert [label.original_text for label in scene.xlabels] == want
        check_numbers(scene, strict=False)


@group("gradient-flow")
def test_gradient_flow_bars_are_the_records_they_show(scene_run):
    scene, _ = scene_run("gradient-flow")
    T = len(scene.trace.rnn.steps)
    assert check_numbers(scene, strict=False) >= 3 * T               # every bar of the three rows
    fields = {src[0] for src in _sources(scene)}
    assert {f"{cell}.{k}.{norm}" for cell, norm in (("rnn.steps", "dh_norm"), ("lstm.bptt.steps", "dc_norm"),
                                                     ("gru.bptt.steps", "dh_norm")) for k in range(T)} <= fields


@group("rnn-unfold")
def test_rnn_unfold_clipping_bars_are_the_records_they_show(scene_run):
    scene, _ = scene_run("rnn-unfold", preset="exploding-rnn")
    assert check_numbers(scene, strict=False) > 0
    assert {("clip.norm_before", None, None), ("clip.norm_after", None, None)} <= _sources(scene)
