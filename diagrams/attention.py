"""Attention diagrams: ``attention-walkthrough`` (one query's computation graph) and
``self-attention`` (token-to-token weights as a bipartite graph).

Views only: raw scores (``dots``), the divisor (``scale``), scaled scores (``scores``), weights
(``weights``) and outputs are fields of the attention trace; nothing is recomputed here.
Token strings come from users: every one goes through ``_draw.token`` (escaped, cut).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import graphviz

from gatelab.engines.errors import InputError
from gatelab.style import fmt_vec

from . import _draw as D
from ._draw import Style, esc, font, sym
from . import _model
from .lstm import _title

MASKED = "\u00d7 masked"          # a pair masked by an explicit boolean mask (neither causal nor padding)
CAUSAL = "\u00d7 causal"          # key j after query i (j > i): the trace's causal_mask
PADDING = "\u00d7 pad"            # key j is padding: the trace's padding_mask
MATRIX_TITLE = "weights \u03b1 (rows: queries)"


def mask_kinds(tr: Any, i: int, j: int) -> list[str]:
    """Which masks hide key j from query i, read from the trace: [CAUSAL], [PADDING], both, [MASKED] or []."""
    if not tr.mask[i, j]:
        return []
    kinds = [CAUSAL] if tr.causal_mask[i, j] else []
    if tr.padding_mask[i, j]:
        kinds.append(PADDING)
    return kinds or [MASKED]


def _tok(tokens: tuple[str, ...], j: int, fallback: str) -> str:
    return D.token(tokens[j]) if j < len(tokens) and tokens[j] != "" else esc(fallback)


def short_vec(v: Any, st: Style, n: int = 4) -> str:
    """'[3, 5, 2, 1, … ] (64)' — the first ``n`` entries of a long vector and its length."""
    items = list(v)
    if len(items) <= n + 1:
        return st.vec(items)
    return esc(fmt_vec(items, st.digits, limit=n) + f" ({len(items)})")


def _box(rows: list[str]) -> str:
    body = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>'


def _query_position(tr: Any, query: Any) -> int:
    """``--query``: a 1-based position, or a query token of the trace (its only occurrence)."""
    if query is None:
        return 1
    q = str(query)
    hits = [i + 1 for i, t in enumerate(tr.tokens) if t == q]
    if len(hits) == 1:
        return hits[0]
    if q.lstrip("-").isdigit():
        return int(q)
    if hits:
        raise InputError(f"--query {q!r} occurs at positions {', '.join(map(str, hits))}; give the position")
    raise InputError(f"--query {q!r} is neither a position nor a query token of the trace "
                     f"({', '.join(repr(t) for t in tr.tokens) or 'no tokens'})")


@dataclass(frozen=True)
class _Walk:
    """What the walkthrough's parts share: the graph, the style, the trace and the query drawn."""
    g: graphviz.Digraph
    st: Style
    tr: Any
    i: int                      # the query, 1-based

    @property
    def qi(self) -> int:
        return self.i - 1

    @property
    def node(self) -> dict[str, str]:
        return dict(shape="box", style="rounded,filled", fillcolor=self.st.bg, penwidth="2", margin="0.1,0.05")


