"""Speaker notes: the model's ``explain`` walkthrough, trimmed to the numbers a slide shows.

A slide knows which trace values it shows: every number a scene draws is tagged with its
source ``(field, t, unit)`` (see ``scenes.mobjects.tag``), and a diagram may be drawn for one
step (``--step t``). The walkthrough (Markdown) is cut into sections at its headings; the notes
of a slide are

- for a slide showing step t: the section headed ``... t = t ...``, keeping its lines that name
  one of the shown fields at that step (``f_2``, ``h_2`` ...), or the whole section when none do;
- for the k-th of n calls of a beat that shows no step (``forward(example)``): the k-th of n
  sections headed alike (``Example b = k``);
- for a slide with no step: the section that names the shown fields most often;
- otherwise the walkthrough's opening (title and equations),

cut to at most ``limit`` characters at a line boundary. Nothing here computes a number: the
text is the walkthrough's own.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

LIMIT = 1500


@dataclass(frozen=True)
class Section:
    heading: str          # the heading line without its '#'s ('' for the text before the first)
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        head = [f"**{self.heading}**"] if self.heading else []
        return "\n".join(head + list(self.lines)).strip()


def sections(md: str) -> list[Section]:
    """Cut a Markdown walkthrough at its headings."""
    out: list[Section] = []
    heading, lines = "", []
    for line in md.splitlines():
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m:
            if heading or any(x.strip() for x in lines):
                out.append(Section(heading, tuple(lines)))
            heading, lines = m.group(1).strip(), []
        else:
            lines.append(line)
    if heading or any(x.strip() for x in lines):
        out.append(Section(heading, tuple(lines)))
    return out


def _names(field: str, t) -> list[str]:
    """How the walkthrough writes ``field`` at step ``t``: f_2, f_{2}, h_{t-1} for h_prev ..."""
    base = field[:-5] if field.endswith("_prev") else field
    step = (t - 1 if field.endswith("_prev") else t) if isinstance(t, int) else None
    if step is None:
        return [base]
    return [f"{base}_{step}", f"{base}_{{{step}}}"]


def _mentions(line: str, names: Iterable[str]) -> int:
    return sum(len(re.findall(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", line)) for n in names)


def trim(text: str, limit: int = LIMIT) -> str:
    """At most ``limit`` characters, cut at a line boundary (an ellipsis line marks the cut)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    kept, size = [], 0
    for line in text.splitlines():
        if size + len(line) + 1 > limit - 2:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept + ["…"])


def opening(md: str, limit: int = LIMIT) -> str:
    """The walkthrough's title and first section (what the model is, its equations)."""
    secs = sections(md)
    return trim("\n\n".join(s.text for s in secs[:2]), limit) if secs else ""


def for_call(md: str, k: int, n: int, limit: int = LIMIT) -> str:
    """Notes for the ``k``-th (0-based) of ``n`` calls of a repeated beat that tags no step: the ``k``-th
    of the ``n`` sections headed alike (``Example b = 1``, ``Example b = 2`` ...); '' when there are none."""
    groups: dict[str, list[Section]] = {}
    for s in sections(md):
        m = re.match(r"(.*?\b[A-Za-z]+ = )\d+\b", s.heading)
        if m:
            groups.setdefault(m.group(1), []).append(s)
    fits = [g for g in groups.values() if len(g) == n]
    return trim(fits[0][k].text, limit) if fits and 0 <= k < n else ""


def has_step(sources: Iterable[tuple]) -> bool:
    return any(isinstance(s, tuple) and len(s) > 1 and isinstance(s[1], int) for s in sources)


def for_sources(md: str, sources: Iterable[tuple], *, step: int | None = None, limit: int = LIMIT) -> str:
    """Notes for a slide showing the trace values ``sources`` ((field, t, unit) triples)."""
    secs = sections(md)
    if not secs:
        return ""
    srcs = [s for s in sources if isinstance(s, tuple) and s and isinstance(s[0], str)]
    steps = Counter(s[1] for s in srcs if len(s) > 1 and isinstance(s[1], int))
    t = step if step is not None else (steps.most_common(1)[0][0] if steps else None)
    if t is not None:
        by_step = [s for s in secs if re.search(rf"(?<![0-9])t = {t}(?![0-9])", s.heading)]
        if by_step:
            sec = by_step[0]
            names = [n for f, *rest in srcs for n in _names(f, rest[0] if rest else None)]
            keep = [ln for ln in sec.lines if names and _mentions(ln, names)]
            return trim(Section(sec.heading, tuple(keep or sec.lines)).text, limit)
    fields = {f for f, *_ in srcs}
    if fields:
        # ties go to a worked section rather than the opening (which names every symbol once)
        scored = [(sum(_mentions(ln, [f]) for ln in s.lines for f in fields), i > 0, -i, s) for i, s in enumerate(secs)]
        best = max(scored, key=lambda x: x[:3])
        if best[0] > 0:
            return trim(best[3].text, limit)
    return opening(md, limit)
