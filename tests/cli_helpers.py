"""Assertions shared by the CLI tests."""
from __future__ import annotations


def one_line_error(result, *needles: str) -> str:
    """Assert a user error: exit code 2, exactly one stderr line `Error: ...` naming each needle,
    no traceback. Returns that line."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]
