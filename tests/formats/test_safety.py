"""Nothing from a file is ever run; broken or foreign files give one line and exit 2."""
from __future__ import annotations

import io
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gatelab.engines import formats, io as gio
from gatelab.engines.errors import InputError
from gatelab.engines.formats import torch_zip
from tests.cli_helpers import one_line_error

REFS = Path(__file__).resolve().parent / "refs"


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)      # the malicious pickles would `touch GATELAB_PWNED` here
    return tmp_path


@pytest.mark.parametrize("fname,what", [("malicious.pt", "os.system"), ("malicious_eval.pt", "builtins.eval")])
def test_malicious_pickle_is_refused_before_it_runs(in_tmp, run_cli, fname, what):
    for args in (("inspect", REFS / fname), ("compute", "lstm", "--weights", REFS / fname, "--inputs", REFS / "x.json")):
        line = one_line_error(run_cli(*args), f"asks to import {what}", "refused before anything ran")
        assert "GATELAB_PWNED" not in line
    with pytest.raises(InputError):
        formats.read(REFS / fname)
    assert not (in_tmp / "GATELAB_PWNED").exists()


def _zip_with(pkl: bytes, path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pkl)
    return path


@pytest.mark.parametrize("module,name", [("subprocess", "Popen"), ("posix", "system"), ("builtins", "exec"),
                                         ("numpy", "load"), ("torch", "load"), ("torch.storage", "_load_from_bytes"),
                                         ("collections", "namedtuple"), ("torch._utils", "_rebuild_qtensor")])
def test_any_other_import_is_refused(tmp_path, module, name):
    pkl = b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n)R."
    with pytest.raises(InputError, match=f"asks to import {module}.{name}|whole pickled model") as e:
        formats.read(_zip_with(pkl, tmp_path / "x.pt"))
    assert "\n" not in str(e.value)


def test_a_whole_pickled_model_is_told_to_save_its_state_dict(run_cli):
    line = one_line_error(run_cli("inspect", REFS / "whole_model.pt"), "whole pickled model", "model.state_dict()")
    assert "__main__.EncDec" in line or "torch.nn" in line


def test_a_model_class_of_the_users_own_module_gets_the_same_advice(tmp_path, run_cli, in_tmp):
    """torch.save(model, PATH) of a class from the user's model.py (PyTorch's word-language-model example):
    refused before anything is imported, with the state_dict advice; a lower-case function gets none."""
    pkl = b"\x80\x02cmodel\nRNNModel\n)R."
    line = one_line_error(run_cli("inspect", _zip_with(pkl, tmp_path / "whole.pt")), "asks to import model.RNNModel",
                          "refused before anything ran", "torch.save(model.state_dict(), PATH)")
    assert "\n" not in line
    with pytest.raises(InputError) as e:
        formats.read(_zip_with(b"\x80\x02cposix\nsystem\n)R.", tmp_path / "x.pt"))
    assert "state_dict()" not in str(e.value)


def test_allowed_names_with_bad_arguments_are_errors_not_crashes(tmp_path):
    # _rebuild_tensor_v2 called with a string instead of a storage; OrderedDict BUILD on a tensor
    pkl = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(X\x01\x00\x00\x00aK\x00)))tR."
    with pytest.raises(InputError, match="not a readable PyTorch file"):
        formats.read(_zip_with(pkl, tmp_path / "bad.pt"))


def test_a_view_past_its_storage_is_refused(tmp_path):
    # a 4-element FloatStorage viewed as (3, 2) with stride (2, 1): element 5 does not exist
    pkl = (b"\x80\x02}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n"
           b"((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQ"
           b"K\x00K\x03K\x02\x86K\x02K\x01\x86\x89}tRs.")
    p = tmp_path / "v.pt"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/data/0", struct.pack("<4f", 1, 2, 3, 4))
    with pytest.raises(InputError, match="reaches element 5 of a storage of 4"):
        formats.read(p)


@pytest.mark.parametrize("fname,needle", [
    ("truncated.pt", "damaged PyTorch archive"),
    ("truncated.safetensors", "not a valid safetensors file"),
    ("bad_header.safetensors", "JSON header does not parse"),
    ("truncated.npz", "damaged .npz archive"),
    ("inf_f16.safetensors", "tensor 'rnn.weight_hh_l0' in"),
])
def test_broken_files_give_one_line(run_cli, fname, needle):
    one_line_error(run_cli("compute", "lstm", "--weights", REFS / fname, "--inputs", REFS / "x.json"), needle, fname)


def test_inf_in_a_float16_file_names_the_tensor():
    with pytest.raises(InputError, match=r"'rnn.weight_hh_l0' in .* contains inf \(stored as float16\)"):
        formats.load_for_model(REFS / "inf_f16.safetensors", "lstm")
    formats.read(REFS / "inf_f16.safetensors", data=False)      # inspecting reads no data: no error


