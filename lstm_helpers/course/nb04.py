"""Notebook 04 (the input gate and the candidate): its exercises, their checkers and its figure.

Exercises: `input_gate` and `candidate_state`.
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..plots import LSTM_COLOR, axes_or_new
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import CheckResult, Mistake, gate_variant, make_cases, register_hints, run_check, solution

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
def input_gate(x, prev_h, W_i, U_i, b_i):
    """i_t = sigmoid(x_t W_i + h_{t-1} U_i + b_i), with W_i (D, H), U_i (H, H), b_i (H,)."""
    return sigmoid(x @ W_i + prev_h @ U_i + b_i)


@solution
def candidate_state(x, prev_h, W_c, U_c, b_c):
    """c~_t = tanh(x_t W_c + h_{t-1} U_c + b_c), with W_c (D, H), U_c (H, H), b_c (H,)."""
    return np.tanh(x @ W_c + prev_h @ U_c + b_c)

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "input_gate": "compute x @ W_i + prev_h @ U_i + b_i, then squash it with `sigmoid`.",
    "candidate_state": "compute x @ W_c + prev_h @ U_c + b_c, then squash it with `np.tanh`.",
})

MISTAKES = {
    "input_gate": [
        Mistake("your input gate uses tanh, the candidate's squashing; the gate must be a sigmoid in (0, 1): "
                "it says how much of the candidate to write, from 0 (nothing) to 1 (all of it).",
                gate_variant(np.tanh)),
        Mistake("you returned the pre-activation; the gate needs the sigmoid applied to it.",
                gate_variant(None)),
        Mistake("the previous hidden state h_{t-1} is missing: the gate reads both h_{t-1} and x_t.",
                gate_variant(sigmoid, prev_h=False)),
        Mistake("the bias b_i is missing: the gate is sigmoid(x W_i + h U_i + b_i).",
                gate_variant(sigmoid, bias=False)),
        Mistake("the sign is flipped: that is sigmoid(-a) = 1 - i_t, the fraction NOT written.",
                gate_variant(sigmoid, sign=-1.0)),
    ],
    "candidate_state": [
        Mistake("your candidate uses a sigmoid, so the cell could only ever grow: it should be tanh, in (-1, 1), "
                "so that the write i_t * c~_t can move the cell down as well as up.",
                gate_variant(sigmoid)),
        Mistake("you returned the pre-activation; the candidate needs tanh applied to it, to stay in (-1, 1).",
                gate_variant(None)),
        Mistake("the bias b_c is missing: the candidate is tanh(x W_c + h U_c + b_c).",
                gate_variant(np.tanh, bias=False)),
        Mistake("the previous hidden state h_{t-1} is missing: the candidate reads both h_{t-1} and x_t.",
                gate_variant(np.tanh, prev_h=False)),
        Mistake("you multiplied by a sigmoid gate; the candidate is only the proposal, tanh(...). "
                "The input gate i_t multiplies it later, in the cell update.",
                lambda x, h, W, U, b: sigmoid(x @ W + h @ U + b) * np.tanh(x @ W + h @ U + b)),
    ],
}

# -------------------------------------------------------------------------------------------------
# Checkers

def _gate_case(rng, N, D, H):
    """x (N, D), prev_h (N, H), W (D, H), U (H, H), b (H,): the inputs of one gate."""
    return (rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(D, H)),
            rng.normal(size=(H, H)), rng.normal(size=(H,)))


def check_input_gate(fn) -> CheckResult:
    """Exercise: i_t = sigmoid(x_t W_i + h_{t-1} U_i + b_i) for a batch."""
    cases = make_cases([(3, 4, 5), (2, 3, 2), (1, 1, 1)], 4, _gate_case)
    return run_check("input_gate", fn, input_gate, cases, MISTAKES["input_gate"], hint=HINTS["input_gate"])


def check_candidate_state(fn) -> CheckResult:
    """Exercise: c~_t = tanh(x_t W_c + h_{t-1} U_c + b_c) for a batch."""
    cases = make_cases([(3, 4, 5), (2, 3, 2), (1, 1, 1)], 5, _gate_case)
    return run_check("candidate_state", fn, candidate_state, cases, MISTAKES["candidate_state"],
                     hint=HINTS["candidate_state"])

# -------------------------------------------------------------------------------------------------
# Figures of this notebook only

def plot_memory_writes(x, cache, *, sample=0, unit=0, ax=None, title="A cell that writes only when told to",
                       show_forget=False):
    """The value channel x[..., 0], the write flag x[..., 1] (shaded), i_t and C_t of one unit over time.

    ``x`` (N, T, D) is the input given to `numpy_lstm.lstm_forward` and ``cache`` its cache;
    ``show_forget`` adds the forget gate f_t.
    """
    ax = axes_or_new(ax, figsize=(8, 4))
    value, write = x[sample, :, 0], x[sample, :, 1]
    T = len(value)
    t = np.arange(T)
    for k, step in enumerate(np.flatnonzero(write > 0.5)):
        ax.axvspan(step - 0.5, step + 0.5, color="#ffd54f", alpha=0.5, lw=0,
                   label="write flag on" if k == 0 else None)
    ax.plot(t, value, "o", color="0.55", ms=5, label="value $x_t[0]$")
    ax.step(t, cache["i"][sample, :, unit], where="mid", color="#ff7f0e", ls="--", lw=1.5,
            label="input gate $i_t$")
    if show_forget:
        ax.step(t, cache["f"][sample, :, unit], where="mid", color="#2ca02c", ls="--", lw=1.5,
                label="forget gate $f_t$")
    ax.plot(t, cache["c"][sample, :, unit], "-", marker="s", ms=4, color=LSTM_COLOR, lw=2,
            label="cell state $C_t$")
    ax.axhline(0.0, color="0.3", lw=0.6)
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_xlabel("time step t")
    ax.set_ylabel("value")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=5 if show_forget else 4,
              frameon=False)
    return ax

