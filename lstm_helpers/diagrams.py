"""Every diagram of the series (LSTM cells, gates, unrolled RNNs, gradient paths), drawn with matplotlib.

Run ``python -m lstm_helpers.diagrams img`` to regenerate them all as byte-stable PNG and SVG twins.
"""

from __future__ import annotations

import argparse
import math
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Ellipse, FancyBboxPatch, Polygon

from lstm_helpers.utils import atomic_write

# --- visual language ------------------------------------------------------------------------
# One highlight colour for what a figure teaches, muted grey for everything else, red (dashed)
# only for gradients flowing backwards. Sizes are in data units; SCALE inches per unit keeps the
# same font-to-drawing ratio in every figure.
SCALE = 0.31
DPI = 120
HASH_SALT = "lstm-gate-by-gate"

TONES = {
    #        line       fill       text
    "hl": ("#1b6cb0", "#dbe9f7", "#0f4c81"),
    "mute": ("#a9a9a9", "#f2f2f2", "#8a8a8a"),
    "ink": ("#4a4a4a", "#f4f4f4", "#222222"),
    "grad": ("#d62728", "#fde3e3", "#c21b1c"),
    "note": ("#666666", "#f2f2f2", "#5e5e5e"),
}
CELL_EDGE = "#9d9d9d"
CELL_FILL = "#f8f9fb"
LW = 2.0          # ordinary data-flow line, points
LW_STATE = 4.2    # the cell state line is drawn thick
FS_LABEL = 14     # h_t, x_t, C_t ...
FS_SYMBOL = 13    # f_t, i_t, ... next to the layer outputs
FS_LAYER = 13     # text inside layer boxes
FS_OP = 16        # x and + inside pointwise circles
FS_EQ = 14        # equations beside a cell
FS_NOTE = 12      # one-line glosses

_RC = {
    "svg.hashsalt": HASH_SALT,
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "path.simplify": False,
}


@contextmanager
def _style():
    # imported here so that importing the module never touches pyplot state
    import matplotlib

    with matplotlib.rc_context(_RC):
        yield


def _canvas(x0: float, x1: float, y0: float, y1: float):
    """A figure whose single axes spans it exactly, with SCALE inches per data unit."""
    fig = Figure(figsize=((x1 - x0) * SCALE, (y1 - y0) * SCALE), facecolor="white")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_axis_off()
    return fig, ax


# --- primitives -------------------------------------------------------------------------------

def _tone(on) -> str:
    if isinstance(on, str):
        return on
    return "hl" if on else "mute"


def _line(ax, pts, on=False, *, lw=LW, ls="-", head=True, z=2, alpha=1.0):
    """A polyline through ``pts`` with an optional solid arrowhead at the last point."""
    color = TONES[_tone(on)][0]
    pts = np.asarray(pts, dtype=float)
    if head:
        tip = pts[-1]
        d = tip - pts[-2]
        d = d / np.hypot(*d)
        length = 0.30 + 0.035 * lw
        half = 0.11 + 0.015 * lw
        base = tip - length * d
        normal = np.array([-d[1], d[0]])
        ax.add_patch(Polygon([tip, base + half * normal, base - half * normal], closed=True,
                             facecolor=color, edgecolor="none", zorder=z + 0.1, alpha=alpha))
        pts = np.vstack([pts[:-1], tip - 0.8 * length * d])
    ax.plot(pts[:, 0], pts[:, 1], color=color, lw=lw, ls=ls, zorder=z, alpha=alpha,
            solid_joinstyle="round", solid_capstyle="butt", dash_capstyle="butt")


def _layer(ax, x, y, text, on=False, *, w=1.45, h=0.9):
    """A neural-network layer: a rectangle labelled with its activation (sigma or tanh)."""
    line, fill, ink = TONES[_tone(on)]
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.12",
                                facecolor=fill, edgecolor=line, lw=LW, zorder=4))
    fs = FS_LAYER + (3 if text == r"$\sigma$" else 0)
    ax.text(x, y, text, ha="center", va="center", fontsize=fs, color=ink, zorder=5)


OP_R = 0.42


def _op(ax, x, y, text, on=False, *, r=OP_R, wide=False):
    """A pointwise operation: a circle with x or +, or an ellipse for an elementwise tanh."""
    line, fill, ink = TONES[_tone(on)]
    if wide:
        ax.add_patch(Ellipse((x, y), 2 * r * 1.75, 2 * r * 1.05, facecolor="white", edgecolor=line,
                             lw=LW, zorder=4))
        ax.text(x, y, text, ha="center", va="center", fontsize=FS_LAYER - 1, color=ink, zorder=5)
    else:
        ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=line, lw=LW, zorder=4))
        ax.text(x, y - 0.02, text, ha="center", va="center", fontsize=FS_OP, color=ink, zorder=5)


