"""Notebook 10 (inside a trained LSTM): its exercises, their checkers and its figures.

Exercises: `bracket_depth` (a feature of the text) and `unit_correlations` (Pearson r per unit).
"""

from __future__ import annotations

import numpy as np

from ..plots import LSTM_COLOR, axes_or_new
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import Case, CheckResult, Mistake, make_cases, register_hints, run_check, solution

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
def bracket_depth(text):
    """Bracket depth after reading each character of ``text``: +1 at ( [ {, -1 at ) ] }; float array (T,)."""
    depth, out = 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        out.append(depth)  # after character t, so the opening bracket itself is already inside
    return np.array(out, dtype=np.float64)


@solution
def unit_correlations(values, feature):
    """Pearson r of every unit (column of ``values``, (T, H)) with ``feature`` (T,): returns (H,)."""
    v = values - values.mean(axis=0)  # (T, H): each unit centred over time
    x = feature - feature.mean()  # (T,)
    return (x @ v) / np.sqrt((v ** 2).sum(axis=0) * (x @ x))  # the 1/T factors cancel, so none are written

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "bracket_depth": [
        "how would you do it by hand, reading the text left to right with one finger on a counter? When "
        "does the counter go up, when down, and when do you write it down?",
        "walk through the text once with a counter: +1 at ( [ {, -1 at ) ] }, and append "
        "the counter after each character."],
    "unit_correlations": [
        "a correlation does not change if you shift or rescale either variable: what do you remove from "
        "each unit's values and from the feature before you compare them, and what do you divide by?",
        "centre both, then divide the sum of the products by the square root of the product of the "
        "sums of squares, one r per unit (a column of values)."],
})


def _wrong_depth(text, opens="([{", closes=")]}", close_step=-1):
    """Bracket depth with a typical mistake: only some brackets counted, or closing ones not subtracted."""
    depth, out = 0, []
    for ch in text:
        depth += 1 if ch in opens else close_step if ch in closes else 0
        out.append(depth)
    return np.array(out, dtype=np.float64)


def _cosine(values, feature):
    return (feature @ values) / np.sqrt((values ** 2).sum(axis=0) * (feature @ feature))


def _covariance(values, feature, ddof):
    return (feature - feature.mean()) @ (values - values.mean(axis=0)) / (len(feature) - ddof)


MISTAKES = {
    "bracket_depth": [
        Mistake("your depth never decreases: after `f(x)` it should be back to 0. What must a closing "
                "bracket do?",
                lambda text: _wrong_depth(text, close_step=0)),
        Mistake("closing brackets add 1 like opening ones, so the depth only grows. What should ) ] } do?",
                lambda text: _wrong_depth(text, close_step=1)),
        Mistake("you count only round brackets. How deep is the x in `f([x])`?",
                lambda text: _wrong_depth(text, "(", ")")),
        Mistake("your depth is one character late. Entry t is the depth after reading character t: what "
                "is it at an opening bracket?",
                lambda text: np.concatenate([[0.0], bracket_depth(text)[:-1]])),
    ],
    "unit_correlations": [
        Mistake("you did not subtract the means: that is the cosine similarity of the raw vectors, not "
                "Pearson's r. What does Pearson's r do to each series before comparing them?", _cosine),
        Mistake("that is the covariance, which grows with the units' scale and can leave [-1, 1]. What "
                "turns it into a correlation?", lambda v, x: _covariance(v, x, 0)),
        Mistake("that is the covariance (with 1 / (T - 1)), which can leave [-1, 1]. What turns it into a "
                "correlation?", lambda v, x: _covariance(v, x, 1)),
        Mistake("you mixed 1 / (T - 1) in the covariance with 1 / T in the standard deviations (np.std's "
                "default). If both used the same factor, what would happen to it in the ratio?",
                lambda v, x: unit_correlations(v, x) * len(x) / (len(x) - 1),
                example=lambda v, x: np.cov(v.T, x)[-1, :-1] / (v.std(axis=0) * x.std())),
        Mistake("you mixed 1 / T in the covariance with 1 / (T - 1) in the standard deviations. If both "
                "used the same factor, what would happen to it in the ratio?",
                lambda v, x: unit_correlations(v, x) * (len(x) - 1) / len(x)),
        Mistake("you centred each time step across units (mean over axis 1). Which mean does a unit's "
                "correlation over time need?",
                lambda v, x: _cosine(v - v.mean(axis=1, keepdims=True), x - x.mean())),
    ],
}

# -------------------------------------------------------------------------------------------------
# Checkers

def check_bracket_depth(fn) -> CheckResult:
    """Exercise: the bracket depth after each character, counting ( [ { up and ) ] } down."""
    cases = [Case(("d[k](x, {1: [2]})",)), Case(("f(a)[0] + g({'k': (1, 2)})",)), Case(("((\n))",)),
             Case(("x = 1",))]
    return run_check("bracket_depth", fn, bracket_depth, cases, MISTAKES["bracket_depth"], hint=HINTS["bracket_depth"])


