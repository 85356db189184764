"""`gatelab inspect`: every format, JSON and text, headers only; its commands name real diagrams."""
from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np
import pytest

from gatelab.diagrams import catalogue as dcat
from gatelab.engines.formats import inspect as finspect
from gatelab.engines.formats import safetensors_, torch_zip
from tests.cli_helpers import one_line_error

REFS = Path(__file__).resolve().parent / "refs"


def _json(run_cli, *args):
    r = run_cli("inspect", *args, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.parametrize("fname,fmt", [("rnn_head.pt", "torch"), ("rnn_head.safetensors", "safetensors"),
                                       ("views_legacy.pt", "torch"), ("lstm_bf16.safetensors", "safetensors")])
def test_inspect_checkpoints(run_cli, fname, fmt):
    s = _json(run_cli, REFS / fname)
    assert s["format"] == fmt
    assert s["total_parameters"] == sum(int(np.prod(t["shape"])) for m in s["modules"] for t in m["parameters"]) \
        + sum(int(np.prod(t["shape"])) for t in s["other_tensors"])
    text = run_cli("inspect", REFS / fname).stdout
    assert fname in text.splitlines()[0]


def test_inspect_rnn_with_head(run_cli):
    s = _json(run_cli, REFS / "rnn_head.pt")
    rnn, head = s["modules"]
    assert (rnn["name"], rnn["kind"], rnn["models"]) == ("rnn", "nn.RNN", ["rnn"])
    assert [(p["name"], p["shape"], p["dtype"]) for p in rnn["parameters"]] == [
        ("rnn.weight_ih_l0", [3, 2], "float64"), ("rnn.weight_hh_l0", [3, 3], "float64"),
        ("rnn.bias_ih_l0", [3], "float64"), ("rnn.bias_hh_l0", [3], "float64")]
    assert rnn["count"] == 3 * 2 + 3 * 3 + 3 + 3
    assert "two bias vectors" in rnn["convention"] and "Keras counts one bias, 18 parameters" in rnn["convention"]
    assert rnn["commands"] == [f"gatelab diagram rnn-unfolded --weights {REFS / 'rnn_head.pt'} --module rnn --inputs X.json"]
    assert head["kind"] == "nn.Linear" and head["head_for"] == ["rnn"] and head["count"] == 4


def test_lstm_count_follows_the_framework_convention(run_cli):
    s = _json(run_cli, REFS / "lstm_bidir.safetensors")
    (m,) = s["modules"]
    H, D = 4, 3
    torch_count = 2 * (4 * H * (D + H + 2)) + 2 * (4 * H * (2 * H + H + 2))     # 2 layers x 2 directions
    assert m["count"] == torch_count == s["total_parameters"]
    assert f"Keras counts one bias, {torch_count - 4 * 4 * H} parameters" in m["convention"]
    assert m["commands"][0].startswith("gatelab diagram lstm-bidirectional --weights ")


def test_every_command_names_a_diagram(run_cli):
    for fname in ("transformer.pt", "gru_head.pt", "encdec.pt", "attn.pt", "rnn_head.safetensors"):
        for m in _json(run_cli, REFS / fname)["modules"]:
            for cmd in m["commands"]:
                argv = shlex.split(cmd)
                assert argv[:2] == ["gatelab", "diagram"] and argv[2] in dcat.DIAGRAMS, cmd
                assert ("--module" in argv) == bool(m["name"])


def test_inspect_presets_and_gatelab_files(run_cli, tmp_path):
    s = _json(run_cli, "--preset", "lstm-3step")
    assert s["file"] == "preset lstm-3step" and s["format"] == "json"
    (m,) = s["modules"]
    assert m["models"] == ["lstm"] and m["commands"] == ["gatelab diagram lstm-unfolded --preset lstm-3step"]
    s = _json(run_cli, "--preset", "transformer-block")
    assert len(s["modules"]) == 1 and s["modules"][0]["commands"] == [
        "gatelab diagram transformer-block --preset transformer-block"]
    np.savez(tmp_path / "w.npz", W_f=np.zeros((2, 3)), W_i=np.zeros((2, 3)), W_C=np.zeros((2, 3)), W_o=np.zeros((2, 3)))
    s = _json(run_cli, tmp_path / "w.npz")
    assert s["format"] == "npz" and s["modules"][0]["models"] == ["lstm"]
    one_line_error(run_cli("inspect"), "give a weights FILE or --preset NAME")
    one_line_error(run_cli("inspect", "--preset", "nope"), "unknown preset 'nope'")


def test_inspect_reads_no_tensor_data(monkeypatch, run_cli):
    def no(*_a, **_k):
        raise AssertionError("tensor data read")
    monkeypatch.setattr(safetensors_, "load", no)
    monkeypatch.setattr(torch_zip, "load", no)
    for fname in ("gru_head.safetensors", "gru_head.pt", "views_legacy.pt", "inf_f16.safetensors", "emb_lstm.pt"):
        assert finspect.summary(str(REFS / fname))["modules"] or fname.startswith("views")
        assert run_cli("inspect", REFS / fname).exit_code == 0


def test_a_recurrent_module_fed_by_an_embedding_is_offered_token_ids(run_cli):
    (lstm,) = [m for m in finspect.summary(str(REFS / "emb_lstm.pt"))["modules"] if m["name"] == "lstm"]
    assert lstm["inputs"].endswith("time-major; or {\"token_ids\": [...]}, ids < 20 looked up in 'embedding'")
    (gru,) = [m for m in finspect.summary(str(REFS / "gru_head.pt"))["modules"] if "gru" in m["models"]]
    assert "token_ids" not in gru["inputs"]                   # no embedding in that file


def test_inspect_a_large_safetensors_file_reads_no_tensor_data(tmp_path, monkeypatch):
    from gatelab.engines.formats import safetensors_

    def no_data(*a, **k):
        raise AssertionError("inspect read tensor data")

    monkeypatch.setattr(safetensors_, "load", no_data)
    big = tmp_path / "big.safetensors"
    header = json.dumps({"extra": {"dtype": "F32", "shape": [64, 1024, 1024], "data_offsets": [0, 1 << 28]},
                         "rnn.weight_ih_l0": {"dtype": "F32", "shape": [8, 3], "data_offsets": [1 << 28, (1 << 28) + 96]},
                         "rnn.weight_hh_l0": {"dtype": "F32", "shape": [8, 2], "data_offsets": [(1 << 28) + 96, (1 << 28) + 160]}}).encode()
    with open(big, "wb") as fh:                 # a sparse 256 MiB file: nothing is written for the data
        fh.write(len(header).to_bytes(8, "little") + header)
        fh.truncate(8 + len(header) + (1 << 28) + 160)
    s = finspect.summary(str(big))
    assert s["total_parameters"] == 64 * 1024 * 1024 + 24 + 16 and s["modules"][0]["kind"] == "nn.LSTM"
    assert [m["name"] for m in s["modules"]] == ["rnn"] and s["other_tensors"][0]["name"] == "extra"
