"""Notebook 02 (the cell state): its exercises, their checkers and its one figure.

Exercises: `apply_gate` (a gate scales values) and `carousel_gradient` (the gradient along the cell state).
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..plots import LSTM_COLOR, RNN_COLOR
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import CheckResult, Mistake, make_cases, register_hints, run_check, solution

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
def apply_gate(gate, values):
    """A gate at work: gate (N, H) in (0, 1) scales values (N, H) entry by entry (0 blocks, 1 passes)."""
    return gate * values


@solution
def carousel_gradient(f_values):
    """dC_T/dC_0 along the cell-state path: the product of the forget gates f_1 .. f_T, (T, H) -> (H,)."""
    return np.prod(f_values, axis=0)

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "apply_gate": "each value is scaled by its own gate entry, so that 0 blocks it and 1 lets it "
                  "through unchanged; which elementwise operation does that?",
    "carousel_gradient": "each step back multiplies by that step's forget gate: combine the T rows "
                         "of f_values over the time axis (axis 0), one number per unit.",
})

MISTAKES = {
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
        Mistake("you added the forget gates; each step back multiplies the gradient by f_t, "
                "so the gradient over T steps is their product.",
                lambda f: f.sum(axis=0)),
        Mistake("the first step is missing: the product must include f_1, the gate between C_0 and C_1 "
                "(f_values[0]).",
                lambda f: np.prod(f[1:], axis=0)),
        Mistake("the last step is missing: the product must include f_T, the gate between C_{T-1} and C_T "
                "(f_values[-1]).",
                lambda f: np.prod(f[:-1], axis=0)),
        Mistake("you raised the last gate to the power T; the gates differ from step to step, "
                "so multiply all of them.",
                lambda f: f[-1] ** f.shape[0]),
        Mistake("you averaged the gates; the gradient is their product over time, not their mean.",
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

