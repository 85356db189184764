"""``vit-patches``: how a Vision Transformer reads an image, drawn from a ViT trace.

Left to right: the image (the trace's normalised pixels, each channel shown min-max scaled) cut
into its ``grid`` of ``patch_size`` x ``patch_size`` patches; the patch sequence the encoder sees,
``[class]`` first, each position with ``+ pos_i`` (learned position embeddings); then the
``[class]`` token's attention to every patch overlaid on the image: for each head of the last
layer (``layers[-1].attention[h, 0, 1:]``) and the rollout's ``[class]`` row (``rollout[0, 1:]``),
each patch tinted in proportion to its weight (relative to the largest of that panel) with the
weight printed under it. Pixels beyond ``MAX_SIDE`` per side are shown block-averaged (display
only). Every number comes from the trace; this module only lays them out.
"""
from __future__ import annotations

from typing import Any

import graphviz
import numpy as np

from . import _draw as D
from . import _model as M
from ._draw import Style, esc, font, token
from .attention_heads import raise_kind

MAX_SIDE = 48          # displayed pixels per image side at most (larger images are block-averaged for display)
NUMBERS_MAX_PATCHES = 36   # a grid this small prints each weight under its patch
NL = "\n"             # a line break in a panel label
SEQ_SHOWN = 10         # patch-sequence boxes drawn before the middle is elided


def _patch_pixels(disp: np.ndarray, p: int, r: int, c: int) -> np.ndarray:
    """Patch (r, c) of the displayed image (p displayed pixels a side)."""
    return disp[r * p:(r + 1) * p, c * p:(c + 1) * p]


