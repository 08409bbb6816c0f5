"""Notebook 06 (the output gate and one whole step): its exercises, their checkers and its step player figure.

Exercises: `output_gate_and_hidden` (o_t and h_t), `lstm_cell_step` (one step from the gate functions) and
`latch_weights` (set an LSTM's weights by hand: store a value on A, clear it on B, show it on C).
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..numpy_lstm import lstm_step_forward
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import (CheckResult, Mistake, lstm_on_sequences, make_cases, register_hints, run_behaviour_check,
                       run_check, solution, worked_example)

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
@worked_example  # shown solved in the notebook
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


@solution
def latch_weights():
    """Weights (Wx (4, 4), Wh (1, 4), b (4,)) of a one-unit LSTM that latches a value.

    Input x_t = [A, B, C, v]: three token flags and a value v in [-0.5, 0.5]. On A the cell stores v
    (replacing what it held), on B it clears, on C it shows what it holds as h_t; h_t is 0 otherwise.
    """
    Wx, Wh, b = np.zeros((4, 4)), np.zeros((1, 4)), np.zeros(4)
    Wx[0, 0], b[0] = 20.0, -10.0                  # i: write on A only
    Wx[0, 1], Wx[1, 1], b[1] = -20.0, -20.0, 10.0  # f: keep, except on A (replace) and B (clear)
    Wx[3, 2] = 1.0                                 # g: propose tanh(v), close to v for |v| <= 0.5
    Wx[2, 3], b[3] = 20.0, -10.0                  # o: show on C only
    return Wx, Wh, b

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "latch_weights": [
        "go through the four tokens (A, B, C, and any other) and write down, for each, what i, f and o "
        "must be (0 or 1) and what g must be. Then make each gate a sigmoid of a big weight on the right flag.",
        "i opens on A only; f is 1 except on A (so the new value replaces the old) and on B (clear); "
        "o opens on C only; g reads the value input v. A sigmoid is 0 or 1 to four decimals at -10 or +10.",
        "a gate that opens on one flag: weight +20 on that flag, bias -10. A gate that closes on flags: "
        "bias +10, weight -20 on each of them. h = o * tanh(C) = tanh(tanh(v)), within 0.1 of v for |v| <= 0.5.",
    ],
    "output_gate_and_hidden": [
        "the output gate is a gate like the others; then ask what h_t shows: which cell state (old or "
        "new), squashed how, and scaled by what?",
        "o = sigmoid(x @ W_o + prev_h @ U_o + b_o), then h = o * np.tanh(next_c); return o, h.",
    ],
    "lstm_cell_step": [
        "you already have a function for every gate and for the two updates: in which order must they run, "
        "and which values does each need?",
        "the four gates come first and do not depend on each other: each reads x, prev_h and the whole "
        "stacked Wx, Wh, b. Which of the two updates can run next, and which must wait for it?",
        "the cell update needs the old cell state and three of the gates; the hidden state needs the "
        "remaining gate and the NEW cell state. Read the signatures of `cell_update` and `hidden_state` "
        "(show_source) for the order of their arguments.",
        "call input_gate, forget_gate, candidate and output_gate with the stacked Wx, Wh, b "
        "(each picks its own block), then next_c = cell_update(prev_c, f, i, g) and "
        "next_h = hidden_state(o, next_c); return next_h, next_c."],
})


def _o_of(x, h, W, U, b):
    return sigmoid(x @ W + h @ U + b)


def _step_reference(x, h, c, W, U, b):
    next_h, next_c, _ = lstm_step_forward(x, h, c, W, U, b)
    return next_h, next_c


def _wrong_step(*, order="ifgo", g_act=np.tanh, swap_if=False, keep_old=True, h_from="new", h_tanh=True,
                squash_c=False):
    """One LSTM step with one typical mistake, as a function of the learner's arguments (x, h, c, W, U, b)."""
    def step(x, h, c, W, U, b):
        a = dict(zip(order, np.split(x @ W + h @ U + b, 4, axis=-1)))  # the stacked blocks, read in `order`
        i, f, g, o = sigmoid(a["i"]), sigmoid(a["f"]), g_act(a["g"]), sigmoid(a["o"])
        if swap_if:
            i, f = f, i
        next_c = (f * c if keep_old else 0.0) + i * g
        if squash_c:
            next_c = np.tanh(next_c)
        shown = {"new": next_c, "old": c, "prev_h": h}[h_from]
        return o * (np.tanh(shown) if h_tanh else shown), next_c
    return step


def _latch(*, o_bias=-10.0, f_on_b=-20.0, f_on_a=-20.0, i_bias=-10.0, f_bias=10.0, g_w=1.0):
    """`latch_weights` with one typical slip, for the tests."""
    def weights():
        Wx, Wh, b = latch_weights()
        b[3], Wx[1, 1], Wx[0, 1], b[0], b[1], Wx[3, 2] = o_bias, f_on_b, f_on_a, i_bias, f_bias, g_w
        return Wx, Wh, b
    return weights


def _near(a, b, mask, tol=0.12):
    return bool(mask.any() and np.all(np.abs(a - b)[mask] < tol))


