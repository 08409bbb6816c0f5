"""Notebook 06 (the output gate and one whole step): its exercises, their checkers and its step player figure.

Exercises: `output_gate_and_hidden` (o_t and h_t) and `lstm_cell_step` (one step from the gate functions).
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..numpy_lstm import lstm_step_forward
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import CheckResult, Mistake, make_cases, register_hints, run_check, solution

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
def output_gate_and_hidden(x, prev_h, next_c, W_o, U_o, b_o):
    """o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o) and h_t = o_t * tanh(C_t); returns (o, h)."""
    o = sigmoid(x @ W_o + prev_h @ U_o + b_o)
    h = o * np.tanh(next_c)  # the NEW cell state C_t, squashed to (-1, 1), then gated
    return o, h


@solution
def lstm_cell_step(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step assembled from the gate functions; Wx (D, 4H), Wh (H, 4H), b (4H,), order i, f, g, o.

    Returns (next_h, next_c): the first two outputs of `numpy_lstm.lstm_step_forward`.
    """
    from lstm_helpers.numpy_lstm import candidate, cell_update, forget_gate, hidden_state, input_gate, output_gate

    # each gate function takes the stacked (.., 4H) weights and picks its own block of H columns
    i = input_gate(x, prev_h, Wx, Wh, b)
    f = forget_gate(x, prev_h, Wx, Wh, b)
    g = candidate(x, prev_h, Wx, Wh, b)
    o = output_gate(x, prev_h, Wx, Wh, b)
    next_c = cell_update(prev_c, f, i, g)  # f * C_{t-1} + i * g
    next_h = hidden_state(o, next_c)       # o * tanh(C_t)
    return next_h, next_c

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "output_gate_and_hidden": "o = sigmoid(x @ W_o + prev_h @ U_o + b_o), then h = o * np.tanh(next_c); return o, h.",
    "lstm_cell_step": "call input_gate, forget_gate, candidate and output_gate with the stacked Wx, Wh, b "
                      "(each picks its own block), then next_c = cell_update(prev_c, f, i, g) and "
                      "next_h = hidden_state(o, next_c); return next_h, next_c.",
})


def _o_of(x, h, W, U, b):
    return sigmoid(x @ W + h @ U + b)


def _step_reference(x, h, c, W, U, b):
    next_h, next_c, _ = lstm_step_forward(x, h, c, W, U, b)
    return next_h, next_c


def _wrong_step(*, order="ifgo", g_act=np.tanh, swap_if=False, keep_old=True, h_from="new", h_tanh=True):
    """One LSTM step with one typical mistake, as a function of the learner's arguments (x, h, c, W, U, b)."""
    def step(x, h, c, W, U, b):
        a = dict(zip(order, np.split(x @ W + h @ U + b, 4, axis=-1)))  # the stacked blocks, read in `order`
        i, f, g, o = sigmoid(a["i"]), sigmoid(a["f"]), g_act(a["g"]), sigmoid(a["o"])
        if swap_if:
            i, f = f, i
        next_c = (f * c if keep_old else 0.0) + i * g
        shown = {"new": next_c, "old": c}[h_from]
        return o * (np.tanh(shown) if h_tanh else shown), next_c
    return step


