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
