"""Builds that run at once, builds that are stopped, builds on a Dask cluster."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree

from gatelab.lecture import build as lbuild
from gatelab.lecture import parse

from tests.lecture._lecture_helpers import THREE, _files, _leftovers, _status


def _gatelab(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gatelab.render", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _counts(stdout: str) -> dict[str, int]:
    m = re.search(r"(\d+) outputs: (\d+) rendered, (\d+) cached, (\d+) failed", stdout)
    assert m, stdout
    return dict(zip(("total", "rendered", "cached", "failed"), map(int, m.groups())))


@pytest.mark.slow
def test_two_builds_into_one_directory_at_once(tmp_path):
    """Both succeed, every output is rendered exactly once (the other build waits on its lock and finds it
    cached), and every file is whole."""
    lec = tmp_path / "lec.toml"
    lec.write_text(THREE)
    out = tmp_path / "out"
    procs = [_gatelab("build", lec, "--out", out, "-j", "1") for _ in range(2)]
    results = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    a, b = (_counts(stdout) for stdout, _ in results)
    assert a["failed"] == b["failed"] == 0 and a["rendered"] + b["rendered"] == 3 and a["cached"] + b["cached"] == 3
    files = _files(out)
    assert len(files) == 4
    for name, data in files.items():
        if name.endswith(".svg"):
            etree.fromstring(data)
    assert not _leftovers(out)


_SWALLOWED = """
import os, signal, sys, time
from gatelab.lecture.worker import redeliver_stops

def on_term(signum, frame):
    raise KeyboardInterrupt

signal.signal(signal.SIGUSR1, on_term)
if sys.argv[1] == "hook":
    redeliver_stops(KeyboardInterrupt, signal.SIGUSR1)

class Finaliser:
    def __del__(self):
        raise KeyboardInterrupt          # a handler's stop that landed where Python cannot raise

try:
    Finaliser()
    time.sleep(3)
    print("went on")
except KeyboardInterrupt:
    print("stopped")
"""


@pytest.mark.parametrize("hook, said, err", [("hook", "stopped", ""), ("none", "went on", "Exception ignored")])
def test_a_stop_that_lands_in_a_finaliser_is_delivered_again(hook, said, err):
    """Python prints and drops an exception raised inside a finaliser or weakref callback; with the hook the
    stop is sent again and raised at the next bytecode, silently (without it, the process goes on)."""
    r = subprocess.run([sys.executable, "-c", _SWALLOWED, hook], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == said
    assert (err in r.stderr) if err else r.stderr == "", r.stderr


@pytest.mark.slow
def test_sigterm_stops_the_workers_and_leaves_nothing_partial(tmp_path):
    lec = tmp_path / "lec.toml"
    lec.write_text('[[output]]\nscene = "lstm-gates"\n[[output]]\nscene = "gru-gates"\n')
    out = tmp_path / "out"
    proc = _gatelab("build", lec, "--out", out, "-j", "2")
    deadline = time.monotonic() + 180
    while not any(out.rglob("partial_movie_files/**/*.mp4")):   # a scene render has written its first animations
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    stdout, stderr = proc.communicate(timeout=120)
    assert time.monotonic() - t0 < 12, "the workers did not stop when told to (the build waited for its 15 s grace)"
    assert proc.returncode == 128 + signal.SIGTERM, (stdout, stderr)
    assert "Stopped by SIGTERM" in stderr and "Traceback" not in stderr
    assert not _leftovers(out), _leftovers(out)
    assert not list(out.rglob("*.mp4"))                          # no video was finished: none is at its path,
                                                                 # and no per-animation movie that may be cut short


def test_a_dask_cluster_builds_the_lecture(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        outcomes = lbuild.build(parse(THREE), str(tmp_path / "out"), executor="dask", scheduler=cluster.scheduler_address)
        assert set(_status(outcomes).values()) == {"rendered"}, [o.why for o in outcomes]
        again = lbuild.build(parse(THREE), str(tmp_path / "out"), executor="dask", scheduler=cluster.scheduler_address)
    assert set(_status(again).values()) == {"cached"}
    assert len(_files(tmp_path / "out")) == 4 and not _leftovers(tmp_path / "out")
    svg = (Path(tmp_path) / "out" / "diagrams" / "gru-cell.svg").read_bytes()
    assert b"trace-sha256" in svg


def test_an_unreachable_scheduler_is_one_line(tmp_path, run_cli):
    from tests.cli_helpers import one_line_error

    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    lec = tmp_path / "lec.toml"
    lec.write_text(THREE)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        one_line_error(run_cli("build", lec, "--out", tmp_path / "out", "--executor", "dask", "--scheduler",
                               "tcp://127.0.0.1:9"), "cannot reach the Dask scheduler")