MISTAKES = {
    "output_gate_and_hidden": [
        Mistake("h uses C_t without tanh: h_t = o_t * tanh(C_t); the cell state can grow beyond [-1, 1] "
                "and tanh brings it back into (-1, 1) before the gate scales it.",
                lambda x, h, c, W, U, b: (_o_of(x, h, W, U, b), _o_of(x, h, W, U, b) * c)),
        Mistake("your output gate o uses tanh instead of sigmoid; a gate must squash to (0, 1) "
                "(0 = show nothing, 1 = show everything).",
                lambda x, h, c, W, U, b: (np.tanh(x @ W + h @ U + b), np.tanh(x @ W + h @ U + b) * np.tanh(c))),
        Mistake("you returned the pre-activation as o; the gate needs the sigmoid applied to it.",
                lambda x, h, c, W, U, b: (x @ W + h @ U + b, (x @ W + h @ U + b) * np.tanh(c))),
        Mistake("h is tanh(C_t) without the gate: multiply it by o_t, h_t = o_t * tanh(C_t).",
                lambda x, h, c, W, U, b: (_o_of(x, h, W, U, b), np.tanh(c))),
        Mistake("you squashed after gating, tanh(o_t * C_t); the order is o_t * tanh(C_t): squash C_t first, "
                "then scale it by the gate.",
                lambda x, h, c, W, U, b: (_o_of(x, h, W, U, b), np.tanh(_o_of(x, h, W, U, b) * c))),
        Mistake("the previous hidden state h_{t-1} is missing from o: the gate reads both h_{t-1} and x_t.",
                lambda x, h, c, W, U, b: (sigmoid(x @ W + b), sigmoid(x @ W + b) * np.tanh(c))),
        Mistake("the bias b_o is missing: o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o).",
                lambda x, h, c, W, U, b: (sigmoid(x @ W + h @ U), sigmoid(x @ W + h @ U) * np.tanh(c))),
        Mistake("the two outputs are swapped: return (o, h), the gate first.",
                lambda x, h, c, W, U, b: (_o_of(x, h, W, U, b) * np.tanh(c), _o_of(x, h, W, U, b))),
    ],
    "lstm_cell_step": [
        Mistake("the forget and input gates are swapped: C_t = f_t * C_{t-1} + i_t * c~_t. The stacked "
                "blocks are i, f, g, o, so block 0 is the input gate and block 1 the forget gate.",
                _wrong_step(swap_if=True), example=_wrong_step(order="figo")),
        Mistake("you read the blocks in CS231n's order i, f, o, g; this series stacks them as PyTorch "
                "does, i, f, g, o, so block 2 is the candidate and block 3 the output gate.",
                _wrong_step(order="ifog")),
        Mistake("the candidate c~_t goes through a sigmoid; it uses tanh, so it can propose negative "
                "values, in (-1, 1).",
                _wrong_step(g_act=sigmoid)),
        Mistake("the previous cell state is missing: C_t = f_t * C_{t-1} + i_t * c~_t keeps part of the "
                "old memory; without f_t * C_{t-1} the cell forgets everything at every step.",
                _wrong_step(keep_old=False)),
        Mistake("h uses the old cell state C_{t-1}; it should show the new one, h_t = o_t * tanh(C_t).",
                _wrong_step(h_from="old")),
        Mistake("h uses C_t without tanh: h_t = o_t * tanh(C_t).",
                _wrong_step(h_tanh=False)),
        Mistake("the two outputs are swapped: return (next_h, next_c), the hidden state first.",
                lambda x, h, c, W, U, b: _step_reference(x, h, c, W, U, b)[::-1]),
    ],
}

# -------------------------------------------------------------------------------------------------
# Checkers

def _output_gate_case(rng, N, D, H):
    # next_c is spread beyond [-1, 1], as a real cell state can be, so a missing tanh shows
    return (rng.normal(size=(N, D)), rng.normal(size=(N, H)), 2.0 * rng.normal(size=(N, H)),
            rng.normal(size=(D, H)), rng.normal(size=(H, H)), rng.normal(size=(H,)))


def check_output_gate_and_hidden(fn) -> CheckResult:
    """Exercise: o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o) and h_t = o_t * tanh(C_t), returned as (o, h)."""
    cases = make_cases([(3, 4, 5), (2, 3, 2), (1, 1, 1)], 6, _output_gate_case)
    return run_check("output_gate_and_hidden", fn, output_gate_and_hidden, cases, MISTAKES["output_gate_and_hidden"],
                     hint=HINTS["output_gate_and_hidden"])


def _lstm_step_case(rng, N, D, H):
    return (rng.normal(size=(N, D)), rng.normal(size=(N, H)), 2.0 * rng.normal(size=(N, H)),
            rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), rng.normal(size=(4 * H,)))


def check_lstm_cell_step(fn) -> CheckResult:
    """Exercise: one LSTM step (next_h, next_c) from stacked weights, compared with `numpy_lstm.lstm_step_forward`."""
    cases = make_cases([(3, 4, 5), (2, 3, 2), (1, 1, 1)], 6, _lstm_step_case)
    return run_check("lstm_cell_step", fn, _step_reference, cases, MISTAKES["lstm_cell_step"],
                     hint=HINTS["lstm_cell_step"])

# -------------------------------------------------------------------------------------------------
# Figures of this notebook only

STEP_COLORS = {"i": "#2ca02c", "f": "#9467bd", "g": "#8c564b", "o": "#ff7f0e", "c": "#1f77b4", "h": "#d62728"}


def lit_parts(i, f, o, *, threshold=0.5):
    """Which parts of the cell diagram carry signal, from gate values: memory kept, written, shown.

    'state' when the forget gate keeps C_{t-1} (f > threshold), 'input' and 'update' when the input
    gate writes (i > threshold), 'output' when the output gate shows the cell (o > threshold).
    """
    parts = []
    if f > threshold:
        parts.append("state")
    if i > threshold:
        parts += ["input", "update"]
    if o > threshold:
        parts.append("output")
    return parts


