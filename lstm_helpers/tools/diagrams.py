"""Every diagram of the series (LSTM cells, gates, gradient paths), drawn with matplotlib.

Run ``python -m lstm_helpers.tools.diagrams img`` to regenerate them all as byte-stable PNG and SVG twins.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from lstm_helpers.utils import atomic_write

from .cell_drawing import (CELL_H, CELL_W, DPI, FS_EQ, FS_LAYER, FS_NOTE, FS_SYMBOL, LW, LW_STATE, OP_R, TONES,
                           Y_C, Y_H, _box, _canvas, _cell_figure, _equations, _layer, _line, _op, _style, _text,
                           draw_cell)  # noqa: F401  (draw_cell: tests and notebook 06 reach it from here too)


def draw_lstm_model() -> Figure:
    """Overview: three steps of an LSTM chain (t-1, t, t+1); the middle cell is drawn in full."""
    gap, wbox = 2.8, 4.0
    with _style():
        fig, ax = _canvas(-gap - wbox - 1.6, CELL_W + gap + wbox + 1.6, -2.5, CELL_H + 2.4)
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
    return _cell_figure("state", [
        r"the cell state $C$",
        "# runs straight through the chain;",
        "# only a pointwise \u00d7 and + touch it,",
        "# so information can flow along",
        "# it unchanged",
    ])


def draw_state2() -> Figure:
    """A gate: a sigmoid layer whose output multiplies a signal pointwise."""
    with _style():
        fig, ax = _canvas(-2.2, 22.4, -2.4, 5.6)
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


CELL_EQUATIONS = {
    "forget": [
        r"$f_t = \sigma(W_f\cdot[h_{t-1}, x_t] + b_f)$",
        "# a number in (0, 1) for each entry",
        r"# of $C_{t-1}$: 1 = keep it, 0 = forget it",
    ],
    "input": [
        r"$i_t = \sigma(W_i\cdot[h_{t-1}, x_t] + b_i)$",
        "# how much to write, in (0, 1)",
        r"$\tilde{c}_t = \tanh(W_c\cdot[h_{t-1}, x_t] + b_c)$",
        "# what to write, in (-1, 1)",
    ],
    "update": [
        r"$C_t = f_t * C_{t-1} + i_t * \tilde{c}_t$",
        "# keep part of the old state,",
        "# add part of the new candidate",
    ],
    "output": [
        r"$o_t = \sigma(W_o\cdot[h_{t-1}, x_t] + b_o)$",
        r"$h_t = o_t * \tanh(C_t)$",
        "# which parts of the squashed cell",
        "# state to show as the output",
    ],
    "peephole": [
        r"$f_t = \sigma(W_f\cdot[h_{t-1}, x_t] + p_f \odot C_{t-1} + b_f)$",
        r"$i_t = \sigma(W_i\cdot[h_{t-1}, x_t] + p_i \odot C_{t-1} + b_i)$",
        r"$o_t = \sigma(W_o\cdot[h_{t-1}, x_t] + p_o \odot C_t + b_o)$",
        r"# peepholes (dashed): the gates also read the cell state, through",
        r"# diagonal weights $p$; $f_t$ and $i_t$ see $C_{t-1}$, $o_t$ sees the new $C_t$",
    ],
}
"""The equations (and their one-line glosses) drawn beside each part of the cell, by part."""


def draw_forget() -> Figure:
    """The forget gate: how much of each entry of C_{t-1} to keep."""
    return _cell_figure("forget", CELL_EQUATIONS["forget"])


def draw_input() -> Figure:
    """The input gate i_t and the candidate c~_t: what to write into the cell state."""
    return _cell_figure("input", CELL_EQUATIONS["input"])


def draw_update() -> Figure:
    """The cell-state update: forget part of the old state, add the gated candidate."""
    return _cell_figure("update", CELL_EQUATIONS["update"])


def draw_output() -> Figure:
    """The output gate: h_t is a gated, squashed copy of the cell state."""
    return _cell_figure("output", CELL_EQUATIONS["output"])


def draw_lstm_peephole() -> Figure:
    """The peephole variant: the cell state is an extra input of all three sigmoid gates."""
    return _cell_figure("peephole", CELL_EQUATIONS["peephole"], peephole=True, below=True)


_DASH = (0, (2.6, 1.6))


def _chain_boxes(ax, xs, y, w, h, text):
    for x in xs:
        _box(ax, x - w / 2, y - h / 2, w, h, edge=TONES["ink"][0], fill=TONES["ink"][1], lw=LW,
             pad=0.25, z=4)
        if text:
            _text(ax, x, y, text, "ink", fs=FS_LAYER)


def draw_rnn_unrolled() -> Figure:
    """A tanh RNN, rolled and unrolled, with the backward path through the Jacobians in red."""
    with _style():
        fig, ax = _canvas(-1.4, 27.0, -2.3, 8.0)
        yc, w, h = 3.0, 2.0, 1.6
        # rolled: one box whose output loops back into itself
        x_r = 1.4
        _chain_boxes(ax, [x_r], yc, w, h, "tanh")
        _line(ax, [(x_r, 0.6), (x_r, yc - h / 2)], "ink")
        _line(ax, [(x_r, yc + h / 2), (x_r, 5.4)], "ink")
        _text(ax, x_r, 0.45, r"$x_t$", va="top")
        _text(ax, x_r, 5.55, r"$h_t$", va="bottom")
        right, straight, rad = x_r + w / 2, 0.5, 0.45
        ang = np.linspace(math.pi / 2, -math.pi / 2, 60)
        loop = np.vstack([[right, yc + rad],
                          np.c_[right + straight + rad * np.cos(ang), yc + rad * np.sin(ang)],
                          [right, yc - rad]])
        _line(ax, loop, "ink", z=5)
        _text(ax, 4.3, yc, "=", fs=24)

        # unrolled
        xs = [7.6, 11.4, 15.2, 21.4]
        names = ["1", "2", "3", "T"]
        yf, yb = yc + 0.3, yc - 0.35
        _text(ax, 5.3, yf, r"$h_0$", ha="center")
        _line(ax, [(5.8, yf), (xs[0] - w / 2, yf)], "ink")
        _chain_boxes(ax, xs, yc, w, h, "tanh")
        x_dots = (xs[2] + xs[3]) / 2
        _text(ax, x_dots, yc, r"$\cdots$", fs=20)
        hops = [(xs[0] + w / 2, xs[1] - w / 2), (xs[1] + w / 2, xs[2] - w / 2),
                (xs[2] + w / 2, x_dots - 0.75), (x_dots + 0.75, xs[3] - w / 2)]
        for a, b in hops:
            _line(ax, [(a, yf), (b, yf)], "ink")
            _line(ax, [(b, yb), (a, yb)], "grad", ls=_DASH)
        for x, n in zip(xs, names):
            _line(ax, [(x, 0.6), (x, yc - h / 2)], "ink")
            _line(ax, [(x, yc + h / 2), (x, 5.4)], "ink")
            _text(ax, x, 0.45, rf"$x_{n}$", va="top")
            _text(ax, x, 5.55, rf"$h_{n}$", va="bottom")
        # the loss gradient enters at the last step and flows back
        _line(ax, [(xs[3] + w / 2 + 1.6, yb), (xs[3] + w / 2, yb)], "grad", ls=_DASH)
        _text(ax, xs[3] + w / 2 + 1.75, yb, r"$\partial L/\partial h_T$", "grad", ha="left")
        # one Jacobian label, tied to one backward hop
        x_lab = (xs[1] + xs[2]) / 2
        ax.plot([x_lab, x_lab], [yb - 0.15, -1.0], color=TONES["grad"][0], lw=1.0, zorder=2)
        _text(ax, x_lab, -1.15,
              r"each step back: $\partial h_t/\partial h_{t-1} = \mathrm{diag}(1-h_t^2)\,W_h^\top$",
              "grad", va="top")
        _text(ax, -1.0, 7.6, r"$h_t = \tanh(h_{t-1}W_h + x_tW_x + b)$", "ink", fs=FS_EQ,
              ha="left", va="top")
        # legend
        _line(ax, [(16.0, 7.3), (17.4, 7.3)], "ink")
        _text(ax, 17.6, 7.3, "forward", "ink", fs=FS_NOTE, ha="left")
        _line(ax, [(21.8, 7.3), (20.4, 7.3)], "grad", ls=_DASH)
        _text(ax, 22.0, 7.3, "gradient", "grad", fs=FS_NOTE, ha="left")
    return fig


def _chain_gaps(xs, w, x_start, x_end, dots=0.75):
    """Segments joining the boxes centred at xs (width w); the gap before the last box holds dots."""
    x_dots = (xs[-2] + xs[-1]) / 2
    segs = [(x_start, xs[0] - w / 2)]
    segs += [(xs[k] + w / 2, xs[k + 1] - w / 2) for k in range(len(xs) - 2)]
    segs += [(xs[-2] + w / 2, x_dots - dots), (x_dots + dots, xs[-1] - w / 2), (xs[-1] + w / 2, x_end)]
    return segs, x_dots


def _backward_hops(ax, xs, mids, y, labels, *, lw=LW, fade=False):
    """Red dashed arrows from each gap centre to the previous one, one label above each box."""
    # mids: gap centres [b_0, b_1, ..., b_{n-2}, b_{n-1}', b_n] with the dots gap split in two
    n = len(xs)
    for k in range(n):
        a, b = (mids[k + 1], mids[k]) if k < n - 1 else (mids[k + 2], mids[k + 1])
        alpha = (0.4 + 0.6 * (k + 1) / n) if fade else 1.0
        _line(ax, [(a, y), (b, y)], "grad", ls=_DASH, lw=lw * alpha if fade else lw, alpha=alpha)
        _text(ax, xs[k], y + 0.25, labels[k], "grad", fs=FS_SYMBOL, va="bottom")
    # through the dots: no arrowhead, it is the same path continuing
    alpha = (0.4 + 0.6 * (n - 1) / n) if fade else 1.0
    _line(ax, [(mids[n], y), (mids[n - 1], y)], "grad", ls=_DASH, head=False,
          lw=lw * alpha if fade else lw, alpha=alpha)


def draw_cell_state_highway() -> Figure:
    """Backward paths compared: along the LSTM cell state (x f_t per step) and through a tanh RNN."""
    with _style():
        fig, ax = _canvas(-1.4, 27.4, -7.3, 8.6)
        w = 3.6
        xs = [2.8, 8.4, 14.0, 21.2]
        names = ["1", "2", "3", "T"]
        x_start, x_end = -0.6, xs[-1] + w / 2 + 1.4

        # --- LSTM panel: cells whose top line is the cell state
        yb0, hc = 0.6, 3.6
        yC, yH = yb0 + hc - 0.75, yb0 + 0.7
        _text(ax, -1.0, 8.2, "LSTM: the cell state is a highway for the gradient "
              "(the constant error carousel)", "ink", fs=FS_EQ, ha="left", va="top")
        _text(ax, -1.0, 7.1, r"along this path each step back multiplies it by "
              r"$\partial C_t/\partial C_{t-1} = \mathrm{diag}(f_t)$: no weight matrix, no squashing",
              "note", fs=FS_NOTE, ha="left", va="top")
        xm, xa = -0.6, 0.7   # where the x and the + sit, relative to a cell centre
        for x, n in zip(xs, names):
            _box(ax, x - w / 2, yb0, w, hc)
            _op(ax, x + xm, yC, r"$\times$", True)
            _op(ax, x + xa, yC, "+", "mute")
            _line(ax, [(x + xm, yb0 + 1.35), (x + xm, yC - OP_R)], True)
            _text(ax, x + xm - 0.15, yb0 + 1.1, rf"$f_{n}$", "hl", fs=FS_SYMBOL, ha="right")
            _line(ax, [(x + xa, yb0 + 1.35), (x + xa, yC - OP_R)], "mute")
            # the C line inside the cell, broken by the two operations
            _line(ax, [(x - w / 2, yC), (x + xm - OP_R, yC)], True, lw=LW_STATE, head=False)
            _line(ax, [(x + xm + OP_R, yC), (x + xa - OP_R, yC)], True, lw=LW_STATE, head=False)
            _line(ax, [(x + xa + OP_R, yC), (x + w / 2, yC)], True, lw=LW_STATE, head=False)
        segs, x_dots = _chain_gaps(xs, w, x_start, x_end)
        for k, (a, b) in enumerate(segs):
            _line(ax, [(a, yC), (b, yC)], True, lw=LW_STATE, head=(k == len(segs) - 1))
            _line(ax, [(a, yH), (b, yH)], "mute", head=(k == len(segs) - 1))
        _text(ax, x_dots, yC, r"$\cdots$", "hl", fs=20)
        _text(ax, x_dots, yH, r"$\cdots$", "mute", fs=20)
        mids = [(a + b) / 2 for a, b in segs]
        for x, s in zip(mids, ["0", "1", "2", "3", "{T-1}", "T"]):
            _text(ax, x, yC - 0.35, rf"$C_{s}$", "hl", fs=FS_SYMBOL, va="top")
        _text(ax, mids[-1], yH - 0.3, r"$h_T$", "mute", fs=FS_SYMBOL, va="top")
        yg = yb0 + hc + 0.5
        _backward_hops(ax, xs, mids, yg, [rf"$\times\, f_{n}$" for n in names])
        _line(ax, [(x_end + 0.1, yg), (mids[-1], yg)], "grad", ls=_DASH, head=False)
        _text(ax, x_end + 0.2, yg, r"$\partial L/\partial C_T$", "grad", ha="left")

        # --- RNN panel: the same chain through tanh
        yr = -5.4
        _text(ax, -1.0, -0.9, r"plain RNN: the gradient passes through tanh and $W_h$ at every step",
              "ink", fs=FS_EQ, ha="left", va="top")
        _text(ax, -1.0, -2.0, r"each step back multiplies it by $J_t = \mathrm{diag}(1-h_t^2)\,W_h^\top$:"
              " the product vanishes (or explodes)", "note", fs=FS_NOTE, ha="left", va="top")
        bw, bh = 2.2, 1.6
        _chain_boxes(ax, xs, yr, bw, bh, "tanh")
        _text(ax, x_dots, yr, r"$\cdots$", "ink", fs=20)
        segs, _ = _chain_gaps(xs, bw, x_start, x_end)
        for a, b in segs:
            _line(ax, [(a, yr), (b, yr)], "ink")
        mids = [(a + b) / 2 for a, b in segs]
        for x, s in zip(mids, ["0", "1", "2", "3", "{T-1}", "T"]):
            _text(ax, x, yr - 0.3, rf"$h_{s}$", "ink", fs=FS_SYMBOL, va="top")
        ygr = yr + bh / 2 + 0.5
        # strokes fade to the left: the typical case, a shrinking gradient
        _backward_hops(ax, xs, mids, ygr, [rf"$\times\, J_{n}$" for n in names], fade=True)
        _line(ax, [(x_end + 0.1, ygr), (mids[-1], ygr)], "grad", ls=_DASH, head=False)
        _text(ax, x_end + 0.2, ygr, r"$\partial L/\partial h_T$", "grad", ha="left")
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
    for folder in (out, *out.parents):
        if folder.exists():
            if not folder.is_dir():
                raise ValueError(f"out_dir: expected a folder (existing or new), got {str(out)!r}, "
                                 f"but {str(folder)!r} is a file")
            break
    return out


def save_figure(name: str, out_dir="img") -> list[Path]:
    """Draw the figure ``name`` (a key of ``FIGURES``) and write ``name.png`` and ``name.svg``.

    Output is byte-stable: no dates or version strings in the files, fixed SVG ids, fixed dpi.
    Each file is written atomically. Returns the two paths.
    """
    if not isinstance(name, str) or name not in FIGURES:
        raise ValueError(f"name: expected one of {sorted(FIGURES)}, got {name!r}")
    out = _check_out_dir(out_dir)
    fig = FIGURES[name]()
    paths = []
    with _style():
        for fmt, meta in [("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})]:
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
    elif not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"names: expected a list of figure names from {sorted(FIGURES)}, got {names!r}")
    bad = [n for n in names if n not in FIGURES]
    if bad:
        raise ValueError(f"names: expected figure names from {sorted(FIGURES)}, got unknown {bad!r}")
    paths: list[Path] = []
    for name in names:
        paths.extend(save_figure(name, out))
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_helpers.tools.diagrams",
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