def _patch_table(block: np.ndarray, px: int, tint: tuple[str, float] | None = None) -> str:
    rows = []
    tint_rgb = None
    if tint is not None:
        col, w = tint
        tint_rgb = np.array([int(col[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    for y in range(block.shape[0]):
        cells = []
        for x in range(block.shape[1]):
            rgb = block[y, x]
            if tint_rgb is not None:
                rgb = 0.4 * rgb + 0.6 * (tint[1] * tint_rgb + (1 - tint[1]) * 0.92)   # display blend
            cells.append(f'<TD WIDTH="{px}" HEIGHT="{px}" FIXEDSIZE="TRUE" BGCOLOR="{M.hex_colour(rgb)}"></TD>')
        rows.append("<TR>" + "".join(cells) + "</TR>")
    return (f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0" FIXEDSIZE="TRUE" WIDTH="{block.shape[1] * px}" '
            f'HEIGHT="{block.shape[0] * px}">{"".join(rows)}</TABLE>')


def _shrink(disp: np.ndarray, grid: tuple[int, int], p: int) -> tuple[np.ndarray, int]:
    """Block-average each patch so the whole image is at most MAX_SIDE displayed pixels a side."""
    q = max(1, -(-p * max(grid) // MAX_SIDE))          # pixels averaged per displayed pixel (ceil)
    while p % q:
        q += 1
    if q == 1:
        return disp, p
    H, W = disp.shape[0] // q, disp.shape[1] // q
    return disp[:H * q, :W * q].reshape(H, q, W, q, 3).mean(axis=(1, 3)), p // q


def _image_grid(st: Style, disp: np.ndarray, grid: tuple[int, int], p: int, px: int,
                weights: np.ndarray | None = None, label: str = "") -> str:
    """The image as its grid of patches (optionally tinted by ``weights``, one per patch in reading order)."""
    rows = []
    top = float(weights.max()) if weights is not None and weights.size else 1.0
    numbers = weights is not None and grid[0] * grid[1] <= NUMBERS_MAX_PATCHES
    for r in range(grid[0]):
        cells = []
        for c in range(grid[1]):
            k = r * grid[1] + c
            tint, tip = None, ""
            if weights is not None:
                tint = (D.role("attention"), float(weights[k]) / (top if top > 0 else 1.0))
                tip = f' HREF="#" TOOLTIP="patch ({r + 1},{c + 1}): {float(weights[k]):.6g}"'
            inner = _patch_table(_patch_pixels(disp, p, r, c), px, tint)
            cap = f"<TR><TD>{D.mono(st.num(float(weights[k])), size=9)}</TD></TR>" if numbers else ""
            cells.append(f'<TD BORDER="1" COLOR="{st.muted}" CELLPADDING="0"{tip}><TABLE BORDER="0" CELLSPACING="0" '
                         f'CELLPADDING="0"><TR><TD>{inner}</TD></TR>{cap}</TABLE></TD>')
        rows.append("<TR>" + "".join(cells) + "</TR>")
    body = f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="0">{"".join(rows)}</TABLE>'
    if not label:
        return body
    lines = "<BR/>".join(font(esc(x), bold=True, size=11) for x in label.split(NL))
    return (f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="0"><TR><TD>{lines}</TD></TR>'
            f"<TR><TD>{body}</TD></TR></TABLE>")


def _sequence(st: Style, tr: Any, disp: np.ndarray, grid: tuple[int, int], p: int, px: int) -> str:
    N = grid[0] * grid[1]
    shown = list(range(N)) if N <= SEQ_SHOWN else [*range(SEQ_SHOWN - 2), None, N - 2, N - 1]
    toks = M.tokens(tr)
    cells = [f'<TD BORDER="2" COLOR="{D.role("attention")}">{font(esc(toks[0]), bold=True, size=11)}'
             f'<BR/>{font(esc("+ pos_1"), size=9, color=st.muted)}</TD>']
    for k in shown:
        if k is None:
            cells.append(f"<TD>{font(esc(f'... {N - SEQ_SHOWN} more ...'), size=10, color=st.muted)}</TD>")
            continue
        r, c = divmod(k, grid[1])
        thumb = _patch_table(_patch_pixels(disp, p, r, c), max(2, 28 // p))
        cells.append(f'<TD BORDER="1" COLOR="{st.muted}"><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">'
                     f"<TR><TD>{thumb}</TD></TR><TR><TD>{font(token(toks[k + 1]), size=9)}</TD></TR>"
                     f"<TR><TD>{font(esc(f'+ pos_{k + 2}'), size=9, color=st.muted)}</TD></TR></TABLE></TD>")
    d = tr.config["d_model"]
    cap = (f"the sequence: [class] then {N} patches in reading order, each flattened ({p_of(tr)} x {p_of(tr)} x "
           f"{np.asarray(tr.image).shape[0]} values) and projected to d = {d}, plus its position embedding")
    row = f'<TABLE BORDER="0" CELLSPACING="3" CELLPADDING="2"><TR>{"".join(cells)}</TR></TABLE>'
    return (f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR><TD>{font(esc(cap), size=11)}</TD></TR>'
            f"<TR><TD>{row}</TD></TR></TABLE>")


def p_of(tr: Any) -> int:
    return int(tr.patch_size)


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st, tr = style, computed.trace
    if not M.is_model(tr):
        raise_kind(tr)
    if getattr(tr, "image", None) is None or tr.family != "vit":
        from gatelab.engines.errors import InputError
        raise InputError(f"vit-patches draws a ViT model (an image cut into patches); this trace is a {tr.family} model")
    grid = (int(tr.grid[0]), int(tr.grid[1]))
    disp, p = _shrink(M.display_image(tr.image), grid, p_of(tr))
    px = int(min(18, max(3, 168 // max(p * max(grid), 1))))
    A = M.attention(tr)                                   # [L, H, T, T]
    L, H = A.shape[:2]
    g = D.digraph("vit_patches", st, rankdir="TB", nodesep="0.6", ranksep="0.5")
    C, Hpx, Wpx = np.asarray(tr.image).shape
    g.node("image", D.html_label(_image_grid(st, disp, grid, p, px, label=f"image {C} x {Hpx} x {Wpx}\n"
                                             f"{grid[0]} x {grid[1]} patches\nof {p_of(tr)} x {p_of(tr)} px")),
           shape="plain")
    g.node("sequence", D.html_label(_sequence(st, tr, disp, grid, p, px)), shape="plain")
    with g.subgraph() as top:
        top.attr(rank="same")
        top.node("image")
        top.node("sequence")
    g.edge("image", "sequence", color=st.edge, label=D.edge_label(esc("flatten, x W_p + b_p"), st, size=11))
    panels = [(f"layer {L}, head {h + 1}\n[class] -> patch", A[L - 1, h, 0, 1:]) for h in range(H)]
    panels.append(("rollout (all layers)\n[class] row", np.asarray(tr.rollout)[0, 1:]))
    over = "".join(f"<TD>{_image_grid(st, disp, grid, p, px, np.asarray(w), lab)}</TD>" for lab, w in panels)
    note = font(esc("[class] attention: each patch tinted in proportion to its weight (relative to the panel's "
                    "largest), the weight printed under it"), size=11, color=st.muted)
    g.node("attention", D.html_label(f'<TABLE BORDER="0" CELLSPACING="0"><TR><TD>{note}</TD></TR><TR><TD>'
                                     f'<TABLE BORDER="0" CELLSPACING="8"><TR>{over}</TR></TABLE></TD></TR></TABLE>'),
           shape="plain")
    g.edge("sequence", "attention", color=st.edge, label=D.edge_label(esc(f"{L} pre-LN layers"), st, size=11))
    g.attr("graph", label=D.html_label(_title(st, tr, computed)), labelloc="t", labeljust="c")
    return g


def _title(st: Style, tr: Any, computed: Any) -> str:
    cfg = tr.config
    head = (f"Vision Transformer: {len(tr.layers)} layers, d_model = {cfg['d_model']}, {cfg['heads']} heads, "
            f"{tr.norm}, patch {p_of(tr)} x {p_of(tr)}")
    pred = ""
    if tr.prediction_kind == "class" and tr.predictions:
        pr = tr.predictions[0]
        pred = "class: " + ", ".join(f"{t} {st.num(float(v))}" for t, v in zip(pr.top[:3], np.asarray(pr.probs)[:3]))
    src = M.source_name(computed)
    return (font(esc(head), bold=True, size=15) + (f"<BR/>{font(token(pred), size=12)}" if pred else "")
            + (f"<BR/>{font(token(src), size=11, color=st.muted)}" if src else "")
            + "<BR/>" + font(esc("pixels shown with each channel min-max scaled from the normalised image"),
                             size=10, color=st.muted))
