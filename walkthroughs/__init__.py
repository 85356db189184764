"""Text views of traces: the tables of `gatelab compute` and the worked solutions of `gatelab explain`."""
from __future__ import annotations

# Characters the walkthroughs print that plain pdflatex cannot typeset from UTF-8 input.
# \ensuremath works both inside and outside math mode.
_TEX_UNICODE = {
    "≈": r"\ensuremath{\approx}",
    "π": r"\ensuremath{\pi}",
    "·": r"\ensuremath{\cdot}",
    "…": r"\ensuremath{\dots}",
    "×": r"\ensuremath{\times}",
    "σ": r"\ensuremath{\sigma}",
    "−": "-",
}

TEX_PREAMBLE = "% GateLab worked solution. Needs \\usepackage{amsmath}; UTF-8 input (pdflatex >= 2018 default)."


def tex_document_fragment(text: str) -> str:
    """A walkthrough's LaTeX made safe for pdflatex, with one preamble comment on top."""
    for ch, tex in _TEX_UNICODE.items():
        text = text.replace(ch, tex)
    return text if text.startswith("% GateLab") else TEX_PREAMBLE + "\n" + text
