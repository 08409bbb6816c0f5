"""Notebook 04 (the input gate and the candidate): its exercises, their checkers and its figure.

Worked examples: `input_gate` and `candidate_state` (the one-line formulas). Exercises: `write_backward`
(the gradients that reach the input gate's and the candidate's pre-activations through the write
i_t * c~_t) and `running_max_weights` (hand-set weights whose input gate writes only a new maximum).
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..plots import LSTM_COLOR, axes_or_new
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import (CheckResult, Mistake, gate_variant, lstm_on_sequences, make_cases, register_hints,
                       run_behaviour_check, run_check, solution, worked_example)

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
@worked_example  # shown solved in the notebook
def input_gate(x, prev_h, W_i, U_i, b_i):
    """i_t = sigmoid(x_t W_i + h_{t-1} U_i + b_i), with W_i (D, H), U_i (H, H), b_i (H,)."""
    return sigmoid(x @ W_i + prev_h @ U_i + b_i)


@solution
@worked_example  # shown solved in the notebook
def candidate_state(x, prev_h, W_c, U_c, b_c):
    """c~_t = tanh(x_t W_c + h_{t-1} U_c + b_c), with W_c (D, H), U_c (H, H), b_c (H,)."""
    return np.tanh(x @ W_c + prev_h @ U_c + b_c)


@solution
def write_backward(dnext_c, i, g):
    """Given dL/dC_t and the write i * g (i = sigmoid(a_i), g = tanh(a_g)), return (da_i, da_g), each (N, H)."""
    da_i = dnext_c * g * i * (1.0 - i)    # C_t = ... + i * g, then through the sigmoid
    da_g = dnext_c * i * (1.0 - g**2)     # ... then through the tanh
    return da_i, da_g


@solution
def running_max_weights():
    """Weights (Wx (1, 4), Wh (1, 4), b (4,)) of a one-unit LSTM whose h_t is the largest x seen so far.

    Inputs x_t are values in [0, 0.5]. The input gate compares x_t with h_{t-1} (the maximum so far).
    """
    Wx, Wh, b = np.zeros((1, 4)), np.zeros((1, 4)), np.zeros(4)
    Wx[0, 0], Wh[0, 0] = 60.0, -60.0    # i: open when x_t > h_{t-1}, through the recurrent weight
    Wx[0, 1], Wh[0, 1] = -60.0, 60.0    # f: the opposite, so a new maximum replaces the old one
    Wx[0, 2] = 1.2                      # g: propose tanh(1.2 x_t); then h = tanh(tanh(1.2 x)) is within 0.04 of x
    b[3] = 10.0                         # o: always show
    return Wx, Wh, b

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "running_max_weights": [
        "the cell must write x_t only when x_t is larger than what it holds. Which input tells the gates "
        "what the cell holds at step t? (Look at the list of things a gate reads.)",
        "h_(t-1) is the maximum so far when o is always open, so a gate that computes K * (x_t - h_(t-1)) "
        "opens exactly on a new maximum; that needs a weight in Wh as well as in Wx.",
        "i = sigmoid(K x - K h), f = sigmoid(-K x + K h) with K around 50, g = tanh(1.2 x) (h = tanh(C) "
        "squashes once more), o open (bias 10).",
    ],
    "write_backward": [
        "two steps back for each: from C_t to the value i (or g) that multiplies in the write, then from "
        "that value to its pre-activation through its squash. Which squash does each use, and what is "
        "its slope written with its output?",
        "dC_t/di = g and dC_t/dg = i; the slope of the sigmoid is i * (1 - i), of tanh 1 - g**2.",
    ],
    "input_gate": [
        "the input gate decides how much to write, from nothing to all: which range must it have, and "
        "which inputs does it read?",
        "compute x @ W_i + prev_h @ U_i + b_i, then squash it with `sigmoid`.",
    ],
    "candidate_state": [
        "the candidate is a proposed new value that must be able to move the cell down as well as up: "
        "which squash allows that?",
        "compute x @ W_c + prev_h @ U_c + b_c, then squash it with `np.tanh`.",
    ],
})

def _write(i_slope="sigmoid", g_slope="tanh", other=True, swap=False):
    def wrong(d, i, g):
        si = {"sigmoid": i * (1 - i), "tanh": 1 - i**2, "none": 1.0}[i_slope]
        sg = {"sigmoid": g * (1 - g), "tanh": 1 - g**2, "1-g": 1 - g, "none": 1.0}[g_slope]
        out = (d * (g if other else 1.0) * si, d * (i if other else 1.0) * sg)
        return out[::-1] if swap else out
    return wrong


def _max_w(*, K=60.0, recurrent=True, f_follows=True, o_bias=10.0, sign=1.0, g_weight=1.2):
    """A running-max design with one typical slip, for the tests (see `running_max_weights`)."""
    def weights():
        Wx, Wh, b = np.zeros((1, 4)), np.zeros((1, 4)), np.zeros(4)
        Wx[0, 0], Wh[0, 0] = sign * K, -sign * K * recurrent
        if f_follows:
            Wx[0, 1], Wh[0, 1] = -sign * K, sign * K * recurrent
        else:
            b[1] = 10.0
        Wx[0, 2], b[3] = g_weight, o_bias
        return Wx, Wh, b
    return weights


MISTAKES = {
    "running_max_weights": [
        Mistake("your cell shows the latest value, not the largest: the input gate does not look at what "
                "is stored. Which of the gate's inputs holds the maximum so far, and does your gate read it?",
                _max_w(recurrent=False), symptom=lambda r: np.mean(np.abs(r["out"] - r["latest"])) < 0.05),
        Mistake("your cell never writes: the input gate opens only when x_t is below h_(t-1), and no value "
                "is below the starting 0. Which way round must the comparison go?",
                _max_w(sign=-1.0), symptom=lambda r: np.all(np.abs(r["c"]) < 0.05)),
        Mistake("the new maximum is added on top of the old one. When the input gate writes a new value, "
                "what must happen to the value the cell held, and which gate decides that?",
                _max_w(f_follows=False), symptom=lambda r: np.mean(r["out"] > r["want"] + 0.1) > 0.3
                and np.mean(r["f"][r["i"] > 0.9] > 0.5) > 0.5),
        Mistake("h_t stays near 0 although the cell holds values: the output gate is shut. What does the "
                "next step's input gate see through h_(t-1) then?",
                _max_w(o_bias=-10.0), symptom=lambda r: np.all(np.abs(r["out"]) < 0.05) and np.abs(r["c"]).max() > 0.1),
        Mistake("the comparison is too soft: your input gate is half open (between 0.1 and 0.9) at many "
                "steps, so values close to the maximum are partly mixed in. How large must a gate's weights "
                "be for its sigmoid to go from shut to open between two values only 0.05 apart?",
                _max_w(K=3.0), symptom=lambda r: np.mean((r["i"] > 0.1) & (r["i"] < 0.9)) > 0.35),
        Mistake("your gates switch sharply, but h_t comes out below the maximum it should show, even right "
                "after a write. Count the squashes between x_t and h_t: the candidate's tanh, then tanh(C_t) "
                "(and an output gate below 1 scales it down too). What must the candidate propose so that "
                "h_t ends up at x_t?",
                _max_w(g_weight=1.0), symptom=lambda r: np.mean(r["out"] < r["want"]) > 0.8
                and np.median(r["out"] / np.maximum(r["want"], 1e-9)) < 0.95),
    ],
    "write_backward": [
        Mistake("the squashes are skipped: you returned the gradients on i and g themselves, but the "
                "exercise asks for their pre-activations a_i and a_g. What does one more step back, through "
                "each squash, multiply by?",
                _write("none", "none")),
        Mistake("the slopes are swapped: you took each squash's slope for the other value. Which of i and "
                "g comes out of a sigmoid, and which out of a tanh?",
                _write("tanh", "sigmoid")),
        Mistake("da_g uses 1 - g as the slope of tanh. Differentiate tanh and write the result with its "
                "output g: is something squared?",
                _write(g_slope="1-g")),
        Mistake("the other factor of the product is missing: C_t contains the product i * g. When i "
                "changes a little, what is that change multiplied by on its way into C_t (and for g)?",
                _write(other=False)),
        Mistake("the two outputs are swapped. In which order does the exercise ask for them?",
                _write(swap=True)),
        Mistake("da_g uses the sigmoid's slope, but the candidate g comes out of a tanh. What is the slope "
                "of tanh, written with its output g?",
                _write(g_slope="sigmoid")),
    ],
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
        Mistake("U_i is transposed: with row vectors the recurrent term is prev_h @ U_i, where U_i[j, k] "
                "connects unit j of h_(t-1) to unit k of the gate.",
                lambda x, h, W, U, b: sigmoid(x @ W + h @ U.T + b)),
        Mistake("the bias is added outside the sigmoid; it belongs inside, sigmoid(x W_i + h U_i + b_i), "
                "where it shifts the gate's opening point (outside, the gate can leave (0, 1)).",
                lambda x, h, W, U, b: sigmoid(x @ W + h @ U) + b),
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


def _write_case(rng, N, H):
    return rng.normal(size=(N, H)), sigmoid(rng.normal(size=(N, H))), np.tanh(rng.normal(size=(N, H)))


def check_write_backward(fn) -> CheckResult:
    """Exercise: (da_i, da_g) from dL/dC_t through the write i * g and the two squashes."""
    cases = make_cases([(3, 5), (2, 2), (1, 1)], 41, _write_case)
    return run_check("write_backward", fn, write_backward, cases, MISTAKES["write_backward"],
                     hint=HINTS["write_backward"])


def running_max_sequences(N=24, T=30, seed=404):
    """Held-out test sequences for `running_max_weights`: values in [0, 0.5], x (N, T, 1)."""
    return np.random.default_rng(seed).uniform(0.0, 0.5, size=(N, T, 1))


def _max_record(weights):
    x = running_max_sequences()
    states = lstm_on_sequences(weights, x)
    v = x[..., 0]
    return {"out": states["h"][..., 0], "c": states["c"][..., 0], "i": states["i"][..., 0], "f": states["f"][..., 0],
            "want": np.maximum.accumulate(v, axis=1), "latest": v}


def check_running_max_weights(fn) -> CheckResult:
    """Exercise: hand-set weights whose h_t is the running maximum of x (within 0.1) on unseen sequences."""
    return run_behaviour_check("running_max_weights", fn, _max_record, lambda r: r["want"],
                               MISTAKES["running_max_weights"], hint=HINTS["running_max_weights"], what="h_t")


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