def _dot(ax, x, y, on=False, r=0.1):
    ax.add_patch(Circle((x, y), r, facecolor=TONES[_tone(on)][0], edgecolor="none", zorder=3.5))


def _text(ax, x, y, s, on="ink", *, fs=FS_LABEL, **kw):
    kw.setdefault("ha", "center")
    kw.setdefault("va", "center")
    return ax.text(x, y, s, fontsize=fs, color=TONES[_tone(on)][2], zorder=6, **kw)


def _box(ax, x0, y0, w, h, *, edge=CELL_EDGE, fill=CELL_FILL, lw=1.6, pad=0.45, z=1):
    ax.add_patch(FancyBboxPatch((x0, y0), w, h, boxstyle=f"round,pad=0,rounding_size={pad}",
                                facecolor=fill, edgecolor=edge, lw=lw, zorder=z))


# --- the LSTM cell ------------------------------------------------------------------------------
# Cell geometry, relative to the bottom-left corner of the rounded box. Left to right the layers
# appear as f, i, g (candidate), o: the forget multiply has to come first on the cell-state line.
CELL_W, CELL_H = 13.0, 7.4
Y_C, Y_H, Y_LAYER = 6.4, 0.9, 2.8          # cell-state line, hidden bus, layer row
X_JOIN = 0.9                               # where x_t joins h_{t-1}
X_F, X_I, X_G, X_O = 2.0, 3.9, 5.8, 7.7     # layer columns
Y_MUL_I = 4.75                             # the i * g multiply
X_OUT, Y_TANH = 10.0, 4.85                 # output column: tanh(C_t) and the o * tanh multiply
X_HUP = 11.6                               # h_t leaves through the top here
LAYER_W, LAYER_H = 1.45, 0.9

# Named parts a figure can highlight; each drawn element belongs to one of them.
PARTS = {
    "state": {"C"},
    "forget": {"h_in", "x_in", "bus_f", "f_in", "f_layer", "f_out", "f_mul"},
    "input": {"h_in", "x_in", "bus_f", "bus_i", "bus_g", "i_in", "i_layer", "i_out", "g_in",
              "g_layer", "g_out", "ig_mul"},
    "update": {"C", "f_mul", "f_out", "i_out", "g_out", "ig_mul", "ig_add", "add"},
    "output": {"h_in", "x_in", "bus_f", "bus_i", "bus_g", "bus_o", "o_in", "o_layer", "o_out",
               "c_tanh_in", "c_tanh", "c_tanh_out", "o_mul", "h_out"},
    "peephole": {"peep"},
}
ALL_TAGS = set().union(*PARTS.values()) | {"peep"}