def plot_lstm_step(cache, t, *, sample=0, unit=0, fig=None, inputs=None, inputs_label="input $x_t$",
                   events=None, title=None):
    """One time step of an LSTM run, for step-through views (notebook 06's player).

    Three panels: the cell diagram with the paths in use at step ``t`` lit (see `lit_parts`), the
    values of i_t, f_t, c~_t, o_t, C_t and h_t at step ``t`` as bars, and the whole run below
    (C_t and h_t, plus ``inputs`` (T,) if given) with step ``t`` marked. ``cache`` is the cache of
    `numpy_lstm.lstm_forward`; ``events`` maps a step to a short label ('write', 'read').
    Returns the three axes (cell, bars, timeline).
    """
    import matplotlib.pyplot as plt

    from ..tools.cell_drawing import CELL_H, CELL_W, draw_cell

    T = cache["h"].shape[1]
    if not isinstance(t, (int, np.integer)) or not 0 <= t < T:
        raise ValueError(f"t: expected an int step in [0, {T}), got {t!r}")
    events = dict(events or {})
    if fig is None:
        fig = plt.figure(figsize=(10, 6.2))
    grid = fig.add_gridspec(2, 2, width_ratios=(1.8, 1), height_ratios=(2.4, 1), hspace=0.3, wspace=0.1,
                            left=0.07, right=0.98, top=0.94, bottom=0.09)
    ax_cell = fig.add_subplot(grid[0, 0])
    ax_bar = fig.add_subplot(grid[0, 1])
    ax_time = fig.add_subplot(grid[1, :])
    val = {k: float(cache[k][sample, t, unit]) for k in ("i", "f", "g", "o", "c", "h")}

    draw_cell(ax_cell, highlight=lit_parts(val["i"], val["f"], val["o"]))
    ax_cell.set_xlim(-3.4, CELL_W + 2.9)
    ax_cell.set_ylim(-2.2, CELL_H + 2.3)
    ax_cell.set_aspect("equal")
    ax_cell.set_axis_off()
    what = f": {events[t]}" if t in events else ""
    ax_cell.set_title(title or f"step t = {t}{what}  (blue = paths in use)", fontsize=11)

    keys = ["i", "f", "g", "o", "c", "h"]
    names = ["$i_t$", "$f_t$", r"$\tilde c_t$", "$o_t$", "$C_t$", "$h_t$"]
    xs = np.arange(len(keys))
    heights = [val[k] for k in keys]
    ax_bar.bar(xs, heights, color=[STEP_COLORS[k] for k in keys], width=0.65)
    lim = max(1.0, float(np.abs(cache["c"][sample, :, unit]).max())) * 1.25
    for x, v in zip(xs, heights):
        ax_bar.text(x, v + (0.04 if v >= 0 else -0.04) * lim, f"{v:.2f}", ha="center",
                    va="bottom" if v >= 0 else "top", fontsize=9)
    ax_bar.axhline(0, color="0.3", lw=0.8)
    ax_bar.axvline(3.5, color="0.75", lw=0.8, ls=":")
    ax_bar.set_xticks(xs)
    ax_bar.set_xticklabels(names)
    ax_bar.set_ylim(-lim if np.min(cache["c"][sample, :, unit]) < 0 or np.min(heights) < 0 else -0.08 * lim, lim)
    ax_bar.set_title("gates | states at this step", fontsize=11)
    ax_bar.grid(True, axis="y", alpha=0.3)

    steps = np.arange(T)
    if inputs is not None:
        inputs = np.asarray(inputs, dtype=float)
        if inputs.shape != (T,):
            raise ValueError(f"inputs: expected shape ({T},), got {inputs.shape}")
        ax_time.plot(steps, inputs, color="0.6", marker=".", lw=1, label=inputs_label)
    for k, name in (("c", "cell state $C_t$"), ("h", "hidden state $h_t$")):
        series = cache[k][sample, :, unit]
        ax_time.plot(steps, series, color=STEP_COLORS[k], alpha=0.25, lw=1.5)
        ax_time.plot(steps[:t + 1], series[:t + 1], color=STEP_COLORS[k], marker="o", ms=3, lw=1.5, label=name)
    ax_time.axvline(t, color="0.2", lw=1.2, ls="--")
    for step, label in events.items():
        ax_time.annotate(label, (step, 1.0), xycoords=("data", "axes fraction"), xytext=(0, -3),
                         textcoords="offset points", ha="center", va="top", fontsize=9,
                         bbox=dict(boxstyle="round,pad=0.15", fc="0.9", ec="none"))
        ax_time.axvspan(step - 0.4, step + 0.4, color="0.9", zorder=0)
    ax_time.set_xlim(-0.5, T - 0.5)
    ax_time.set_xticks(steps)
    ax_time.set_xlabel("time step t")
    ax_time.set_ylabel("value")
    ax_time.set_ylim(top=ax_time.get_ylim()[1] + 0.25 * np.ptp(ax_time.get_ylim()))  # room for the labels
    ax_time.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, frameon=False,
                   borderaxespad=0.1)
    ax_time.grid(True, alpha=0.3)
    return ax_cell, ax_bar, ax_time

