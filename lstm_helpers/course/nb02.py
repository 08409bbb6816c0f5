"""Notebook 02 (the cell state): its exercises, their checkers and its one figure.

Exercises: `apply_gate` (a gate scales values), `carousel_gradient` (the gradient along the cell state)
and `counter_weights` (set an LSTM's weights by hand so that its cell state counts the A tokens).
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..plots import LSTM_COLOR, RNN_COLOR
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import (CheckResult, Mistake, lstm_on_sequences, make_cases, register_hints, run_behaviour_check,
                       run_check, solution, worked_example)

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
@worked_example  # shown solved in the notebook
def apply_gate(gate, values):
    """A gate at work: gate (N, H) in (0, 1) scales values (N, H) entry by entry (0 blocks, 1 passes)."""
    return gate * values


@solution
def carousel_gradient(f_values):
    """dC_T/dC_0 along the cell-state path: the product of the forget gates f_1 .. f_T, (T, H) -> (H,)."""
    return np.prod(f_values, axis=0)


@solution
def counter_weights():
    """Weights (Wx (2, 4), Wh (1, 4), b (4,)) of a one-unit LSTM whose C_t counts the A tokens seen so far.

    Inputs are one-hot: x = [1, 0] for A, [0, 1] for B, [0, 0] for any other token. Gates i, f, g, o.
    """
    Wx, Wh, b = np.zeros((2, 4)), np.zeros((1, 4)), np.zeros(4)
    Wx[0, 0], b[0] = 20.0, -10.0  # i: open (sigmoid(10) ~ 1) on A only, shut (sigmoid(-10) ~ 0) otherwise
    b[1] = 10.0                   # f: always keep the count
    b[2] = 10.0                   # g: always propose +1 (tanh(10) ~ 1), written only when i is open
    return Wx, Wh, b

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "counter_weights": [
        "C_t = f * C_(t-1) + i * g. For a counter, what must each of f, i and g be on an A token, and on "
        "any other token? Then: which weights make a sigmoid close to exactly 0 or 1?",
        "the input gate decides WHEN to add (only on A: its weight on the A input matters), the candidate "
        "decides WHAT to add (+1 every time), the forget gate must keep everything, always.",
        "sigmoid(10) and tanh(10) are 1 to four decimals, sigmoid(-10) is 0: a bias of -10 with a weight "
        "of +20 on the A input gives 0 everywhere and 1 on A. Wh can stay zero.",
    ],
    "apply_gate": "each value is scaled by its own gate entry, so that 0 blocks it and 1 lets it "
                  "through unchanged; which elementwise operation does that?",
    "carousel_gradient": [
        "along the cell state, C_t = f_t * C_(t-1) + (a write that does not depend on C_(t-1)). What does "
        "one step back multiply the gradient by, and how do T such steps combine?",
        "each step back multiplies by that step's forget gate: combine the T rows of f_values over the "
        "time axis (axis 0), one number per unit.",
    ],
})

def _counter_weights(*, i_on=("A",), f_bias=10.0, f_on_a=0.0, g_bias=10.0):
    """A counter with one typical slip, for the tests (see `counter_weights`)."""
    def weights():
        Wx, Wh, b = np.zeros((2, 4)), np.zeros((1, 4)), np.zeros(4)
        if i_on == "all":
            b[0] = 10.0
        else:
            b[0] = -10.0
            for tok in i_on:
                Wx["AB".index(tok), 0] = 20.0
        b[1], Wx[0, 1], b[2] = f_bias, f_on_a, g_bias
        return Wx, Wh, b
    return weights


def _close(a, b, tol=0.15):
    return bool(np.all(np.abs(a - b) < tol))


MISTAKES = {
    "counter_weights": [
        Mistake("your cell counts every token, not only the A's: the input gate is open all the time. "
                "Which input tells the gate that the token is an A, and what keeps the gate shut otherwise?",
                _counter_weights(i_on="all"), symptom=lambda r: _close(r["out"], r["seen"])),
        Mistake("your cell counts the B's as well as the A's: the input gate opens on B too. Which input "
                "should be the only one to open it?",
                _counter_weights(i_on=("A", "B")), symptom=lambda r: _close(r["out"], r["n_a"] + r["n_b"])),
        Mistake("your cell counts down: each A adds -1. Which of the gates and the candidate decides WHAT "
                "is added, and what sign must it have?",
                _counter_weights(g_bias=-10.0), symptom=lambda r: _close(r["out"], -r["n_a"])),
        Mistake("your count starts again at 1 on every A: the forget gate closes on A and drops the old "
                "count. On which tokens should the old count be kept?",
                _counter_weights(f_on_a=-20.0), symptom=lambda r: _close(r["out"], (r["n_a"] > 0) * 1.0)),
        Mistake("each A adds less than 1: the candidate is not saturated. How large must the input of a "
                "tanh be for its output to be 1 to three decimals?",
                _counter_weights(g_bias=1.0),
                symptom=lambda r: _close(r["out"], r["n_a"] * (r["out"].sum() / r["n_a"].sum()))
                and 0.2 < r["out"].sum() / r["n_a"].sum() < 0.95),
        Mistake("your count leaks away between the A's: the forget gate is below 1, so every step drops a "
                "share of the count. How close to 1 must f be to keep a count for 40 steps, and how large "
                "must a sigmoid's input be for that?",
                _counter_weights(f_bias=2.0),
                symptom=lambda r: np.all(r["out"] < r["n_a"] + 0.1) and np.mean(r["steps_without_a"]) < -0.01),
    ],
    "apply_gate": [
        Mistake("you added the gate to the values; a gate multiplies (pointwise x), so that 0 blocks a value "
                "and 1 lets it through unchanged.",
                lambda gate, v: gate + v),
        Mistake("you used 1 - gate: that is the fraction blocked, not the fraction let through. "
                "A gate value of 1 must pass the value unchanged.",
                lambda gate, v: (1.0 - gate) * v),
        Mistake("you applied a sigmoid to the gate again; `gate` already is a sigmoid output in (0, 1), "
                "so multiply it with the values as it is.",
                lambda gate, v: sigmoid(gate) * v),
        Mistake("you returned the values unchanged: the gate must scale them (multiply gate * values).",
                lambda gate, v: v),
        Mistake("you returned the gate itself: the output is the gate times the values.",
                lambda gate, v: gate),
    ],
    "carousel_gradient": [
        Mistake("you added the forget gates. One step back multiplies the gradient by that step's f_t: "
                "what do two such steps in a row do to it?",
                lambda f: f.sum(axis=0)),
        Mistake("the first step is missing: which gate stands between C_0 and C_1, and which row of "
                "f_values holds it?",
                lambda f: np.prod(f[1:], axis=0)),
        Mistake("the last step is missing: which gate stands between C_{T-1} and C_T, and which row of "
                "f_values holds it?",
                lambda f: np.prod(f[:-1], axis=0)),
        Mistake("you raised the last gate to the power T, as if every step had the same gate. The gates "
                "differ from step to step: which gate acts at each step back?",
                lambda f: f[-1] ** f.shape[0]),
        Mistake("you averaged the gates. Follow the gradient back two steps by hand: does it pick up the "
                "mean of the two gates, or something else?",
                lambda f: f.mean(axis=0)),
    ],
}

# -------------------------------------------------------------------------------------------------
# Checkers

def _apply_gate_case(rng, N, H):
    """gate (N, H) in (0, 1) and values (N, H) of both signs."""
    return (sigmoid(rng.normal(scale=2.0, size=(N, H))), rng.normal(scale=3.0, size=(N, H)))


def check_apply_gate(fn) -> CheckResult:
    """Exercise: a gate scales a vector entry by entry, out = gate * values."""
    cases = make_cases([(3, 5), (2, 2), (1, 1)], 20, _apply_gate_case)
    return run_check("apply_gate", fn, apply_gate, cases, MISTAKES["apply_gate"], hint=HINTS["apply_gate"])


def _carousel_case(rng, T, H):
    """forget-gate values f_1 .. f_T, (T, H), in (0.5, 1)."""
    return (rng.uniform(0.5, 1.0, size=(T, H)),)


def check_carousel_gradient(fn) -> CheckResult:
    """Exercise: dC_T/dC_0 along the cell state (input gate closed) is the product f_1 * ... * f_T."""
    cases = make_cases([(6, 3), (1, 2), (12, 1)], 21, _carousel_case)
    return run_check("carousel_gradient", fn, carousel_gradient, cases, MISTAKES["carousel_gradient"],
                     hint=HINTS["carousel_gradient"])

def counter_sequences(N=24, T=40, seed=2024):
    """Held-out test sequences for `counter_weights`: one-hot x (N, T, 2) with A, B and other tokens mixed."""
    rng = np.random.default_rng(seed)
    tokens = rng.choice(3, size=(N, T), p=[0.3, 0.3, 0.4])  # 0 = A, 1 = B, 2 = other
    x = np.zeros((N, T, 2))
    x[..., 0], x[..., 1] = tokens == 0, tokens == 1
    return x


def _counter_record(weights):
    x = counter_sequences()
    c = lstm_on_sequences(weights, x)["c"][..., 0]
    n_a, n_b = np.cumsum(x[..., 0], axis=1), np.cumsum(x[..., 1], axis=1)
    dc = np.diff(c, axis=1)
    return {"out": c, "n_a": n_a, "n_b": n_b, "seen": np.cumsum(np.ones_like(n_a), axis=1),
            "steps_without_a": dc[x[:, 1:, 0] == 0]}


def check_counter_weights(fn) -> CheckResult:
    """Exercise: hand-set weights whose cell state C_t equals the number of A tokens so far (within 0.1)."""
    return run_behaviour_check("counter_weights", fn, _counter_record, lambda r: r["n_a"],
                               MISTAKES["counter_weights"], hint=HINTS["counter_weights"],
                               what="the cell state C_t")

# -------------------------------------------------------------------------------------------------
# Figures of this notebook only

def plot_gate_at_work(pre_activation, values, *, axes=None):
    """A gate as numbers: sigmoid(pre_activation) on its curve (left), and values, gate and their product (right).

    ``pre_activation`` and ``values`` are 1-D arrays of the same length. Returns the two axes.
    """

    a = np.asarray(pre_activation, dtype=float)
    v = np.asarray(values, dtype=float)
    if a.ndim != 1 or a.shape != v.shape:
        raise ValueError(f"values: expected shape {a.shape} like pre_activation, got {v.shape}")
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1, 1.4]})
    ax_curve, ax_bars = axes
    gate = sigmoid(a)
    grid = np.linspace(min(-8.0, a.min()), max(8.0, a.max()), 400)
    ax_curve.plot(grid, sigmoid(grid), color=LSTM_COLOR, label=r"gate $\sigma(a)$")
    ax_curve.plot(grid, np.tanh(grid), color="0.6", ls="--", label=r"$\tanh(a)$, for contrast")
    ax_curve.scatter(a, gate, color="black", zorder=3, s=20, label="the gate values used")
    ax_curve.axhline(0, color="0.3", lw=0.8)
    ax_curve.axhline(1, color="0.3", lw=0.8, ls=":")
    ax_curve.set_xlabel("pre-activation $a$")
    ax_curve.set_ylabel("gate value")
    ax_curve.set_title(r"$\sigma$ squashes any $a$ into (0, 1)")
    ax_curve.grid(True, alpha=0.3)
    ax_curve.legend(fontsize=8, loc="upper left")

    k = np.arange(len(a))
    w = 0.27
    ax_bars.bar(k - w, v, w, color="0.65", label="values (in)")
    ax_bars.bar(k, gate, w, color=LSTM_COLOR, label="gate")
    ax_bars.bar(k + w, gate * v, w, color=RNN_COLOR, label="gate * values (out)")
    ax_bars.axhline(0, color="0.3", lw=0.8)
    ax_bars.set_xticks(k)
    ax_bars.set_xticklabels([f"a={x:g}" for x in a], fontsize=8)
    ax_bars.set_ylabel("value")
    ax_bars.set_title("pointwise product: gate 0 blocks, gate 1 passes")
    ax_bars.grid(True, axis="y", alpha=0.3)
    ax_bars.legend(fontsize=8, loc="best")
    return axes