MISTAKES = {
    "latch_weights": [
        Mistake("h shows the stored value at every step; only C should show it. Which gate decides when "
                "the cell is shown, and on which flag should it open?",
                _latch(o_bias=10.0), symptom=lambda r: _near(r["out"], r["held"], r["holding"] & ~r["is_c"])),
        Mistake("B does not clear: after a B your cell still shows the old value on C. Which gate can "
                "drop what the cell holds, and does it read the B flag?",
                _latch(f_on_b=0.0), symptom=lambda r: _near(r["out"], r["held_no_clear"], r["cleared_c"])),
        Mistake("the cell stores every value, not only the one on A: the input gate is open on all tokens. "
                "What should keep it shut unless the A flag is on?",
                _latch(i_bias=10.0, f_bias=-10.0), symptom=lambda r: _near(r["out"], r["v_now"], r["is_c"])),
        Mistake("on A your cell adds the new value to the old one instead of replacing it. What must "
                "happen to the old value at the moment a new one is written?",
                _latch(f_on_a=0.0), symptom=lambda r: _near(r["out"], r["held_added"], r["is_c"] & r["readded"])),
        Mistake("the stored value fades: your forget gate is below 1 between tokens, so every step drops a "
                "share of it. How large must a sigmoid's input be for the gate to keep the value to four "
                "decimals?",
                _latch(f_bias=2.0),
                symptom=lambda r: np.all(np.abs(r["out"][r["is_c"]]) <= np.abs(r["want"][r["is_c"]]) + 0.02)
                and np.all((r["out"] * r["want"])[r["is_c"]] >= -1e-3)
                and np.mean(np.abs(r["out"] - r["want"])[r["is_c"] & r["holding"]]) > 0.05),
        Mistake("h on C has the opposite sign of the stored value. Which weight carries v into the "
                "candidate g, and what sign does it need?",
                _latch(g_w=-1.0), symptom=lambda r: _near(r["out"], -r["want"], r["is_c"])),
    ],
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
        Mistake("the forget and input gates are swapped. Which gate scales the old cell state, which the "
                "candidate, and which block of the stacked weights holds each?",
                _wrong_step(swap_if=True), example=_wrong_step(order="figo")),
        Mistake("you read the blocks in CS231n's order i, f, o, g. In which order does this series (and "
                "PyTorch) stack them? The gate functions pick their own block for you.",
                _wrong_step(order="ifog")),
        Mistake("the candidate c~_t goes through a sigmoid, so it can never propose a negative value. "
                "Which squash does the candidate use?",
                _wrong_step(g_act=sigmoid)),
        Mistake("the previous cell state is missing, so your cell forgets everything at every step. "
                "Which part of the update keeps the old memory?",
                _wrong_step(keep_old=False)),
        Mistake("h shows the old cell state C_(t-1). Which cell state does the hidden state of step t "
                "show?",
                _wrong_step(h_from="old")),
        Mistake("h uses C_t without squashing it. The cell state can leave [-1, 1]: what brings it back "
                "before the output gate scales it?",
                _wrong_step(h_tanh=False)),
        Mistake("your h shows the previous hidden state. What is the hidden state a view of?",
                _wrong_step(h_from="prev_h")),
        Mistake("you applied tanh to the new cell state itself, so C_t can never leave (-1, 1) and a count "
                "or a gradient along it is squashed at every step. Which of C_t and h_t goes through tanh?",
                _wrong_step(squash_c=True)),
        Mistake("the two outputs are swapped. In which order does `lstm_step_forward` return them?",
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

def latch_sequences(N=24, T=30, seed=606):
    """Held-out test sequences for `latch_weights`: x (N, T, 4) = [A, B, C flags, value], and the tokens (N, T)."""
    rng = np.random.default_rng(seed)
    tokens = rng.choice(4, size=(N, T), p=[0.2, 0.12, 0.28, 0.4])  # 0 = A, 1 = B, 2 = C, 3 = other
    x = np.zeros((N, T, 4))
    for k in range(3):
        x[..., k] = tokens == k
    x[..., 3] = rng.uniform(-0.5, 0.5, size=(N, T))
    return x, tokens


def _latch_record(weights):
    x, tokens = latch_sequences()
    h = lstm_on_sequences(weights, x)["h"][..., 0]
    N, T = tokens.shape
    held, no_clear, added = np.zeros((N, T)), np.zeros((N, T)), np.zeros((N, T))
    holding, readded = np.zeros((N, T), bool), np.zeros((N, T), bool)
    for n in range(N):
        v = nc = ad = 0.0
        has = twice = False
        for t in range(T):
            tok, val = tokens[n, t], x[n, t, 3]
            if tok == 0:
                twice = has and v != 0.0
                v, nc, ad, has = val, val, ad + np.tanh(val), True
            elif tok == 1:
                v, ad, has, twice = 0.0, 0.0, False, False
            held[n, t], no_clear[n, t], added[n, t], holding[n, t], readded[n, t] = v, nc, ad, has, twice
    is_c = tokens == 2
    return {"out": h, "want": np.where(is_c, held, 0.0), "held": np.tanh(np.tanh(held)), "is_c": is_c,
            "holding": holding, "held_no_clear": no_clear, "cleared_c": is_c & ~holding & (no_clear != 0),
            "v_now": np.tanh(np.tanh(x[..., 3])), "held_added": np.tanh(added), "readded": readded}


def check_latch_weights(fn) -> CheckResult:
    """Exercise: hand-set weights that store v on A, clear on B, show on C (h within 0.1 of the target)."""
    return run_behaviour_check("latch_weights", fn, _latch_record, lambda r: r["want"], MISTAKES["latch_weights"],
                               hint=HINTS["latch_weights"], what="h_t")

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