def draw_cell(ax, ox: float = 0.0, oy: float = 0.0, highlight=(), *, peephole: bool = False,
              stub_left: float = 1.6, stub_right: float = 1.6, io_labels: str = "ends",
              symbols: bool = True):
    """Draw one LSTM cell with its bottom-left corner at (ox, oy) on ``ax`` (data units).

    ``highlight`` is a collection of names from ``PARTS`` ('state', 'forget', 'input', 'update',
    'output', 'peephole') or 'all'; highlighted parts use the highlight colour, the rest grey.
    ``io_labels`` puts C_{t-1}, h_{t-1}, C_t, h_t at the line 'ends', in the 'gaps' of a chain
    (above the lines), or nowhere ('none').
    """
    if isinstance(highlight, str):
        highlight = [highlight]
    unknown = [h for h in highlight if h not in PARTS and h != "all"]
    if unknown:
        raise ValueError(f"highlight: expected names from {sorted(PARTS)} or 'all', got {unknown!r}")
    if io_labels not in ("ends", "gaps", "none"):
        raise ValueError(f"io_labels: expected 'ends', 'gaps' or 'none', got {io_labels!r}")
    lit = set(ALL_TAGS) if "all" in highlight else set().union(*(PARTS[h] for h in highlight))

    def on(tag):
        return tag in lit

    def P(x, y):
        return (ox + x, oy + y)

    r = OP_R
    top = Y_LAYER + LAYER_H / 2
    bot = Y_LAYER - LAYER_H / 2
    _box(ax, ox, oy, CELL_W, CELL_H)

    # cell state: thick, drawn above crossing lines with a white halo so they pass underneath
    x_left, x_right = -stub_left, CELL_W + stub_right
    c_segments = [(x_left, X_F - r), (X_F + r, X_G - r), (X_G + r, x_right)]
    for k, (a, b) in enumerate(c_segments):
        last = k == len(c_segments) - 1
        _line(ax, [P(a, Y_C), P(b, Y_C)], on("C"), lw=LW_STATE, head=last, z=3)
    ax.plot([ox + x_left, ox + x_right], [oy + Y_C, oy + Y_C], color="white", lw=LW_STATE + 5,
            zorder=2.5, solid_capstyle="butt")
    _op(ax, *P(X_F, Y_C), r"$\times$", on("f_mul"))
    _op(ax, *P(X_G, Y_C), "+", on("add"))

    # hidden bus: h_{t-1} from the left, x_t from below, then up into each layer
    _line(ax, [P(x_left, Y_H), P(X_JOIN, Y_H)], on("h_in"), head=False)
    _line(ax, [P(X_JOIN, -1.4), P(X_JOIN, Y_H)], on("x_in"), head=False)
    bus = [("bus_f", X_JOIN, X_F), ("bus_i", X_F, X_I), ("bus_g", X_I, X_G), ("bus_o", X_G, X_O)]
    for tag, a, b in bus:
        _line(ax, [P(a, Y_H), P(b, Y_H)], on(tag), head=False)
    _dot(ax, *P(X_JOIN, Y_H), on("bus_f"))
    for tag, x, src in [("f_in", X_F, "bus_f"), ("i_in", X_I, "bus_i"), ("g_in", X_G, "bus_g")]:
        _line(ax, [P(x, Y_H), P(x, bot)], on(tag))
        _dot(ax, *P(x, Y_H), on(src))
    _line(ax, [P(X_O, Y_H), P(X_O, bot)], on("o_in"))

    # the four layers, in their usual left-to-right places
    _layer(ax, *P(X_F, Y_LAYER), r"$\sigma$", on("f_layer"))
    _layer(ax, *P(X_I, Y_LAYER), r"$\sigma$", on("i_layer"))
    _layer(ax, *P(X_G, Y_LAYER), "tanh", on("g_layer"))
    _layer(ax, *P(X_O, Y_LAYER), r"$\sigma$", on("o_layer"))

    # f_t into the forget multiply; i_t and c~_t into their multiply, then up into the +
    _line(ax, [P(X_F, top), P(X_F, Y_C - r)], on("f_out"))
    _line(ax, [P(X_I, top), P(X_I, Y_MUL_I), P(X_G - r, Y_MUL_I)], on("i_out"))
    _line(ax, [P(X_G, top), P(X_G, Y_MUL_I - r)], on("g_out"))
    _op(ax, *P(X_G, Y_MUL_I), r"$\times$", on("ig_mul"))
    _line(ax, [P(X_G, Y_MUL_I + r), P(X_G, Y_C - r)], on("ig_add"))

    # output: tanh(C_t) times o_t gives h_t, which leaves right (next step) and up (output)
    tanh_h = r * 1.05
    _line(ax, [P(X_OUT, Y_C), P(X_OUT, Y_TANH + tanh_h)], on("c_tanh_in"), z=3.2)
    _dot(ax, *P(X_OUT, Y_C), on("C"), r=0.13)
    _op(ax, *P(X_OUT, Y_TANH), "tanh", on("c_tanh"), wide=True)
    _line(ax, [P(X_OUT, Y_TANH - tanh_h), P(X_OUT, Y_LAYER + r)], on("c_tanh_out"))
    _line(ax, [P(X_O + LAYER_W / 2, Y_LAYER), P(X_OUT - r, Y_LAYER)], on("o_out"))
    _op(ax, *P(X_OUT, Y_LAYER), r"$\times$", on("o_mul"))
    _line(ax, [P(X_OUT, Y_LAYER - r), P(X_OUT, Y_H), P(x_right, Y_H)], on("h_out"))
    _line(ax, [P(X_HUP, Y_H), P(X_HUP, CELL_H + 1.4)], on("h_out"), z=1.5)
    _dot(ax, *P(X_HUP, Y_H), on("h_out"))

    if peephole:
        # C_{t-1} peeks into the forget and input gates, C_t into the output gate
        xp, yp = 0.7, (top + Y_MUL_I) / 2
        kw = dict(ls=(0, (3.2, 1.8)), z=3.2)
        _line(ax, [P(xp, Y_C), P(xp, yp), P(X_I - 0.35, yp), P(X_I - 0.35, top)], on("peep"), **kw)
        _line(ax, [P(X_F - 0.4, yp), P(X_F - 0.4, top)], on("peep"), **kw)
        _line(ax, [P(X_O, Y_C), P(X_O, top)], on("peep"), **kw)
        for x, y in [(xp, Y_C), (X_O, Y_C)]:
            _dot(ax, *P(x, y), on("C"), r=0.13)
        _dot(ax, *P(X_F - 0.4, yp), on("peep"), r=0.1)

    if symbols:
        _text(ax, *P(X_F - 0.18, (top + Y_C) / 2 + 0.35), r"$f_t$", _tone(on("f_out")), fs=FS_SYMBOL,
              ha="right")
        _text(ax, *P((X_I + X_G - r) / 2, Y_MUL_I + 0.12), r"$i_t$", _tone(on("i_out")),
              fs=FS_SYMBOL, va="bottom")
        _text(ax, *P(X_G + 0.18, (top + Y_MUL_I - r) / 2), r"$\tilde{c}_t$", _tone(on("g_out")),
              fs=FS_SYMBOL, ha="left")
        _text(ax, *P((X_O + LAYER_W / 2 + X_OUT - r) / 2, Y_LAYER + 0.12), r"$o_t$",
              _tone(on("o_out")), fs=FS_SYMBOL, va="bottom")

    _text(ax, *P(X_JOIN, -1.55), r"$x_t$", _tone(on("x_in")), va="top")
    _text(ax, *P(X_HUP, CELL_H + 1.55), r"$h_t$", _tone(on("h_out")), va="bottom")
    if io_labels == "ends":
        _text(ax, *P(x_left - 0.15, Y_C), r"$C_{t-1}$", _tone(on("C")), ha="right")
        _text(ax, *P(x_left - 0.15, Y_H), r"$h_{t-1}$", _tone(on("h_in")), ha="right")
        _text(ax, *P(x_right + 0.15, Y_C), r"$C_t$", _tone(on("C")), ha="left")
        _text(ax, *P(x_right + 0.15, Y_H), r"$h_t$", _tone(on("h_out")), ha="left")
    elif io_labels == "gaps":
        _text(ax, *P(x_left / 2, Y_C + 0.3), r"$C_{t-1}$", _tone(on("C")), va="bottom")
        _text(ax, *P(x_left / 2, Y_H + 0.2), r"$h_{t-1}$", _tone(on("h_in")), va="bottom")
        _text(ax, *P(CELL_W + stub_right / 2, Y_C + 0.3), r"$C_t$", _tone(on("C")), va="bottom")
        _text(ax, *P(CELL_W + stub_right / 2, Y_H + 0.2), r"$h_t$", _tone(on("h_out")), va="bottom")
    return ax


