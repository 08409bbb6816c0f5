"""Notebook 01 (the plain RNN and its vanishing gradients): its exercises, their checkers, its figures.

Exercises: `rnn_step_jacobian` (one step of backpropagation through time) and `clip_by_norm`.
"""

from __future__ import annotations

import numpy as np

from ..plots import GRU_COLOR, LSTM_COLOR, RNN_COLOR, axes_or_new
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import Case, CheckResult, Mistake, register_hints, run_check, solution

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
def rnn_step_jacobian(next_h, Wh):
    """dh_t/dh_{t-1} = diag(1 - h_t^2) Wh^T for one sequence: next_h (H,), Wh (H, H) -> (H, H).

    Entry [i, j] is d h_t[i] / d h_{t-1}[j]: h_t = tanh(h_{t-1} Wh + ...) with row vectors, so
    h_{t-1}[j] reaches unit i through Wh[j, i], then through the slope of tanh at unit i.
    """
    return np.diag(1.0 - next_h**2) @ Wh.T


@solution
def clip_by_norm(g, max_norm):
    """Return g rescaled so that its L2 norm is at most max_norm; the direction never changes."""
    norm = np.sqrt(np.sum(g * g))
    if norm > max_norm:
        return g * (max_norm / norm)
    return g

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "rnn_step_jacobian": "h_t = tanh(h_(t-1) @ Wh + ...). Two factors: the slope of tanh at unit i, "
                         "1 - next_h[i]**2, and d a_t[i] / d h_(t-1)[j] = Wh[j, i]; np.diag builds the first.",
    "clip_by_norm": "norm = np.sqrt(np.sum(g**2)); if norm > max_norm return g * (max_norm / norm), "
                    "else return g unchanged.",
})


def _l2(g):
    return np.sqrt(np.sum(g * g))


MISTAKES = {
    "rnn_step_jacobian": [
        Mistake("the tanh derivative is missing: you returned Wh^T alone. Each step back goes through "
                "tanh first, which multiplies row i by its slope 1 - h_t[i]^2.",
                lambda h, Wh: Wh.T),
        Mistake("you multiplied by h_t instead of the tanh slope 1 - h_t^2 (the derivative of tanh, "
                "written with its output h_t = tanh(a_t)).",
                lambda h, Wh: np.diag(h) @ Wh.T),
        Mistake("you used 1 - h_t, not 1 - h_t^2: the slope of tanh is 1 - tanh(a)^2, squared.",
                lambda h, Wh: np.diag(1 - h) @ Wh.T),
        Mistake("you applied tanh once more: next_h is already h_t = tanh(a_t), so the slope is "
                "1 - next_h**2, not 1 - tanh(next_h)**2.",
                lambda h, Wh: np.diag(1 - np.tanh(h) ** 2) @ Wh.T),
        Mistake("you used Wh where Wh^T belongs. With row vectors, h_t = tanh(h_{t-1} Wh + ...), so "
                "d h_t[i] / d h_{t-1}[j] = (1 - h_t[i]^2) Wh[j, i]: the transpose.",
                lambda h, Wh: np.diag(1 - h**2) @ Wh),
        Mistake("diag(1 - h_t^2) is on the wrong side: Wh^T diag(1 - h_t^2) scales the columns; the "
                "slope of unit i must scale row i, so it goes on the left.",
                lambda h, Wh: Wh.T @ np.diag(1 - h**2)),
    ],
    "clip_by_norm": [
        Mistake("you clipped each entry to [-max_norm, max_norm] (np.clip). That changes the direction "
                "of the gradient; rescale the whole array instead: g * (max_norm / ||g||).",
                lambda g, m: np.clip(g, -m, m)),
        Mistake("you rescaled a gradient whose norm was already below max_norm. Clipping only shrinks: "
                "when ||g|| <= max_norm, return g unchanged.",
                lambda g, m: g * (m / _l2(g)),
                example=lambda g, m: g * (m / np.linalg.norm(g))),
        Mistake("you divided by the norm but did not multiply by max_norm: a clipped gradient has norm "
                "max_norm, not 1.",
                lambda g, m: g / _l2(g) if _l2(g) > m else g),
        Mistake("you measured the size with the sum of absolute values (L1 norm); clipping uses the L2 "
                "norm, sqrt(sum(g**2)).",
                lambda g, m: g * (m / np.abs(g).sum()) if np.abs(g).sum() > m else g,
                example=lambda g, m: g * min(1.0, m / np.abs(g).sum())),
        Mistake("you measured the size with the largest absolute entry; clipping uses the L2 norm of the "
                "whole array, sqrt(sum(g**2)).",
                lambda g, m: g * (m / np.abs(g).max()) if np.abs(g).max() > m else g),
    ],
}