def build_walkthrough(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    """x -> q, k, v -> q·k -> ÷ scale -> softmax -> α -> z = Σ α v, for one query (``--query i``)."""
    st = style
    tr = computed.trace
    Tq, Tk = tr.weights.shape
    i = _query_position(tr, opts.get("query"))
    if not 1 <= i <= Tq:
        raise InputError(f"--query {i} is out of range: the trace has queries 1..{Tq}")
    g = D.digraph("attention_walkthrough", st, rankdir="LR", nodesep="0.3", ranksep="0.5")
    qname = _tok(tr.tokens, i - 1, f"query {i}")
    head = (f"{esc('Scaled dot-product attention' if tr.score == 'scaled_dot' else tr.score.replace('_', ' ') + ' attention')}"
            f" for query {i} \u201c{qname}\u201d")
    src = esc(_title(computed, "").strip(" \u00b7"))
    g.attr("graph", label=D.html_label(font(head, bold=True, size=16) + (f"<BR/>{font(src, color=st.muted, size=12)}" if src else "")),
           labelloc="t", labeljust="c")
    w = _Walk(g, st, tr, i)
    _query_side(w, qname)
    for j in range(Tk):
        _key_inputs(w, j)
        _key_scores(w, j)
    # keep the per-key rows in key order, top to bottom (invisible flat edges j -> j+1)
    for col in ("dot", "e", "alpha"):
        with g.subgraph() as r:
            r.attr(rank="same")
            for j in range(1, Tk):
                r.edge(f"{col}_{i}_{j}", f"{col}_{i}_{j + 1}", style="invis")
    return g


def _x_node(w: _Walk, jj: int, name: str) -> None:
    st = w.st
    w.g.node(f"x_{jj}", D.html_label(_box([font(f"{sym('x', jj)}  \u201c{name}\u201d", bold=True, size=14),
                                           D.mono(st.vec(w.tr.x[jj - 1]), size=11) if st.key else ""])),
             color=D.role("x"), **w.node)


def _query_side(w: _Walk, qname: str) -> None:
    """x_i -> q_i, the softmax node, and z_i = Σ α v with its Σ."""
    g, st, tr, i, qi = w.g, w.st, w.tr, w.i, w.qi
    Tk = tr.weights.shape[1]
    qcol = D.role("input")
    if tr.x is not None:
        _x_node(w, i, qname)
    qrows = [font(sym("q", i), bold=True, size=14)]
    if st.all:
        qrows.append(D.mono(short_vec(tr.q[qi], st), size=11))
    g.node(f"q_{i}", D.html_label(_box(qrows)), color=qcol, **w.node)
    if tr.x is not None:
        g.edge(f"x_{i}", f"q_{i}", label=D.edge_label(sym("W", sup="q"), st, size=12), color=qcol)
    g.node("softmax", D.html_label(font("softmax", bold=True, size=14) + "<BR/>"
                                   + font(esc("over the keys j"), color=st.muted, size=11)),
           shape="box", style="filled", fillcolor=st.panel, color=D.role("attention"), penwidth="2.5")
    zrows = [font(sym("z", i) + " = " + " + ".join(
        f"{D.mono(st.num(tr.weights[qi, j]), size=12) if st.key else sym('α', f'{i}{j + 1}')} {sym('v', j + 1)}"
        for j in range(Tk) if not tr.mask[qi, j]) if Tk <= 4 else font(sym("z", i) + " = \u03a3" + sym("", "j") + " "
        + sym("α", f"{i}j") + " " + sym("v", "j")), bold=True, size=14)]
    if st.all:
        zrows.append(D.mono(short_vec(tr.output[qi], st), size=11))
    g.node(f"z_{i}", D.html_label(_box(zrows)), color=st.fg, penwidth="2.5",
           **{k: v for k, v in w.node.items() if k != "penwidth"})
    g.node("sum", D.html_label(font("\u03a3", bold=True, size=18)), shape="circle", width="0.5", fixedsize="true",
           style="filled", fillcolor=st.bg, color=D.role("output"), penwidth="2.2")
    g.edge("sum", f"z_{i}", color=st.fg, penwidth="2.2")


def _key_inputs(w: _Walk, j: int) -> None:
    """Key j: its x (unless it is the query's), k and v."""
    g, st, tr, i = w.g, w.st, w.tr, w.i
    jj = j + 1
    kcol, vcol = D.role("forget"), D.role("output")
    kname = _tok(tr.key_tokens, j, f"key {jj}")
    have_x = tr.x is not None
    if have_x and jj != i:
        _x_node(w, jj, kname)
    krows = [font(sym("k", jj), bold=True, size=14) + ("" if have_x else f"  \u201c{kname}\u201d")]
    vrows = [font(sym("v", jj), bold=True, size=14)]
    if st.all:
        krows.append(D.mono(short_vec(tr.k[j], st), size=11))
        vrows.append(D.mono(short_vec(tr.v[j], st), size=11))
    g.node(f"k_{jj}", D.html_label(_box(krows)), color=kcol, **w.node)
    g.node(f"v_{jj}", D.html_label(_box(vrows)), color=vcol, **w.node)
    if have_x:
        g.edge(f"x_{jj}", f"k_{jj}", label=D.edge_label(sym("W", sup="k"), st, size=12), color=kcol)
        g.edge(f"x_{jj}", f"v_{jj}", label=D.edge_label(sym("W", sup="v"), st, size=12), color=vcol)


def _key_scores(w: _Walk, j: int) -> None:
    """Key j's path: q·k -> e (÷ scale, or masked) -> softmax -> α -> Σ, with v into Σ."""
    g, st, tr, i, qi = w.g, w.st, w.tr, w.i, w.qi
    jj = j + 1
    att = D.role("attention")
    masked = bool(tr.mask[qi, j])
    op = "\u00b7" if tr.score in ("dot", "scaled_dot") else "score"
    drow = f"{sym('q', i)} {op} {sym('k', jj)}" if op == "\u00b7" else f"score({sym('q', i)}, {sym('k', jj)})"
    if st.key:
        drow += " = " + D.mono(st.num(tr.dots[qi, j]), size=13)
    g.node(f"dot_{i}_{jj}", D.html_label(font(drow, size=13)), shape="box", style="filled", fillcolor=st.panel,
           color=st.fg, penwidth="1.5")
    g.edge(f"q_{i}", f"dot_{i}_{jj}", color=D.role("input"))
    g.edge(f"k_{jj}", f"dot_{i}_{jj}", color=D.role("forget"))
    e_lab = sym("e", f"{i}{jj}")
    if masked:
        e_lab += " = " + D.mono(esc("\u2212\u221e"), size=13) + "<BR/>" + font(
            esc(", ".join(mask_kinds(tr, qi, j))), color=st.muted, size=11)
    elif st.key:
        e_lab += " = " + D.mono(st.num(tr.scores[qi, j]), size=13)
    g.node(f"e_{i}_{jj}", D.html_label(font(e_lab, size=13)), shape="box",
           style="filled,dashed" if masked else "filled", fillcolor=st.panel, color=att, penwidth="1.5")
    if tr.scale != 1.0:
        div = "\u00f7 \u221a" + sym("d", "k") + (" = " + st.num(tr.scale) if st.key else "")
        g.edge(f"dot_{i}_{jj}", f"e_{i}_{jj}", label=D.edge_label(div, st, size=12), color=st.edge)
    else:
        g.edge(f"dot_{i}_{jj}", f"e_{i}_{jj}", color=st.edge)
    g.edge(f"e_{i}_{jj}", "softmax", color=att)
    a = float(tr.weights[qi, j])
    arow = font(sym("α", f"{i}{jj}"), bold=True, size=14) + (" = " + D.mono(st.num(a), size=13) if st.key else "")
    cells = f'<TR><TD>{arow}</TD></TR>' + (f'<TR><TD>{D.bar(a, att, st, width=60, height=8)}</TD></TR>' if st.all else "")
    g.node(f"alpha_{i}_{jj}", D.html_label(f'<TABLE BORDER="0" CELLSPACING="1" CELLPADDING="1">{cells}</TABLE>'),
           color=att, **w.node)
    width = f"{0.8 + 5.0 * a:.2f}"  # pen width from the weight (a drawing choice, not maths on the model)
    g.edge("softmax", f"alpha_{i}_{jj}", color=att, penwidth=width)
    g.edge(f"alpha_{i}_{jj}", "sum", color=att, penwidth=width, style="dashed" if masked else "solid")
    g.edge(f"v_{jj}", "sum", color=D.role("output"), penwidth="1.4", style="dashed" if masked else "solid")
    with g.subgraph() as r:
        r.attr(rank="same")
        r.node(f"k_{jj}")
        r.node(f"v_{jj}")
        r.node(f"q_{i}")


# --------------------------------------------------------------------------- self-attention

def _chosen_heads(tr: Any, opts: dict[str, Any]) -> list[tuple[int, Any]]:
    """(index, head) pairs to draw: every head, or the one ``--head h`` names."""
    multi = getattr(tr, "kind", "") == "multihead"
    heads = list(tr.heads) if multi else [tr]
    want = opts.get("head")
    if want is None:
        return list(enumerate(heads))
    if not multi:
        raise InputError("--head applies to a multi-head trace; this is a single attention")
    if not 1 <= int(want) <= len(heads):
        raise InputError(f"--head {want} is out of range: the trace has heads 1..{len(heads)}")
    return [(int(want) - 1, heads[int(want) - 1])]


def build_self(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    """Token-to-token weights as a bipartite graph per head (pen width = weight), top-k per query,
    and the weight matrix with the mask drawn explicitly (masked cells marked, never blank)."""
    st = style
    tr = computed.trace
    if _model.is_model(tr):           # a whole Transformer: the heads of layer --layer L (default 1)
        tr = _model.layer_view(tr, _model.layer_index(tr, 1 if opts.get("layer") is None else opts["layer"]))
    elif opts.get("layer") is not None:
        raise InputError("--layer chooses a layer of a whole Transformer model; this trace is one attention layer")
    multi = getattr(tr, "kind", "") == "multihead"
    chosen = _chosen_heads(tr, opts)
    mask = tr.mask
    kinds = [[mask_kinds(tr, i, j) for j in range(mask.shape[1])] for i in range(mask.shape[0])]
    T, Tk = mask.shape
    top_k = opts.get("top_k")
    if top_k is not None and int(top_k) < 1:
        raise InputError(f"--top-k must be at least 1, got {top_k}")
    qtok = [(_tok(tr.tokens, i, f"q{i + 1}")) for i in range(T)]
    ktok = [(_tok(tr.key_tokens or tr.tokens, j, f"k{j + 1}")) for j in range(Tk)]
    g = D.digraph("self_attention", st, rankdir="LR")
    g.attr("graph", layout="neato", splines="line", overlap="true", outputorder="edgesfirst")
    padded_keys = [bool(tr.padding_mask[:, j].all()) for j in range(Tk)]   # every query ignores key j
    panel_w = 7.4 if any(padded_keys) else 6.2     # room for the padding-key note right of the keys
    named = _model.head_labels(computed.trace) if isinstance(tr, _model.LayerView) else {}   # trained heads' jobs
    for p_idx, (h, head) in enumerate(chosen):
        x0 = p_idx * panel_w
        pre = f"h{h + 1}_" if multi else ""
        job = named.get((tr.layer - 1, h)) if named else None
        name = (f"head {h + 1}" + (f": {job}" if job else "")) if multi else "attention"
        _head_lines(g, st, head.weights, mask, pre, name, x0, qtok, ktok, padded_keys, top_k)
        g.node(f"{pre}matrix", D.html_label(_weight_matrix(st, head.weights, mask, kinds, qtok, ktok)), shape="plain",
               pos=f"{x0 + 1.5:.2f},{-(T - 1) * _DY - 0.55 - 0.2 * (T + 2):.2f}!")
    src = _title(computed, "").strip(" \u00b7")
    want, n_heads = opts.get("head"), len(tr.heads) if multi else 1
    title = ("Multi-head self-attention" if multi else "Self-attention") + (
        f", layer {tr.layer}" if isinstance(tr, _model.LayerView) else "") + (
        (f" (head {want} of {n_heads})" if want is not None else f" ({n_heads} heads)") if multi else "")
    notes = ["line width = attention weight"]
    if top_k is not None:
        notes.append(f"top {int(top_k)} keys per query")
    if bool(mask.any()):
        legend = {CAUSAL: "key after the query (j > i)", PADDING: "padding key (dashed)", MASKED: "given mask"}
        present = [k for k in (CAUSAL, PADDING, MASKED) if any(k in c for row in kinds for c in row)]
        notes.append("masked pairs carry no line: " + ", ".join(f"{k} = {legend[k]}" for k in present))
    g.attr("graph", label=D.html_label(font(esc(title), bold=True, size=16) + "<BR/>" + font(esc(src), color=st.muted, size=12)
                                       + "<BR/>" + font(esc("; ".join(notes)), color=st.muted, size=11)),
           labelloc="t", labeljust="c")
    return g


_DY = 0.55     # vertical pitch of the token boxes (inches)


def _head_lines(g: graphviz.Digraph, st: Style, w: Any, mask: Any, pre: str, name: str, x0: float,
                qtok: list[str], ktok: list[str], padded_keys: list[bool], top_k: Any) -> None:
    """One head's panel: its title, query and key tokens, and a line per drawn (query, key) pair."""
    T, Tk = mask.shape
    node = dict(shape="box", style="rounded,filled", fillcolor=st.bg, margin="0.06,0.03", penwidth="1.6")
    g.node(f"{pre}title", D.html_label(font(esc(name), bold=True, size=14)), shape="plaintext",
           pos=f"{x0 + 1.5:.2f},{0.7:.2f}!")
    for i in range(T):
        g.node(f"{pre}q_{i + 1}", D.html_label(font(qtok[i], size=12) + " " + font(sym("q", i + 1), color=st.muted, size=10)),
               color=D.role("input"), pos=f"{x0:.2f},{-i * _DY:.2f}!", **node)
    for j in range(Tk):
        padded = padded_keys[j]
        g.node(f"{pre}k_{j + 1}", D.html_label(font(sym("k", j + 1), color=st.muted, size=10) + " " + font(ktok[j], size=12)),
               color=D.role("forget"), pos=f"{x0 + 3.0:.2f},{-j * _DY:.2f}!",
               **(dict(node, style="rounded,filled,dashed") if padded else node))
        if padded:
            g.node(f"{pre}pad_{j + 1}", D.html_label(font(esc("\u2190 padding key (" + PADDING + "): no lines"), color=st.muted, size=10)),
                   shape="plaintext", pos=f"{x0 + 4.7:.2f},{-j * _DY:.2f}!")
    for i in range(T):
        keys = [j for j in range(Tk) if not mask[i, j]]
        if top_k is not None:  # the k largest weights of this row (a drawing choice: which lines to draw)
            keys = sorted(keys, key=lambda j: (-float(w[i, j]), j))[: int(top_k)]
        for j in keys:
            g.edge(f"{pre}q_{i + 1}", f"{pre}k_{j + 1}", color=D.role("attention"),
                   penwidth=f"{0.25 + 7.0 * float(w[i, j]):.2f}", arrowhead="none")


def _weight_matrix(st: Style, w: Any, mask: Any, kinds: list, qtok: list[str], ktok: list[str]) -> str:
    """The weight matrix as an HTML table: numbers and bars, masked cells marked with their kind."""
    T, Tk = mask.shape
    head_cells = "".join(f'<TD>{font(ktok[j], bold=True, size=10)}</TD>' for j in range(Tk))
    rows = [f"<TR><TD></TD>{head_cells}</TR>"]
    for i in range(T):
        cells = []
        for j in range(Tk):
            if mask[i, j]:   # the kind(s) written out, never shown by colour alone
                mark = "<BR/>".join(font(esc(k), color=st.muted, size=9) for k in kinds[i][j])
                dashed = ' STYLE="dashed" BORDER="1" CELLPADDING="3" COLOR="' + st.muted + '"' if PADDING in kinds[i][j] else ""
                cells.append(f'<TD BGCOLOR="{st.panel}"{dashed}>{mark}</TD>')
            else:
                a = float(w[i, j])
                inner = D.mono(st.num(a), size=10) if st.key else ""
                bar = D.bar(a, D.role("attention"), st, width=40, height=6)
                cells.append('<TD><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">'
                             + (f"<TR><TD>{inner}</TD></TR>" if inner else "") + f"<TR><TD>{bar}</TD></TR></TABLE></TD>")
        rows.append(f'<TR><TD ALIGN="RIGHT">{font(qtok[i], bold=True, size=10)}</TD>{"".join(cells)}</TR>')
    return (f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2" COLOR="{st.muted}">'
            f'<TR><TD COLSPAN="{Tk + 1}">{font(esc(MATRIX_TITLE), bold=True, size=11)}</TD></TR>'
            f'{"".join(rows)}</TABLE>')