def _equations(ax, x, y, lines, *, gap=1.35):
    """Equations (ink) and optional glosses (grey, smaller), top-aligned at y, left-aligned at x."""
    for item in lines:
        if item.startswith("#"):
            _text(ax, x, y, item[1:].strip(), "mute", fs=FS_NOTE, ha="left", va="top")
            y -= gap * 0.85
        else:
            _text(ax, x, y, item, "ink", fs=FS_EQ, ha="left", va="top")
            y -= gap
    return y


# Cell figures share one frame: the cell, then room for equations on the right.
_CELL_FRAME = (-3.4, 27.4, -2.6, 9.4)
_EQ_X = 16.4


def _cell_figure(highlight, equations=(), *, peephole=False, y_eq=7.2):
    with _style():
        fig, ax = _canvas(*_CELL_FRAME)
        draw_cell(ax, highlight=highlight, peephole=peephole)
        if equations:
            _equations(ax, _EQ_X, y_eq, equations)
    return fig


# --- one public function per figure -------------------------------------------------------------

def draw_lstm_model() -> Figure:
    """Overview: three steps of an LSTM chain (t-1, t, t+1); the middle cell is drawn in full."""
    gap, wbox = 2.8, 4.0
    with _style():
        fig, ax = _canvas(-gap - wbox - 1.6, CELL_W + gap + wbox + 1.6, -2.6, 9.4)
        draw_cell(ax, highlight="all", stub_left=gap, stub_right=gap, io_labels="gaps")
        for x0, t in [(-gap - wbox, "t-1"), (CELL_W + gap, "t+1")]:
            _box(ax, x0, 0, wbox, CELL_H)
            xc = x0 + wbox / 2
            _text(ax, xc, CELL_H / 2, "A", "mute", fs=22)
            _line(ax, [(xc, -1.4), (xc, 0)], "mute")
            _line(ax, [(xc, CELL_H), (xc, CELL_H + 1.4)], "mute")
            _text(ax, xc, -1.55, rf"$x_{{{t}}}$", "mute", va="top")
            _text(ax, xc, CELL_H + 1.55, rf"$h_{{{t}}}$", "mute", va="bottom")
        # the chain continues on both sides
        for y, lw in [(Y_C, LW_STATE), (Y_H, LW)]:
            _line(ax, [(-gap - wbox - 1.3, y), (-gap - wbox, y)], "mute", lw=lw)
            _line(ax, [(CELL_W + gap + wbox, y), (CELL_W + gap + wbox + 1.3, y)], "mute", lw=lw)
    return fig


