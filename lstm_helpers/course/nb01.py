"""Notebook 01 (the plain RNN and its vanishing gradients): its exercises, their checkers, its figures.

Exercises: `rnn_step_backward` (one step's backward pass, written from scratch), `rnn_step_jacobian`
(one step of backpropagation through time, derived then measured) and `clip_by_norm`.
"""

from __future__ import annotations

import numpy as np

from ..plots import GRU_COLOR, LSTM_COLOR, RNN_COLOR, axes_or_new
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import Case, CheckResult, Mistake, make_cases, register_hints, run_check, solution

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
def rnn_step_backward(dnext_h, x, prev_h, Wx, Wh, next_h):
    """Backward pass of next_h = tanh(x Wx + prev_h Wh + b); returns dx, dprev_h, dWx, dWh, db."""
    da = dnext_h * (1.0 - next_h**2)  # through tanh, whose slope is 1 - tanh^2 = 1 - next_h^2
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)  # b was added to every row of the batch
    return dx, dprev_h, dWx, dWh, db


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
    "rnn_step_backward": [
        "the forward pass is two stages, an affine a = x Wx + prev_h Wh + b and a squash tanh(a). Go back "
        "through the squash first (what is its slope, written with the output you already have?), then "
        "through the affine part, one input at a time.",
        "call the gradient on the pre-activation da. Each of x, prev_h, Wx, Wh, b meets da through one "
        "matrix product or a sum; check every result's shape against its input's shape.",
        "for a product P = A @ B with upstream dP: dA = dP @ B.T and dB = A.T @ dP; b was added to each "
        "of the N rows, so its gradient adds up over the rows.",
    ],
    "rnn_step_jacobian": [
        "one step back multiplies by the derivative of tanh and by the recurrent weights. Which index of "
        "Wh connects h_(t-1)[j] to unit i, with the row-vector convention h @ Wh?",
        "entry [i, j] is (slope of tanh at unit i) * (d a_t[i] / d h_(t-1)[j]); write the slope with next_h.",
        "the slope 1 - next_h[i]**2 scales row i, so it sits on the left as a diagonal matrix.",
    ],
    "clip_by_norm": [
        "clipping must keep the direction of the gradient and only shrink it when it is too long. "
        "How do you measure the length of a whole array, and what do you do when it is short enough?",
        "the length is the L2 norm of all entries together (not per row, not the largest entry).",
        "when the norm is above max_norm, scale every entry by the same factor so the norm becomes max_norm.",
    ],
})


def _l2(g):
    return np.sqrt(np.sum(g * g))


def _rnn_backward(*, slope="tanh", dh_T=True, dWh_from="prev", db="sum", dWx_T=False):
    """rnn_step_backward with one typical slip, as a function of the learner's arguments."""
    def wrong(dh, x, ph, Wx, Wh, nh):
        da = dh * {"tanh": 1.0 - nh**2, "none": 1.0, "1-h": 1.0 - nh, "retanh": 1.0 - np.tanh(nh) ** 2}[slope]
        dWx = x.T @ da
        return (da @ Wx.T, da @ (Wh.T if dh_T else Wh), dWx.T if dWx_T else dWx,
                {"prev": ph, "next": nh}[dWh_from].T @ da, {"sum": da.sum(axis=0), "mean": da.mean(axis=0)}[db])
    return wrong


MISTAKES = {
    "rnn_step_backward": [
        Mistake("the tanh is skipped: your gradient goes straight from next_h to the affine part. What "
                "lies between them in the forward pass, and what does going back through it multiply by?",
                _rnn_backward(slope="none")),
        Mistake("you used 1 - next_h as the slope of tanh. Differentiate tanh(a) and write the result "
                "with its output next_h: is something squared?",
                _rnn_backward(slope="1-h")),
        Mistake("you applied tanh to next_h once more. What is next_h already, and so what do you "
                "square in the slope?",
                _rnn_backward(slope="retanh")),
        Mistake("dprev_h goes back through Wh as it is (with a square Wh the shape cannot warn you). The "
                "forward pass computes prev_h @ Wh: which index of Wh belongs to prev_h, and which to a?",
                _rnn_backward(dh_T=False)),
        Mistake("dWh uses next_h. Which vector did Wh multiply in the forward pass?",
                _rnn_backward(dWh_from="next")),
        Mistake("db is averaged over the batch. The bias was added to every row: how do the gradients "
                "of the rows combine on it?",
                _rnn_backward(db="mean")),
        Mistake("dWx is transposed: a gradient has the shape of what it is the gradient of. Which shape "
                "is that here?",
                _rnn_backward(dWx_T=True)),
    ],
    "rnn_step_jacobian": [
        Mistake("the tanh derivative is missing: you returned the weights alone. Each step back goes "
                "through tanh first: what does that do to row i?",
                lambda h, Wh: Wh.T),
        Mistake("you multiplied by h_t itself. What is the slope of tanh, written with its output h_t?",
                lambda h, Wh: np.diag(h) @ Wh.T),
        Mistake("you used 1 - h_t as the slope of tanh. Differentiate tanh(a) and write it with h_t: "
                "is something squared?",
                lambda h, Wh: np.diag(1 - h) @ Wh.T),
        Mistake("you applied tanh to next_h once more. What is next_h already, and so what do you "
                "square in the slope?",
                lambda h, Wh: np.diag(1 - np.tanh(h) ** 2) @ Wh.T),
        Mistake("you used Wh as it is. With row vectors, h_t = tanh(h_{t-1} Wh + ...): which entry of Wh "
                "connects unit j of h_{t-1} to unit i of h_t, and where must it sit in J[i, j]?",
                lambda h, Wh: np.diag(1 - h**2) @ Wh),
        Mistake("you returned J transposed: entry [i, j] must be d h_t[i] / d h_{t-1}[j], row i for the "
                "unit of h_t. Does one column of yours match the centred difference of moving h_{t-1}[j]?",
                lambda h, Wh: Wh @ np.diag(1 - h**2)),
        Mistake("the slopes scale the columns of your matrix. The slope of unit i of h_t belongs to "
                "row i: on which side must a diagonal matrix stand to scale rows?",
                lambda h, Wh: Wh.T @ np.diag(1 - h**2)),
    ],
    "clip_by_norm": [
        Mistake("you clipped each entry to [-max_norm, max_norm] (np.clip). That changes the direction "
                "of the gradient. How can you shorten the whole array without turning it?",
                lambda g, m: np.clip(g, -m, m)),
        Mistake("you rescaled a gradient whose norm was already below max_norm: a short gradient grew. "
                "Should clipping ever make a gradient longer?",
                lambda g, m: g * (m / _l2(g)),
                example=lambda g, m: g * (m / np.linalg.norm(g))),
        Mistake("your clipped gradient has norm 1. Which length should a gradient that was too long "
                "have after clipping?",
                lambda g, m: g / _l2(g) if _l2(g) > m else g),
        Mistake("you measured the size with the sum of absolute values (the L1 norm). Which norm is the "
                "length of a vector?",
                lambda g, m: g * (m / np.abs(g).sum()) if np.abs(g).sum() > m else g,
                example=lambda g, m: g * min(1.0, m / np.abs(g).sum())),
        Mistake("you measured the size with the largest absolute entry. Which norm is the length of the "
                "whole array?",
                lambda g, m: g * (m / np.abs(g).max()) if np.abs(g).max() > m else g),
        Mistake("you clipped each row by its own norm; that changes the direction of the whole gradient. "
                "How many norms, and how many scale factors, does one array need?",
                lambda g, m: _clip_rows(g, m)),
    ],
}


def _clip_rows(g, m):
    n = np.sqrt(np.sum(g * g, axis=-1, keepdims=True))
    return g * np.minimum(1.0, m / n)

# -------------------------------------------------------------------------------------------------
# Checkers

def _rnn_step_case(rng, N, D, H):
    x, ph = rng.normal(size=(N, D)), np.tanh(rng.normal(size=(N, H)))
    Wx, Wh, b = rng.normal(size=(D, H)), rng.normal(size=(H, H)), rng.normal(size=(H,))
    return (rng.normal(size=(N, H)), x, ph, Wx, Wh, np.tanh(x @ Wx + ph @ Wh + b))


def check_rnn_step_backward(fn) -> CheckResult:
    """Exercise: the backward pass of one tanh RNN step, against the package and centred differences."""
    from ..numpy_rnn import rnn_step_backward as package_backward

    def reference(dh, x, ph, Wx, Wh, nh):  # the package's pass, itself checked by centred differences in its tests
        return package_backward(dh, (x, ph, Wx, Wh, nh))

    cases = make_cases([(3, 4, 5), (2, 3, 3), (1, 2, 2)], 13, _rnn_step_case)
    result = run_check("rnn_step_backward", fn, reference, cases, MISTAKES["rnn_step_backward"],
                       hint=HINTS["rnn_step_backward"])
    if result.passed:
        err = _numerical_rnn_error(fn)
        result.message += f" Centred differences agree: largest relative error {'< 1e-7' if err < 1e-7 else f'{err:.1g}'}."
    return result


def _numerical_rnn_error(fn) -> float:
    """The largest relative error between the learner's gradients and centred differences on one small case."""
    from ..gradcheck import eval_numerical_gradient_array, rel_error

    rng = np.random.default_rng(5)
    x, ph = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    Wx, Wh, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=(4,))
    dh = rng.normal(size=(2, 4))
    fwd = lambda x, ph, Wx, Wh, b: np.tanh(x @ Wx + ph @ Wh + b)  # noqa: E731
    got = fn(dh.copy(), x.copy(), ph.copy(), Wx.copy(), Wh.copy(), fwd(x, ph, Wx, Wh, b))
    args = dict(x=x, ph=ph, Wx=Wx, Wh=Wh, b=b)
    errs = []
    for k, key in enumerate(args):
        num = eval_numerical_gradient_array(lambda v: fwd(**{**args, key: v}), args[key].copy(), dh)
        errs.append(rel_error(np.asarray(got[k]), num))
    return max(errs)


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