# -------------------------------------------------------------------------------------------------
# Checkers

def check_rnn_step_jacobian(fn) -> CheckResult:
    """Exercise: dh_t/dh_{t-1} = diag(1 - h_t^2) Wh^T for one sequence, next_h (H,), Wh (H, H)."""
    rng = np.random.default_rng(11)
    cases = [Case((np.tanh(rng.normal(size=H)), rng.normal(size=(H, H)))) for H in (5, 3, 2)]
    return run_check("rnn_step_jacobian", fn, rnn_step_jacobian, cases, MISTAKES["rnn_step_jacobian"],
                     hint=HINTS["rnn_step_jacobian"])


def check_clip_by_norm(fn) -> CheckResult:
    """Exercise: rescale g to L2 norm max_norm when its norm is larger; leave it unchanged otherwise."""
    rng = np.random.default_rng(12)
    big = 3.0 * rng.normal(size=(4, 3))  # norm about 10, entries beyond 2: every mistake shows
    small = 0.1 * rng.normal(size=(5,))  # norm about 0.2, far below max_norm
    cases = [Case((big, 2.0)), Case((small, 5.0)), Case((rng.normal(size=(2, 3, 2)), 0.5))]
    return run_check("clip_by_norm", fn, clip_by_norm, cases, MISTAKES["clip_by_norm"], hint=HINTS["clip_by_norm"])

# -------------------------------------------------------------------------------------------------
# Figures of this notebook only

def plot_clipping_cliff(w_grid, loss_grid, paths: dict, *, cap=None, axes=None,
                        title="Gradient descent meets a cliff in the loss"):
    """A 1-D loss landscape with gradient-descent paths (left) and the size of each update (right).

    ``paths`` maps a legend label to ``(ws, losses)``, the parameter and loss at every step; the
    first label is drawn in the RNN colour, the second in the LSTM colour. ``cap`` (optional) draws
    the largest update clipping allows, lr * max_norm. Returns the two axes.
    """
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [1.4, 1]})
    ax, ax2 = axes
    ax.plot(w_grid, loss_grid, color="0.35", lw=1.2, label="loss L(w)")
    for (label, (ws, losses)), color in zip(paths.items(), (RNN_COLOR, LSTM_COLOR, GRU_COLOR)):
        ws, losses = np.asarray(ws, dtype=float), np.asarray(losses, dtype=float)
        ax.plot(ws, losses, "-o", color=color, ms=4, lw=0.8, alpha=0.85, label=label)
        ax2.semilogy(np.arange(1, len(ws)), np.abs(np.diff(ws)), "-o", color=color, ms=3, label=label)
    ax.plot(*np.asarray(next(iter(paths.values())))[:, 0], "k*", ms=11, label="start", zorder=5)
    ax.set_xlabel("recurrent weight w")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    if cap is not None:
        ax2.axhline(cap, color="0.4", ls="--", lw=1, label=f"clipping cap lr * max_norm = {cap:g}")
    ax2.set_xlabel("step")
    ax2.set_ylabel("size of the update |Δw|")
    ax2.set_title("Update size per step")
    ax2.grid(True, which="major", alpha=0.3)
    ax2.legend(fontsize=8, loc="upper right")
    return axes


def plot_accuracy_vs_lag(lags, accuracy, *, chance, ax=None, label="tanh RNN", color=RNN_COLOR,
                         title="Recall accuracy against the lag"):
    """Test accuracy against lag: one dot per run (``accuracy`` is (n_lags, n_runs)), their mean, chance.

    The lag axis is logarithmic, so lags like 5, 10, 20, 40, 80 are evenly spaced.
    """
    ax = axes_or_new(ax)
    lags = np.asarray(lags, dtype=float)
    acc = np.asarray(accuracy, dtype=float).reshape(len(lags), -1)
    spread = np.linspace(-0.04, 0.04, acc.shape[1]) if acc.shape[1] > 1 else np.zeros(1)
    for j in range(acc.shape[1]):  # a small sideways offset per run, so equal dots do not hide each other
        ax.plot(lags * np.exp(spread[j]), acc[:, j], "o", color=color, alpha=0.45, ms=6,
                label="each run" if j == 0 else None)
    ax.plot(lags, acc.mean(axis=1), "-", color=color, lw=2, marker="s", ms=5, label=f"{label}: mean")
    ax.axhline(chance, color="0.3", ls="--", lw=1, label=f"chance = {chance:g}")
    ax.set_xscale("log")
    ax.set_xticks(lags)
    ax.set_xticklabels([f"{v:g}" for v in lags])
    ax.minorticks_off()
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("lag (steps between the symbol and the question)")
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, loc="center left")
    return ax