def _correlation_case(rng, T, H):
    values = rng.normal(loc=2.0 * rng.normal(size=H), size=(T, H))  # units with non-zero means
    feature = 0.7 * values[:, 0] - 0.4 * values[:, -1] + rng.normal(size=T) + 3.0
    return values, feature


def check_unit_correlations(fn) -> CheckResult:
    """Exercise: Pearson r of every unit's activation (T, H) with a feature (T,)."""
    cases = make_cases([(40, 5), (7, 3), (200, 2)], 10, _correlation_case)
    return run_check("unit_correlations", fn, unit_correlations, cases, MISTAKES["unit_correlations"],
                     hint=HINTS["unit_correlations"])

# -------------------------------------------------------------------------------------------------
# Figures of this notebook only

SATURATION_GATE_NAMES = {"i": "input gate $i_t$", "f": "forget gate $f_t$", "o": "output gate $o_t$",
                         "g": r"candidate $\tilde c_t$"}


def plot_best_correlations(corr, baseline=None, *, ax=None, labels=("trained", "untrained"),
                           title="Best unit per feature: |Pearson r|", exclude=()):
    """Horizontal bars: for every feature, |r| of its best unit in ``corr`` (and in ``baseline``).

    ``corr`` and ``baseline`` are `interpretability.CellCorrelations` over the same features, e.g.
    the trained network and the same network before training; ``exclude`` lists units of ``corr``
    to pass over (e.g. clocks).
    """
    ax = axes_or_new(ax, figsize=(8, 4.2))
    names = list(corr.names)
    y = np.arange(len(names))
    runs = [(corr, labels[0], LSTM_COLOR)] + ([(baseline, labels[1], "#aaaaaa")] if baseline is not None else [])
    height = 0.8 / len(runs)
    for k, (c, label, colour) in enumerate(runs):
        picks = [c.best(n, exclude=exclude if k == 0 else ()) for n in names]
        best = [abs(r) for _, r in picks]
        ax.barh(y + (k - (len(runs) - 1) / 2) * height, best, height=height, color=colour, label=label)
        if k == 0:
            for yy, (unit, _), b in zip(y, picks, best):
                ax.text(b + 0.01, yy - (len(runs) - 1) / 2 * height, f"unit {unit}", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("|r| of the best-matching unit")
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    if len(runs) > 1:
        ax.legend(fontsize=9, loc="lower right")
    return ax


def plot_gate_saturation(sat, baseline=None, *, axes=None, labels=("trained", "untrained"), title=None):
    """Karpathy, Johnson & Fei-Fei (2015) Fig. 3: one dot per unit, fraction of time its gate is
    left-saturated (x, below `low`) against right-saturated (y, above `high`); one panel per gate.

    ``sat`` (and ``baseline``) come from `interpretability.gate_saturation`. Returns the axes.
    """
    import matplotlib.pyplot as plt

    gates = list(sat)
    if axes is None:
        _, axes = plt.subplots(1, len(gates), figsize=(3.3 * len(gates), 3.8), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, gate in zip(axes, gates):
        ax.plot([0, 1], [1, 0], color="k", lw=0.8, ls=":", label="left + right = 1")
        if baseline is not None:
            ax.scatter(baseline[gate]["left"], baseline[gate]["right"], s=14, color="#aaaaaa", alpha=0.8,
                       label=labels[1])
        ax.scatter(sat[gate]["left"], sat[gate]["right"], s=14, color=LSTM_COLOR, alpha=0.6, label=labels[0])
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
        ax.set_aspect("equal")
        ax.set_title(SATURATION_GATE_NAMES.get(gate, gate), fontsize=11)
        ax.set_xlabel("fraction left-saturated")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("fraction right-saturated")
    axes[0].legend(fontsize=8, loc="upper right")
    if title:
        axes[0].figure.suptitle(title)
    return axes


def plot_unit_trace(values, feature=None, *, feature_name="feature", unit=None, ax=None, title=None,
                    label=r"$\tanh(C_t)$", ylim=None):
    """One unit's activation against character position, with a feature on a second y axis."""
    ax = axes_or_new(ax, figsize=(9, 3.5))
    t = np.arange(len(values))
    ax.plot(t, values, color=LSTM_COLOR, lw=1.2, label=label + (f" of unit {unit}" if unit is not None else ""))
    ax.set_xlabel("character position in the excerpt")
    ax.set_ylabel(label, color=LSTM_COLOR)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(True, alpha=0.3)
    handles, names = ax.get_legend_handles_labels()
    if feature is not None:
        ax2 = ax.twinx()
        ax2.step(t, feature, where="mid", color="#ff7f0e", lw=1.0, alpha=0.8, label=feature_name)
        ax2.set_ylabel(feature_name, color="#ff7f0e")
        h2, n2 = ax2.get_legend_handles_labels()
        handles, names = handles + h2, names + n2
    ax.legend(handles, names, fontsize=8, loc="upper left", bbox_to_anchor=(0.0, -0.16), ncol=2, frameon=False)
    ax.set_title(title or (f"Unit {unit}" if unit is not None else "Unit activation"))
    return ax