@pytest.mark.parametrize("fname", ["rnn_head.pt", "rnn_head.safetensors", "views_legacy.pt", "lstm_bf16.pt"])
def test_every_truncation_is_an_input_error(tmp_path, fname):
    raw = (REFS / fname).read_bytes()
    p = tmp_path / fname
    for cut in sorted({1, 8, 9, 20, 64, len(raw) // 3, len(raw) // 2, len(raw) - 100, len(raw) - 30, len(raw) - 1}):
        p.write_bytes(raw[:cut])
        try:
            doc, _ = formats.load_for_model(p, None)
        except InputError as e:
            assert "\n" not in str(e)
        else:                     # a cut inside trailing bytes the reader never needs must still read right
            assert doc.weights


def test_unknown_content_names_what_was_expected(run_cli, tmp_path):
    p = tmp_path / "x.bin"
    p.write_bytes(b"\x00\x01garbage" * 10)
    one_line_error(run_cli("inspect", p), f"'{p}' is not", "PyTorch state_dict, safetensors, Keras, .npz or GateLab JSON")


def test_a_directory_is_refused(run_cli, tmp_path):
    one_line_error(run_cli("inspect", tmp_path), "is a directory", "model folders")


def test_keras_files_without_the_keras_reader(tmp_path):
    p = tmp_path / "m.keras"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("config.json", "{}")
        z.writestr("model.weights.h5", b"")
    try:
        from gatelab.engines.formats import keras  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match="Keras files are not supported in this build"):
            formats.read(p)
    else:
        with pytest.raises(InputError):          # the Keras reader's own one-line error for an empty archive
            formats.read(p)


def test_a_bare_pickle_is_not_unpickled(tmp_path, in_tmp):
    p = tmp_path / "m.pkl"
    p.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(InputError, match="not a readable PyTorch file|is not a PyTorch"):
        formats.read(p)


def test_numpy_inputs_and_batched_x(run_cli, tmp_path):
    x = np.load(REFS / "x_batch_first.npy")
    assert x.shape == (1, 6, 3)
    one_line_error(run_cli("compute", "lstm", "--weights", REFS / "lstm_bidir.pt", "--inputs", REFS / "x_batch_first.npy"),
                   "x has shape (1, 6, 3): GateLab takes one sequence, time-major [T, input_size]; drop the batch axis")
    np.save(tmp_path / "x.npy", x[0])
    r = run_cli("compute", "lstm", "--weights", REFS / "lstm_bidir.pt", "--inputs", tmp_path / "x.npy", "--json")
    assert r.exit_code == 0, r.output
    np.savez(tmp_path / "in.npz", x=x[0], h0=np.zeros((4, 4)), c0=np.zeros((4, 4)))
    assert set(gio.read_inputs(tmp_path / "in.npz")) == {"x", "h0", "c0"}
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(InputError, match="not a readable .npz archive"):
        gio.read_inputs(tmp_path / "bad.npz")


def test_torch_zip_never_imports_torch():
    import subprocess
    import sys
    code = ("import sys; from gatelab.engines import formats; "
            f"formats.read({str(REFS / 'lstm_bf16.pt')!r}); formats.read({str(REFS / 'lstm_bf16.safetensors')!r}); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert torch_zip.is_torch_zip(["archive/data.pkl"]) and not torch_zip.is_torch_zip(["data.pkl"])
    assert io  # noqa


def test_metadata_classes_are_placeholders_that_never_run(tmp_path):
    """argparse.Namespace and numpy's scalar are read as inert placeholders: their constructors are never
    looked up, and a scalar's number is decoded as data (protocol 2 bytes through _codecs.encode)."""
    import argparse
    ns = pickle.dumps({"w": 1.5, "hp": argparse.Namespace(seed=3), "best": np.float64(0.5)}, protocol=2)
    assert b"argparse" in ns and b"_codecs" in ns
    ckpt = formats.read(_zip_with(ns, tmp_path / "m.pt"), data=False)
    assert ckpt.meta["values"] == {"w": 1.5, "hp.seed": 3, "best": 0.5}
    assert torch_zip._opaque("argparse", "Namespace").__module__ == torch_zip.__name__    # never argparse's class
    with pytest.raises(InputError, match="asks to import _codecs.decode"):
        formats.read(_zip_with(b"\x80\x02c_codecs\ndecode\n)R.", tmp_path / "d.pt"))
    with pytest.raises(InputError, match="holds a argparse.Namespace, not a state_dict"):
        formats.read(_zip_with(pickle.dumps(argparse.Namespace(a=1), protocol=2), tmp_path / "n.pt"))
