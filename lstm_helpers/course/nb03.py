"""Notebook 03 (the forget gate): its exercises, their checkers and its figures.

Exercises: `forget_gate`, `memory_after` (what a constant gate keeps) and `forget_bias_for` (the logit).
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..plots import GRU_COLOR, LSTM_COLOR, RNN_COLOR, axes_or_new
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import (Case, CheckResult, Mistake, gate_variant, make_cases, register_hints, run_check, solution,
                       worked_example)

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
@worked_example  # shown solved in the notebook
def forget_gate(x, prev_h, W_f, U_f, b_f):
    """f_t = sigmoid(x_t W_f + h_{t-1} U_f + b_f), with W_f (D, H), U_f (H, H), b_f (H,)."""
    return sigmoid(x @ W_f + prev_h @ U_f + b_f)


@solution
def memory_after(f, k, c0):
    """What is left of a cell value c0 after k steps with a constant forget gate f (no writes): c0 * f^k."""
    return c0 * f ** k


@solution
def forget_bias_for(keep):
    """The forget bias b_f that makes sigmoid(b_f) = keep (inputs at zero): the logit, log(keep / (1 - keep))."""
    return np.log(keep / (1.0 - keep))

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "forget_gate": [
        "which of the inputs x_t and h_(t-1) does the gate read, and why must its output lie between 0 and 1?",
        "compute x @ W_f + prev_h @ U_f + b_f, then squash it with `sigmoid`."],
    "memory_after": [
        "write out C_1, C_2 and C_3 for a gate that keeps the same fraction every step and nothing is "
        "written. What is the pattern?",
        "each step keeps the fraction f of what was there; apply that k times to c0."],
    "forget_bias_for": [
        "the bias goes INTO the sigmoid: with the inputs at zero the gate is sigmoid(b). Which b gives the "
        "wanted fraction? You need the inverse of the sigmoid.",
        "invert keep = 1 / (1 + exp(-b)) for b, step by step: exp(-b) = ... , then take the log."],
})

MISTAKES = {
    "forget_gate": [
        Mistake("your forget gate uses tanh; it should squash to (0, 1) with a sigmoid, "
                "so that 0 means 'drop' and 1 means 'keep'.",
                gate_variant(np.tanh)),
        Mistake("you returned the pre-activation; the gate needs the sigmoid applied to it.",
                gate_variant(None)),
        Mistake("the bias b_f is missing: the gate is sigmoid(x W_f + h U_f + b_f).",
                gate_variant(sigmoid, bias=False)),
        Mistake("the previous hidden state h_{t-1} is missing: the gate reads both h_{t-1} and x_t.",
                gate_variant(sigmoid, prev_h=False)),
        Mistake("the sign is flipped: that is sigmoid(-a) = 1 - f_t, the fraction forgotten, not kept.",
                gate_variant(sigmoid, sign=-1.0)),
    ],
    "memory_after": [
        Mistake("you multiplied f by k, as if the steps added up. Each step keeps a fraction f of what "
                "the step before left: how much of c0 is left after 2 steps, and after 3?",
                lambda f, k, c0: c0 * f * k),
        Mistake("your answer does not depend on c0: it is the fraction kept, not the memory left. "
                "What is that fraction a fraction of?",
                lambda f, k, c0: f ** k),
        Mistake("you used 1 - f, the fraction forgotten per step. Which fraction does a forget gate of "
                "value f keep?",
                lambda f, k, c0: c0 * (1.0 - f) ** k),
        Mistake("one step too few: in your answer the gate acts k - 1 times. Work out k = 1 by hand: how "
                "often has the gate acted after one step?",
                lambda f, k, c0: c0 * f ** (k - 1)),
        Mistake("one step too many: in your answer the gate acts k + 1 times. Work out k = 0 by hand: "
                "what is left before any step has run?",
                lambda f, k, c0: c0 * f ** (k + 1)),
    ],
    "forget_bias_for": [
        Mistake("you returned the fraction itself, but the bias goes INTO the sigmoid. Is sigmoid(0.99) "
                "equal to 0.99? Which b makes sigmoid(b) equal to keep?",
                lambda keep: keep),
        Mistake("log(keep) undoes exp, not the sigmoid: sigmoid(log(0.99)) is not 0.99. Write "
                "keep = 1 / (1 + exp(-b)) and solve it for b one step at a time: what is exp(-b)?",
                lambda keep: np.log(keep)),
        Mistake("the sign is flipped: your b gives a gate that keeps 1 - keep, the fraction you wanted to "
                "forget. For keep above one half, must b be positive or negative?",
                lambda keep: np.log((1.0 - keep) / keep)),
        Mistake("that is sigmoid(keep), the forward direction. You know the gate's output; which input "
                "b gives it?",
                lambda keep: sigmoid(keep)),
    ],
}

# -------------------------------------------------------------------------------------------------
# Checkers

def _forget_gate_case(rng, N, D, H):
    return (rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(D, H)),
            rng.normal(size=(H, H)), rng.normal(size=(H,)))


def check_forget_gate(fn) -> CheckResult:
    """Exercise: f_t = sigmoid(x_t W_f + h_{t-1} U_f + b_f) for a batch."""
    cases = make_cases([(3, 4, 5), (2, 3, 2), (1, 1, 1)], 3, _forget_gate_case)
    return run_check("forget_gate", fn, forget_gate, cases, MISTAKES["forget_gate"], hint=HINTS["forget_gate"])


def _memory_case(rng, H, k):
    return (rng.uniform(0.5, 0.99, size=(H,)), k, rng.normal(scale=2.0, size=(H,)))


def check_memory_after(fn) -> CheckResult:
    """Exercise: what is left of c0 after k steps with a constant forget gate f: c0 * f**k."""
    cases = [Case(_memory_case(np.random.default_rng(22 + j), H, k)) for j, (H, k) in enumerate([(4, 7), (2, 1), (3, 0)])]
    return run_check("memory_after", fn, memory_after, cases, MISTAKES["memory_after"], hint=HINTS["memory_after"])


def check_forget_bias_for(fn) -> CheckResult:
    """Exercise: the bias b with sigmoid(b) = keep, i.e. the logit log(keep / (1 - keep))."""
    cases = [Case((np.array([0.99, 0.5, 0.9, 0.73]),)), Case((0.999,)), Case((np.array([0.2, 0.6]),))]
    return run_check("forget_bias_for", fn, forget_bias_for, cases, MISTAKES["forget_bias_for"],
                     hint=HINTS["forget_bias_for"])

# -------------------------------------------------------------------------------------------------
# Figures of this notebook only

def plot_memory_trace(c, f, *, resets=(), writes=(), ax=None, title="Memory of one cell over time"):
    """One unit's cell state C_t and forget gate f_t over time; reset steps shaded, write steps marked.

    ``c`` and ``f`` are 1-D arrays over time (e.g. ``cache['c'][0, :, 0]``); ``resets`` and ``writes``
    list the time steps of reset tokens and of written values.
    """
    ax = axes_or_new(ax, figsize=(9, 4))
    c, f = np.asarray(c, dtype=float), np.asarray(f, dtype=float)
    t = np.arange(len(c))
    for k, r in enumerate(resets):
        ax.axvspan(r - 0.5, r + 0.5, color="0.85", zorder=0, label="reset token" if k == 0 else None)
    ax.plot(t, f, color="0.45", ls="--", marker=".", ms=4, lw=1, label="forget gate $f_t$")
    ax.plot(t, c, color=LSTM_COLOR, marker="o", ms=4, lw=2, label="cell state $C_t$")
    if len(writes):
        w = np.asarray(writes)
        ax.scatter(w, c[w], s=90, facecolors="none", edgecolors=RNN_COLOR, lw=1.5, zorder=4,
                   label="value written")
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xlim(-0.7, len(c) - 0.3)
    ax.set_xlabel("time step t")
    ax.set_ylabel("value")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax


def plot_norms_by_forget_bias(norms: dict, *, direct: dict | None = None, ax=None, threshold=1e-3,
                              title=r"How far back the gradient along $C$ reaches"):
    """Semilog gradient norms against distance: thin lines per random model, a thick geometric mean.

    ``norms`` maps a legend label (e.g. 'forget bias 1') to an array (S, K) of S models' norms[k].
    ``direct`` (optional, same labels and shapes) adds the geometric mean of the direct-path norms,
    dashed. A dotted line marks ``threshold``. Returns the axes.
    """
    ax = axes_or_new(ax, figsize=(8, 4.2))
    colors = [RNN_COLOR, LSTM_COLOR, GRU_COLOR, "#9467bd"]
    for (label, arr), color in zip(norms.items(), colors):
        arr = np.asarray(arr, dtype=float)
        k = np.arange(arr.shape[1])
        for row in arr:
            ax.semilogy(k, row, color=color, lw=0.7, alpha=0.35)
        ax.semilogy(k, np.exp(np.log(arr).mean(axis=0)), color=color, lw=2.4, label=f"{label} (mean of {len(arr)})")
        if direct is not None and label in direct:
            d = np.asarray(direct[label], dtype=float)
            ax.semilogy(np.arange(d.shape[1]), np.exp(np.log(d).mean(axis=0)), color=color, lw=1.4, ls="--",
                        label=f"{label}, direct path only")
    ax.axhline(threshold, color="0.3", ls=":", lw=1.2, label=f"threshold {threshold:g}")
    ax.set_xlabel("distance k (time steps back from the last state)")
    ax.set_ylabel(r"$\|\partial C_T / \partial C_{T-k}\|_2$")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    return ax