def draw_state1() -> Figure:
    """The cell state: a straight line through the cell, touched only by one x and one +."""
    with _style():
        fig, ax = _canvas(*_CELL_FRAME)
        draw_cell(ax, highlight="state")
        _equations(ax, _EQ_X, 7.2, [
            r"cell state $C$",
            "# runs straight through the whole chain;",
            "# only a pointwise \u00d7 and + touch it,",
            "# so information flows along it unchanged",
            "# unless a gate says otherwise",
        ])
    return fig


def draw_state2() -> Figure:
    """A gate: a sigmoid layer whose output multiplies a signal pointwise."""
    with _style():
        fig, ax = _canvas(-2.6, 24.6, -2.4, 5.6)
        y_line, x_mul, y_sig = 3.6, 4.5, 1.0
        r = OP_R
        _line(ax, [(-0.4, y_line), (x_mul - r, y_line)], "ink", lw=LW_STATE, head=False)
        _line(ax, [(x_mul + r, y_line), (9.4, y_line)], "ink", lw=LW_STATE)
        _text(ax, -0.55, y_line, "in", "ink", ha="right")
        _text(ax, 9.55, y_line, "out", "ink", ha="left")
        _op(ax, x_mul, y_line, r"$\times$", True)
        _layer(ax, x_mul, y_sig, r"$\sigma$", True, w=1.6, h=1.0)
        _line(ax, [(x_mul, y_sig + 0.5), (x_mul, y_line - r)], True)
        _line(ax, [(x_mul, -1.2), (x_mul, y_sig - 0.5)], "ink")
        _text(ax, x_mul, -1.35, r"$[h_{t-1}, x_t]$", "ink", va="top")
        _text(ax, x_mul + 0.25, (y_sig + 0.5 + y_line - r) / 2, "values in (0, 1)", "hl",
              fs=FS_NOTE, ha="left")
        _equations(ax, 12.2, 4.9, [
            r"gate $=$ $\sigma$ layer $+$ pointwise $\times$",
            r"$\mathrm{out} = \sigma(W\cdot[h_{t-1},x_t]+b) * \mathrm{in}$",
            "# 0: let nothing through",
            "# 1: let everything through",
        ])
    return fig


def draw_forget() -> Figure:
    """The forget gate: how much of each entry of C_{t-1} to keep."""
    return _cell_figure("forget", [
        r"$f_t = \sigma(W_f\cdot[h_{t-1}, x_t] + b_f)$",
        r"# one value in (0, 1) per entry of $C_{t-1}$:",
        "# 1 = keep it, 0 = forget it",
    ])


def draw_input() -> Figure:
    """The input gate i_t and the candidate c~_t: what to write into the cell state."""
    return _cell_figure("input", [
        r"$i_t = \sigma(W_i\cdot[h_{t-1}, x_t] + b_i)$",
        "# how much to write",
        r"$\tilde{c}_t = \tanh(W_c\cdot[h_{t-1}, x_t] + b_c)$",
        "# what to write, in (-1, 1)",
    ])


def draw_update() -> Figure:
    """The cell-state update: forget part of the old state, add the gated candidate."""
    return _cell_figure("update", [
        r"$C_t = f_t * C_{t-1} + i_t * \tilde{c}_t$",
        "# keep part of the old state,",
        "# add part of the new candidate",
    ])


def draw_output() -> Figure:
    """The output gate: h_t is a gated, squashed copy of the cell state."""
    return _cell_figure("output", [
        r"$o_t = \sigma(W_o\cdot[h_{t-1}, x_t] + b_o)$",
        r"$h_t = o_t * \tanh(C_t)$",
        "# which parts of the squashed cell",
        "# state to show as the output",
    ])


def draw_lstm_peephole() -> Figure:
    """The peephole variant: the cell state is an extra input of all three sigmoid gates."""
    return _cell_figure("peephole", [
        r"$f_t = \sigma(W_f\cdot[h_{t-1}, x_t] + p_f \odot C_{t-1} + b_f)$",
        r"$i_t = \sigma(W_i\cdot[h_{t-1}, x_t] + p_i \odot C_{t-1} + b_i)$",
        r"$o_t = \sigma(W_o\cdot[h_{t-1}, x_t] + p_o \odot C_t + b_o)$",
        "# peepholes (dashed): the gates also see the cell",
        "# state, through diagonal weights p",
    ], peephole=True)


def _chain_boxes(ax, xs, y, w, h, text):
    for x in xs:
        _box(ax, x - w / 2, y - h / 2, w, h, edge=TONES["ink"][0], fill=TONES["ink"][1], lw=LW, pad=0.25, z=4)
        if text:
            _text(ax, x, y, text, "ink", fs=FS_LAYER)


