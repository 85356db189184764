"""Where the Keras fixtures are, and what Keras computed for them (see refs/make_keras_fixtures.py)."""
from __future__ import annotations

import json
from pathlib import Path

KERAS_DIR = Path(__file__).resolve().parent / "refs" / "keras"


def keras_path(name: str) -> str:
    return str(KERAS_DIR / name)


def keras_ref(name: str) -> dict:
    return json.loads((KERAS_DIR / f"{name}.json").read_text())


def one_line(excinfo) -> str:
    """The message of a user error, asserted to be one line."""
    msg = str(excinfo.value)
    assert msg and "\n" not in msg, msg
    return msg
