"""The drawing kit of the series' diagrams: one visual language (colours, sizes) and the LSTM cell, part by part.

`diagrams` builds every figure in `img/` from these pieces; notebook 06's step player reuses `draw_cell`.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Ellipse, FancyBboxPatch, Polygon

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


def _style():
    """Our fonts and SVG settings for one block of drawing or saving; global rcParams stay untouched."""
    return matplotlib.rc_context(_RC)


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

# Every element of the cell carries a tag (a line, a box, an operation); a part that a figure
# can highlight is a set of tags.
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
ALL_TAGS = set().union(*PARTS.values())


def draw_cell(ax, ox: float = 0.0, oy: float = 0.0, highlight=(), *, peephole: bool = False,
              stub_left: float = 1.6, stub_right: float = 1.6, io_labels: str = "ends",
              symbols: bool = True):
    """Draw one LSTM cell with its bottom-left corner at (ox, oy) on ``ax`` (data units).

    ``highlight`` is a collection of names from ``PARTS`` ('state', 'forget', 'input', 'update',
    'output', 'peephole') or 'all'; highlighted parts use the highlight colour, the rest grey.
    ``io_labels`` puts C_{t-1}, h_{t-1}, C_t, h_t at the line 'ends', in the 'gaps' of a chain
    (above the lines), or nowhere ('none'); ``symbols`` labels the layer outputs f_t, i_t, c~_t, o_t.
    ``peephole`` adds the dashed connections from the cell state into the three sigmoid gates.
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

    # cell state: thick, with a halo where the h_t output passes underneath it
    x_left, x_right = -stub_left, CELL_W + stub_right
    c_segments = [(x_left, X_F - r), (X_F + r, X_G - r), (X_G + r, x_right)]
    for k, (a, b) in enumerate(c_segments):
        last = k == len(c_segments) - 1
        _line(ax, [P(a, Y_C), P(b, Y_C)], on("C"), lw=LW_STATE, head=last, z=3)
    ax.plot([ox + X_HUP - 0.3, ox + X_HUP + 0.3], [oy + Y_C, oy + Y_C], color=CELL_FILL,
            lw=LW_STATE + 6, zorder=2.5, solid_capstyle="butt")
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
    """Equations (ink) and glosses (lines starting with '#': grey, smaller), top-left at (x, y)."""
    after_note = False
    for item in lines:
        if item.startswith("#"):
            _text(ax, x, y, item[1:].strip(), "note", fs=FS_NOTE, ha="left", va="top")
            y -= gap * 0.85
            after_note = True
        else:
            y -= 0.3 if after_note else 0.0  # a little air before the next equation
            _text(ax, x, y, item, "ink", fs=FS_EQ, ha="left", va="top")
            y -= gap
            after_note = False
    return y


# Cell figures share one frame: the cell, then its equations on the right.
_CELL_FRAME = (-3.4, 26.0, -2.5, 9.8)
_EQ_X, _EQ_Y = 16.0, 7.6


def _cell_figure(highlight, equations=(), *, peephole=False, below=False):
    with _style():
        if below:  # long equations go under the cell instead
            fig, ax = _canvas(_CELL_FRAME[0], 16.6, -9.3, _CELL_FRAME[3])
            draw_cell(ax, highlight=highlight, peephole=peephole)
            _equations(ax, -2.9, -2.9, equations)
        else:
            fig, ax = _canvas(*_CELL_FRAME)
            draw_cell(ax, highlight=highlight, peephole=peephole)
            _equations(ax, _EQ_X, _EQ_Y, equations)
    return fig


# --- one public function per figure -------------------------------------------------------------