def draw_rnn_unrolled() -> Figure:
    """A tanh RNN, rolled and unrolled, with the backward path through the Jacobians in red."""
    with _style():
        fig, ax = _canvas(-1.4, 27.0, -3.4, 7.4)
        yc, w, h = 3.0, 2.0, 1.6
        # rolled: one box with a loop
        x_r = 1.4
        _chain_boxes(ax, [x_r], yc, w, h, "tanh")
        _line(ax, [(x_r, 0.6), (x_r, yc - h / 2)], "ink")
        _line(ax, [(x_r, yc + h / 2), (x_r, 5.4)], "ink")
        _text(ax, x_r, 0.45, r"$x_t$", va="top")
        _text(ax, x_r, 5.55, r"$h_t$", va="bottom")
        cx, rad = x_r + w / 2 + 0.25, 0.75
        ang = np.linspace(math.radians(-125), math.radians(125), 60)
        loop = np.c_[cx + rad * np.cos(ang), yc + rad * np.sin(ang)]
        loop[0, 0] = loop[-1, 0] = x_r + w / 2
        _line(ax, loop[::-1], "ink")
        _text(ax, 4.35, yc, "=", fs=24)

        # unrolled
        xs = [7.6, 11.4, 15.2, 21.4]
        names = ["1", "2", "3", "T"]
        yf, yb = yc + 0.3, yc - 0.35
        _text(ax, 5.5, yf, r"$h_0$", ha="center")
        _line(ax, [(6.05, yf), (xs[0] - w / 2, yf)], "ink")
        _chain_boxes(ax, xs, yc, w, h, "tanh")
        x_dots = (xs[2] + xs[3]) / 2
        _text(ax, x_dots, yc, r"$\cdots$", fs=20)
        hops = [(xs[0], xs[1]), (xs[1], xs[2]), (xs[2], x_dots - 0.75), (x_dots + 0.75, xs[3])]
        for k, (a, b) in enumerate(hops):
            a_edge = a + (w / 2 if k != 3 else 0)
            b_edge = b - (w / 2 if k != 2 else 0)
            _line(ax, [(a_edge, yf), (b_edge, yf)], "ink")
            _line(ax, [(b_edge, yb), (a_edge, yb)], "grad", ls=(0, (2.6, 1.6)))
        for x, n in zip(xs, names):
            _line(ax, [(x, 0.6), (x, yc - h / 2)], "ink")
            _line(ax, [(x, yc + h / 2), (x, 5.4)], "ink")
            _text(ax, x, 0.45, rf"$x_{n}$", va="top")
            _text(ax, x, 5.55, rf"$h_{n}$", va="bottom")
        # the loss gradient enters at the last step and flows back
        _line(ax, [(xs[3] + w / 2 + 1.6, yb), (xs[3] + w / 2, yb)], "grad", ls=(0, (2.6, 1.6)))
        _text(ax, xs[3] + w / 2 + 1.75, yb, r"$\partial L/\partial h_T$", "grad", ha="left")
        # one Jacobian label, tied to one backward hop
        x_lab = (xs[1] + xs[2]) / 2
        ax.plot([x_lab, x_lab], [yb - 0.15, -1.2], color=TONES["grad"][0], lw=1.0, zorder=2)
        _text(ax, x_lab, -1.35,
              r"each step back: $\partial h_t/\partial h_{t-1} = \mathrm{diag}(1-h_t^2)\,W_h^\top$",
              "grad", va="top")
        _text(ax, -1.0, 7.0, r"$h_t = \tanh(h_{t-1}W_h + x_tW_x + b)$", "ink", fs=FS_EQ,
              ha="left", va="top")
        # legend
        _line(ax, [(17.3, 6.75), (18.7, 6.75)], "ink")
        _text(ax, 18.9, 6.75, "forward", "ink", fs=FS_NOTE, ha="left")
        _line(ax, [(22.3, 6.75), (20.9, 6.75)], "grad", ls=(0, (2.6, 1.6)))
        _text(ax, 22.5, 6.75, "gradient", "grad", fs=FS_NOTE, ha="left")
    return fig


def draw_cell_state_highway() -> Figure:
    """Backward paths compared: along the LSTM cell state (x f_t per step) and through a tanh RNN."""
    dash = (0, (2.6, 1.6))
    with _style():
        fig, ax = _canvas(-1.4, 27.0, -9.6, 8.6)
        w, gap = 3.6, 1.8
        xs = [2.6 + k * (w + gap) for k in range(3)] + [2.6 + 3 * (w + gap) + 1.6]
        names = ["1", "2", "3", "T"]
        x_dots = (xs[2] + xs[3]) / 2

        # --- LSTM panel: cells whose top line is the cell state
        yb0, hc = 0.6, 3.6
        yC, yH = yb0 + hc - 0.75, yb0 + 0.7
        _text(ax, -1.0, 8.2, "LSTM: the cell state is a highway for gradients "
              "(the constant error carousel)", "ink", fs=FS_EQ, ha="left", va="top")
        _text(ax, -1.0, 7.1, r"each step back multiplies by $\partial C_t/\partial C_{t-1} = "
              r"\mathrm{diag}(f_t)$ only: no weight matrix, no squashing", "mute", fs=FS_NOTE,
              ha="left", va="top")
        for x, n in zip(xs, names):
            _box(ax, x - w / 2, yb0, w, hc)
            _op(ax, x - 0.6, yC, r"$\times$", True)
            _op(ax, x + 0.7, yC, "+", "mute")
            _line(ax, [(x - 0.6, yb0 + 1.35), (x - 0.6, yC - OP_R)], True)
            _text(ax, x - 0.75, yb0 + 1.1, rf"$f_{n}$", "hl", fs=FS_SYMBOL, ha="right")
            _line(ax, [(x + 0.7, yb0 + 1.35), (x + 0.7, yC - OP_R)], "mute")
            _text(ax, x + 0.85, yb0 + 1.1, r"$i\,\tilde{c}$", "mute", fs=FS_SYMBOL, ha="left")
        x_start, x_end = xs[0] - w / 2 - 1.6, xs[3] + w / 2 + 1.6
        stops = [x_start] + [v for x in xs for v in (x - 0.6 - OP_R, x - 0.6 + OP_R, x + 0.7 - OP_R,
                                                     x + 0.7 + OP_R)] + [x_end]
        for k in range(0, len(stops), 2):
            a, b = stops[k], stops[k + 1]
            if xs[2] + w / 2 < a < xs[3] - w / 2 or xs[2] + w / 2 < b < xs[3] - w / 2:
                a, b = (a, x_dots - 0.75) if a < x_dots else (x_dots + 0.75, b)
            _line(ax, [(a, yC), (b, yC)], True, lw=LW_STATE, head=(k == len(stops) - 2))
        _text(ax, x_dots, yC, r"$\cdots$", "hl", fs=20)
        _text(ax, x_dots, yH, r"$\cdots$", "mute", fs=20)
        for k, (a, b) in enumerate(zip([x_start] + xs[:3], xs)):
            pass
        _line(ax, [(x_start, yH), (x_dots - 0.75, yH)], "mute", head=False)
        _line(ax, [(x_dots + 0.75, yH), (x_end, yH)], "mute")
        # state labels in the gaps
        gaps = [xs[0] - w / 2 - 0.8] + [(xs[k] + xs[k + 1]) / 2 for k in range(2)] + \
               [xs[2] + w / 2 + 0.55, xs[3] + w / 2 + 0.8]
        for x, s in zip(gaps, ["0", "1", "2", "3", "T"]):
            if s == "3":
                x = xs[2] + w / 2 + 0.15
                _text(ax, x, yC - 0.3, rf"$C_{s}$", "hl", fs=FS_SYMBOL, ha="left", va="top")
            else:
                _text(ax, x, yC - 0.3, rf"$C_{s}$", "hl", fs=FS_SYMBOL, va="top")
        # gradient along the top, hop by hop
        yg = yb0 + hc + 0.45
        _text(ax, x_end + 0.1, yg, r"$\partial L/\partial C_T$", "grad", ha="left")
        _line(ax, [(x_end, yg), (xs[3] + w / 2, yg)], "grad", ls=dash)
        for x, n in zip(xs, names):
            _line(ax, [(x + w / 2, yg), (x - w / 2, yg)], "grad", ls=dash)
            _text(ax, x, yg + 0.25, rf"$\times\, f_{n}$", "grad", fs=FS_SYMBOL, va="bottom")
        _line(ax, [(xs[2] + w / 2, yg), (x_dots + 0.3, yg)], "grad", ls=dash, head=False)
        _line(ax, [(x_dots - 0.3, yg), (xs[2] + w / 2, yg)], "grad", ls=dash, head=False)

        # --- RNN panel: the same chain through tanh
        yr = -6.2
        _text(ax, -1.0, -1.0, "plain RNN: the gradient passes through tanh and "
              r"$W_h$ at every step", "ink", fs=FS_EQ, ha="left", va="top")
        _text(ax, -1.0, -2.1, r"each step back multiplies by $J_t = \mathrm{diag}(1-h_t^2)\,W_h^\top$:"
              " the product vanishes or explodes", "mute", fs=FS_NOTE, ha="left", va="top")
        bw, bh = 2.2, 1.6
        _chain_boxes(ax, xs, yr, bw, bh, "tanh")
        _text(ax, x_dots, yr, r"$\cdots$", "ink", fs=20)
        edges = [x_start] + [v for x in xs for v in (x - bw / 2, x + bw / 2)] + [x_end]
        for k in range(0, len(edges), 2):
            a, b = edges[k], edges[k + 1]
            if a < x_dots < b:
                _line(ax, [(a, yr), (x_dots - 0.75, yr)], "ink")
                _line(ax, [(x_dots + 0.75, yr), (b, yr)], "ink")
            else:
                _line(ax, [(a, yr), (b, yr)], "ink")
        hlabels = [(x_start + xs[0] - bw / 2) / 2] + [(xs[k] + xs[k + 1]) / 2 for k in range(2)] + \
                  [xs[2] + bw / 2 + 0.15, xs[3] + bw / 2 + 0.8]
        for x, s in zip(hlabels, ["0", "1", "2", "3", "T"]):
            _text(ax, x, yr - 0.3, rf"$h_{s}$", "ink", fs=FS_SYMBOL, va="top",
                  ha="left" if s == "3" else "center")
        # fading strokes: the typical case, a shrinking gradient
        ygr = yr + bh / 2 + 0.45
        _line(ax, [(x_end, ygr), (xs[3] + bw / 2, ygr)], "grad", ls=dash)
        _text(ax, x_end + 0.1, ygr, r"$\partial L/\partial h_T$", "grad", ha="left")
        for k, (x, n) in enumerate(zip(xs, names)):
            alpha = [0.35, 0.55, 0.75, 1.0][k]
            _line(ax, [(x + bw / 2 + 0.4, ygr), (x - bw / 2 - 0.4, ygr)], "grad", ls=dash,
                  lw=LW * alpha, alpha=alpha)
            _text(ax, x, ygr + 0.25, rf"$\times\, J_{n}$", "grad", fs=FS_SYMBOL, va="bottom")
    return fig


FIGURES = {
    "lstm_model": draw_lstm_model,
    "state1": draw_state1,
    "state2": draw_state2,
    "forget": draw_forget,
    "input": draw_input,
    "update": draw_update,
    "output": draw_output,
    "rnn_unrolled": draw_rnn_unrolled,
    "cell_state_highway": draw_cell_state_highway,
    "lstm_peephole": draw_lstm_peephole,
}


# --- saving ---------------------------------------------------------------------------------------

def _check_out_dir(out_dir) -> Path:
    if not isinstance(out_dir, (str, Path)):
        raise ValueError(f"out_dir: expected a folder path (str or Path), got {type(out_dir).__name__} "
                         f"{out_dir!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir: expected a folder (existing or new), got {str(out)!r}, which is a file")
    return out


def save_figure(name: str, out_dir="img") -> list[Path]:
    """Draw the figure ``name`` (a key of ``FIGURES``) and write ``name.png`` and ``name.svg``.

    Output is byte-stable: no dates or version strings in the files, fixed SVG ids, fixed dpi.
    Each file is written atomically. Returns the two paths.
    """
    if name not in FIGURES:
        raise ValueError(f"name: expected one of {sorted(FIGURES)}, got {name!r}")
    out = _check_out_dir(out_dir)
    fig = FIGURES[name]()
    paths = []
    with _style():
        for fmt, meta in [("png", {"Software": None}), ("svg", {"Date": None})]:
            path = out / f"{name}.{fmt}"
            with atomic_write(path, "wb") as fh:
                fig.savefig(fh, format=fmt, dpi=DPI, metadata=meta, facecolor="white")
            paths.append(path)
    return paths


def generate_all(out_dir="img", names=None) -> list[Path]:
    """Write every figure of ``FIGURES`` (or just ``names``) into ``out_dir``; returns the paths."""
    out = _check_out_dir(out_dir)
    if names is None:
        names = list(FIGURES)
    elif isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"names: expected a list of figure names from {sorted(FIGURES)}, got {names!r}")
    bad = [n for n in names if n not in FIGURES]
    if bad:
        raise ValueError(f"names: expected figure names from {sorted(FIGURES)}, got unknown {bad!r}")
    paths: list[Path] = []
    for name in names:
        paths.extend(save_figure(name, out))
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_helpers.diagrams",
                                     description="Regenerate the diagrams of the LSTM series.")
    parser.add_argument("out_dir", nargs="?", default="img", help="output folder (default: img)")
    parser.add_argument("names", nargs="*", help=f"only these figures (default: all of {', '.join(FIGURES)})")
    args = parser.parse_args(argv)
    try:
        paths = generate_all(args.out_dir, args.names or None)
    except ValueError as exc:
        parser.error(str(exc))
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
