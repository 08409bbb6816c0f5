"""Plot helpers shared by several notebooks: one look for every figure of the same kind.

Each takes ``ax=None`` (a new figure is made if omitted) and returns the axes; none calls show().
A figure that only one notebook draws lives in that notebook's module, `lstm_helpers/course/nbNN.py`.
"""

from __future__ import annotations

import numpy as np

RNN_COLOR = "#d62728"
LSTM_COLOR = "#1f77b4"
GRU_COLOR = "#2ca02c"


def axes_or_new(ax, figsize=(7, 4)):
    """``ax`` itself, or the axes of a new figure of ``figsize`` when ``ax`` is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_gradient_norms(curves: dict, *, ax=None, title="Gradient norm against distance",
                        ylabel=r"$\|\partial h_T / \partial h_{T-k}\|_2$", styles: dict | None = None):
    """Semilog plot of gradient norms against distance k; ``curves`` maps a legend label to norms[k].

    ``styles`` optionally maps a label to matplotlib keyword arguments (colour, line style).
    """
    ax = axes_or_new(ax)
    styles = styles or {}
    for label, norms in curves.items():
        norms = np.asarray(norms, dtype=float)
        k = np.arange(len(norms))
        shown = np.where(norms > 0, norms, np.nan)  # log axes cannot show zeros
        ax.semilogy(k, shown, label=label, **styles.get(label, {}))
    ax.set_xlabel("distance k (time steps back from the last state)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    return ax



def plot_loss_curves(history: dict, *, ax=None, title="Loss", logy=False):
    """Training loss against ``history["step"]`` and, if present, evaluation loss against ``history["eval_step"]``.

    ``history`` is the series' one history format: lists ``step`` and ``train_loss`` (one entry per
    logged update), ``eval_step`` and ``eval_loss`` (one per evaluation); other keys are ignored.
    """
    for need in ("step", "train_loss"):
        if need not in history:
            raise ValueError(f"history: expected the keys step, train_loss (and eval_step, eval_loss), "
                             f"got {sorted(history)}")
    if len(history["step"]) != len(history["train_loss"]):
        raise ValueError(f"history: expected as many step as train_loss entries, got {len(history['step'])} "
                         f"and {len(history['train_loss'])}")
    if len(history.get("eval_step", [])) != len(history.get("eval_loss", [])):
        raise ValueError(f"history: expected as many eval_step as eval_loss entries, got "
                         f"{len(history.get('eval_step', []))} and {len(history.get('eval_loss', []))}")
    ax = axes_or_new(ax)
    ax.plot(history["step"], history["train_loss"], label="train loss")
    if len(history.get("eval_loss", [])):
        ax.plot(history["eval_step"], history["eval_loss"], label="eval loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


# Styles and figures of the trained comparisons (notebooks 06 and 08)


SETTING_STYLES = {"rnn": dict(color=RNN_COLOR, ls=":", label="tanh RNN"),
                  "rnn_orth": dict(color=RNN_COLOR, ls="--", label="tanh RNN, orthogonal"),
                  "irnn": dict(color="#7f3b08", ls="-", label="IRNN (ReLU, identity)"),
                  "lstm_fb0": dict(color=LSTM_COLOR, ls="--", label="LSTM, forget bias 0"),
                  "lstm_fb1": dict(color=LSTM_COLOR, ls="-", label="LSTM, forget bias 1"),
                  "lstm_fb3": dict(color="#08306b", ls="-.", label="LSTM, forget bias 3"),
                  "gru": dict(color=GRU_COLOR, ls="-", label="GRU")}


def plot_learning_curves(results, length, *, settings=None, ax=None, chosen_only=True, title=None, lines=None):
    """Validation loss against the number of updates, one thin line per seed, for each setting at ``length``.

    Reads a results file (runs with the series' history dict), or any dict with ``settings`` and ``runs``;
    only the runs with the learning rate the validation set chose, unless ``chosen_only=False``. A run
    that stopped once past the success line ends there; one that never got there runs to its budget.
    ``lines`` maps a label to a y value drawn as a grey horizontal line (a baseline, a success line).
    """
    ax = axes_or_new(ax, figsize=(8, 4.2))
    settings = settings or results["settings"]["settings"]
    for name in settings:
        style = dict(SETTING_STYLES.get(name, dict(label=name)))
        label = style.pop("label")
        runs = [r for r in results["runs"] if r["setting"] == name and r["length"] == length
                and (r["chosen"] or not chosen_only)]
        for i, r in enumerate(runs):
            h = r["history"]
            ax.plot(h["eval_step"], h["eval_loss"], lw=1.3, alpha=0.75, label=None if i else f"{label} (lr {r['lr']:g})",
                    **style)
    for (label, y), ls in zip((lines or {}).items(), ("--", ":", "-.")):
        ax.axhline(y, color="0.4", ls=ls, lw=1.2, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("updates")
    ax.set_ylabel("validation loss (log scale)")
    ax.set_title(title or f"Learning curves at T = {length}, every seed")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return ax


def plot_solved(rows, *, ax=None, title="Seeds solved, with 95 % Wilson intervals"):
    """Fraction of seeds solved per setting and length, with its Wilson interval: rows from `results.summary`."""
    ax = axes_or_new(ax, figsize=(8, 4.2))
    lengths = sorted({r["length"] for r in rows})
    names = list(dict.fromkeys(r["setting"] for r in rows))
    width = 0.8 / max(1, len(names))
    for j, name in enumerate(names):
        style = SETTING_STYLES.get(name, dict(color=None, label=name))
        for i, L in enumerate(lengths):
            row = next((r for r in rows if r["setting"] == name and r["length"] == L), None)
            if row is None:
                continue
            x = i + (j - (len(names) - 1) / 2) * width
            frac = row["n_solved"] / row["n_seeds"]
            ax.bar(x, frac, width=width * 0.9, color=style["color"], alpha=0.35 if style.get("ls") != "-" else 0.7,
                   label=style["label"] if i == 0 else None, hatch="//" if style.get("ls") == "--" else None)
            ax.errorbar(x, frac, yerr=[[frac - row["ci_low"]], [row["ci_high"] - frac]], color="k", lw=1, capsize=2)
    ax.set_xticks(range(len(lengths)))
    ax.set_xticklabels([f"T = {L}" for L in lengths])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("fraction of seeds solved")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(True, axis="y", alpha=0.3)
    return ax


def plot_updates_to_solve(rows, *, ax=None, title="Updates to solve against the length T (seeds that solved)"):
    """Median updates to solve (markers) and the fewest and most (bars) per setting against T, on log-log axes.

    ``rows`` from `results.summary`; a setting with no seed solved at a length has no point there, and
    each length's budget is drawn as a grey step so a missing point reads as "not within the budget".
    """
    ax = axes_or_new(ax, figsize=(8, 4.2))
    names = list(dict.fromkeys(r["setting"] for r in rows))
    lengths = sorted({r["length"] for r in rows})
    offsets = np.linspace(-0.04, 0.04, max(1, len(names)))
    for name, off in zip(names, offsets):
        style = dict(SETTING_STYLES.get(name, dict(label=name)))
        label = style.pop("label")
        pts = [r for r in rows if r["setting"] == name and r["median_first_solved"] is not None]
        if not pts:
            ax.plot([], [], marker="x", ls="none", color=style.get("color"), label=f"{label}: never solved")
            continue
        x = np.array([r["length"] for r in pts]) * 10 ** off
        y = np.array([r["median_first_solved"] for r in pts])
        err = [y - [r["min_first_solved"] for r in pts], [r["max_first_solved"] for r in pts] - y]
        ax.errorbar(x, y, yerr=err, marker="o", ms=5, capsize=3, label=label, **style)
    budgets = [min(r["budget"] for r in rows if r["length"] == L) for L in lengths]
    ax.plot(lengths, budgets, color="0.5", ls="--", lw=1.2, marker="_", ms=14, label="budget")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(lengths)
    ax.set_xticklabels([str(L) for L in lengths])
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("updates to solve")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax
