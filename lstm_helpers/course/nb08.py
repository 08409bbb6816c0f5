"""Notebook 08 (RNN against LSTM at long range): its exercises, their checkers and its figures.

Exercises: `mean_predictor_mse` (the baseline of the adding problem) and `count_parameters` (per layer kind).
"""

from __future__ import annotations

import numpy as np

from ..plots import GRU_COLOR, LSTM_COLOR, RNN_COLOR, axes_or_new
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import Case, CheckResult, Mistake, register_hints, run_check, solution

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
def mean_predictor_mse(n_marked=2):
    """MSE of always answering E[sum], when the target is the sum of n_marked independent U(0, 1) numbers."""
    # the best constant is the mean n/2, and its MSE is the variance of the sum; variances of independent
    # numbers add, and Var(u) = E[u^2] - E[u]^2 = 1/3 - 1/4 = 1/12
    return n_marked / 12


@solution
def count_parameters(kind, hidden_size, input_size):
    """Trainable numbers in one layer of PyTorch's nn.RNN, nn.GRU or nn.LSTM ('rnn', 'gru', 'lstm')."""
    blocks = {"rnn": 1, "gru": 3, "lstm": 4}[kind]  # the LSTM's i, f, g, o; the GRU's r, z, n
    # per block: weight_ih (H, D), weight_hh (H, H), bias_ih (H,) and bias_hh (H,)
    return blocks * hidden_size * (input_size + hidden_size + 2)

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "mean_predictor_mse": "the best constant is the mean of the sum, and its MSE is the variance of the sum; "
                          "what is the variance of one U(0, 1) number, and how do variances of independent "
                          "numbers combine?",
    "count_parameters": "each gate block has weight_ih (H x D), weight_hh (H x H) and two bias vectors of H; "
                        "count the blocks of each kind.",
})

BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}  # weight blocks per layer kind


def _with_blocks(**changed):
    table = {**BLOCKS, **changed}
    return lambda kind, H, D: table[kind] * H * (D + H + 2)


MISTAKES = {
    "mean_predictor_mse": [
        Mistake("that is the variance of ONE U(0, 1) number, 1/12. The target is a sum of n_marked "
                "independent numbers, and variances of independent numbers add.",
                lambda n: 1 / 12),
        Mistake("that is a standard deviation. The MSE of predicting the mean is the mean SQUARED error, "
                "the variance itself: drop the square root.",
                lambda n: np.sqrt(n / 12)),
        Mistake("that is E[S^2], the error of always predicting 0. The best constant is the mean "
                "E[S] = n_marked / 2, and its MSE is Var(S) = E[S^2] - E[S]^2.",
                lambda n: n / 12 + n**2 / 4),
        Mistake("n_marked * 1/3 uses E[u^2] = 1/3 where the variance is needed: "
                "Var(u) = E[u^2] - E[u]^2 = 1/3 - 1/4 = 1/12.",
                lambda n: n / 3),
        Mistake("n_marked^2 / 12 is the variance of n_marked copies of ONE number, Var(n u) = n^2 Var(u). "
                "The marked numbers are independent, so their variances add: n_marked times 1/12.",
                lambda n: n**2 / 12),
    ],
    "count_parameters": [
        Mistake("you counted one bias vector per block; PyTorch keeps two, bias_ih and bias_hh "
                "(only their sum matters to the output, but both are trained parameters).",
                lambda kind, H, D: BLOCKS[kind] * H * (D + H + 1)),
        Mistake("your LSTM has three blocks; it has four: input gate, forget gate, candidate g and "
                "output gate (i, f, g, o). The candidate has its own weights too.",
                _with_blocks(lstm=3)),
        Mistake("your GRU has four blocks, like an LSTM; it has three: reset gate r, update gate z "
                "and the candidate n (no output gate, no separate cell state).",
                _with_blocks(gru=4)),
        Mistake("your GRU has two blocks; it has three: reset gate r, update gate z and the candidate n, "
                "each with its own weights.",
                _with_blocks(gru=2)),
        Mistake("the recurrent weights weight_hh (H x H per block) are missing; they are what makes the "
                "layer recurrent.",
                lambda kind, H, D: BLOCKS[kind] * H * (D + 2)),
        Mistake("the input weights weight_ih (H x D per block) are missing.",
                lambda kind, H, D: BLOCKS[kind] * H * (H + 2)),
        Mistake("you counted every kind as one block (a plain RNN). The GRU has 3 blocks of weights, the "
                "LSTM 4.",
                lambda kind, H, D: H * (D + H + 2)),
    ],
}

# -------------------------------------------------------------------------------------------------
# Checkers

def check_mean_predictor_mse(fn) -> CheckResult:
    """Exercise: the MSE of the best constant prediction when the target is a sum of n U(0, 1) numbers."""
    cases = [Case((2,)), Case((3,)), Case((1,)), Case((5,))]
    return run_check("mean_predictor_mse", fn, mean_predictor_mse, cases, MISTAKES["mean_predictor_mse"],
                     hint=HINTS["mean_predictor_mse"])


def check_count_parameters(fn) -> CheckResult:
    """Exercise: trainable numbers of one layer of nn.RNN / nn.GRU / nn.LSTM."""
    cases = [Case(("lstm", 32, 2)), Case(("gru", 37, 2)), Case(("rnn", 66, 2)), Case(("lstm", 5, 7)),
             Case(("gru", 1, 1)), Case(("rnn", 3, 10))]
    return run_check("count_parameters", fn, count_parameters, cases, MISTAKES["count_parameters"],
                     hint=HINTS["count_parameters"])

# -------------------------------------------------------------------------------------------------
# Figures of this notebook only

KIND_STYLES = {"rnn": dict(color=RNN_COLOR, marker="o", label="RNN (tanh)"),
               "lstm": dict(color=LSTM_COLOR, marker="s", label="LSTM"),
               "gru": dict(color=GRU_COLOR, marker="^", label="GRU"),
               "rnn_best_lr": dict(color=RNN_COLOR, marker="o", ls="--", mfc="white",
                                   label="RNN, best of 3 learning rates")}


def _reference_lines(ax, solved=0.04, baseline=1 / 6):
    ax.axhline(baseline, color="0.4", ls="--", lw=1, label=f"predict the mean ({baseline:.3f})")
    ax.axhline(solved, color="0.4", ls=":", lw=1.2, label=f"solved ({solved:g})")


def plot_mse_vs_length(runs, *, ax=None, title="Adding problem: final test MSE against sequence length",
                       kinds=("rnn", "lstm", "gru"), solved=0.04, baseline=1 / 6):
    """Final test MSE (log scale) against sequence length: one line per kind through the mean over
    seeds, one dot per seed. ``runs`` is a list of dicts with 'kind', 'length', 'final_test_mse'."""
    ax = axes_or_new(ax, figsize=(8, 4.2))
    for kind in kinds:
        mine = [r for r in runs if r["kind"] == kind]
        if not mine:
            continue
        lengths = sorted({r["length"] for r in mine})
        means = [np.mean([r["final_test_mse"] for r in mine if r["length"] == L]) for L in lengths]
        style = dict(KIND_STYLES.get(kind, dict(label=kind)))
        ax.plot(lengths, means, **style)
        ax.scatter([r["length"] for r in mine], [r["final_test_mse"] for r in mine], s=14, alpha=0.45,
                   color=style.get("color"))
    _reference_lines(ax, solved, baseline)
    ax.set_xscale("log")
    ax.set_yscale("log")
    lengths = sorted({r["length"] for r in runs})
    ax.set_xticks(lengths)
    ax.set_xticklabels([str(L) for L in lengths])
    ax.minorticks_off()
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("test MSE (log scale)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_adding_curves(runs, *, ax=None, title=None, solved=0.04, baseline=1 / 6, label_key="kind", styles=None):
    """Test MSE against training step (log y), one line per run; a run labelled by ``label_key``.

    Runs sharing a label share a colour; later seeds are drawn thinner.
    """
    ax = axes_or_new(ax, figsize=(8, 4.2))
    styles = styles or KIND_STYLES
    seen = set()
    for r in runs:
        name = r[label_key]
        style = styles.get(name, {})
        label = style.get("label", name)
        c = r["curve"]
        ax.plot(c["eval_step"], c["test_mse"], color=style.get("color"), lw=1.8 if name not in seen else 0.9,
                alpha=1.0 if name not in seen else 0.6,
                label=None if name in seen else label)
        seen.add(name)
    _reference_lines(ax, solved, baseline)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("test MSE (log scale)")
    ax.set_title(title or "Learning curves")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return ax


def plot_ablation_bars(rows, *, ax=None, title="Ablations: final test MSE per variant", metric="final_test_mse",
                       runs=None, order=None, solved=0.04, baseline=1 / 6):
    """Horizontal bars, one per ablation, from `experiments.summarise` rows of an ablation results file.

    metric 'final_test_mse': bar = mean over seeds on a log axis, with the success and mean-predictor
    lines; metric 'first_solved_step': bar = median step at which the test MSE first fell below the
    success line (seeds that never did are left out). ``runs`` (optional) adds one dot per seed.
    """
    if metric not in ("final_test_mse", "first_solved_step"):
        raise ValueError(f"metric: expected 'final_test_mse' or 'first_solved_step', got {metric!r}")
    ax = axes_or_new(ax, figsize=(8, 4.2))
    names = order or [r["ablation"] for r in rows]
    by_name = {r["ablation"]: r for r in rows}
    y = np.arange(len(names))[::-1]
    key = "mean_mse" if metric == "final_test_mse" else "median_first_solved_step"
    bars = [by_name[n][key] if by_name[n][key] is not None else np.nan for n in names]
    colors = [GRU_COLOR if n == "gru" else LSTM_COLOR for n in names]
    ax.barh(y, bars, color=colors, alpha=0.55, height=0.6)
    if runs is not None:
        for yy, n in zip(y, names):
            vals = [r[metric] for r in runs if r["ablation"] == n and r[metric] is not None]
            ax.scatter(vals, np.full(len(vals), yy), color="k", s=12, zorder=3,
                       label="one seed" if n == names[0] else None)
    ax.set_yticks(y)
    ax.set_yticklabels([n.replace("_", " ") for n in names])
    if metric == "final_test_mse":
        ax.axvline(baseline, color="0.4", ls="--", lw=1, label=f"predict the mean ({baseline:.3f})")
        ax.axvline(solved, color="0.4", ls=":", lw=1.2, label=f"solved ({solved:g})")
        ax.set_xscale("log")
        ax.set_xlabel("final test MSE (log scale; bar = mean over seeds)")
    else:
        ax.set_xlabel("training step (bar = median over seeds)")
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    if runs is not None or metric == "final_test_mse":
        ax.legend(fontsize=8, loc="lower right")
    return ax

