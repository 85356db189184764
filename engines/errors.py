"""Errors that reach the user as one clean line (the CLI exits with code 2, no traceback).

``InputError`` is also a ``ValueError``; its message names the problem and the
expected form, e.g. ``W_f has shape (2, 4), expected (2, 3) = (hidden, hidden + input)``.
"""


class GateLabError(Exception):
    """Any error the CLI reports as one line with exit code 2."""


class InputError(GateLabError, ValueError):
    """Bad user input: shapes, NaN, unknown names, malformed files, conflicting options."""


class ToolMissing(GateLabError):
    """A required external program (e.g. Graphviz ``dot``, LaTeX) is not installed."""


class OutputError(GateLabError):
    """The output path cannot be written (missing directory, permissions, bad extension)."""
