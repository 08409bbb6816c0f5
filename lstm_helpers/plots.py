"""Plot helpers shared by the notebooks: one look for every figure of the same kind.

Each takes ``ax=None`` (a new figure is made if omitted) and returns the axes; none calls show().
"""

from __future__ import annotations

import numpy as np

RNN_COLOR = "#d62728"
LSTM_COLOR = "#1f77b4"
GRU_COLOR = "#2ca02c"


def _axes(ax, figsize=(7, 4)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_gradient_norms(curves: dict, *, ax=None, title="Gradient norm against distance",
                        ylabel=r"$\|\partial h_T / \partial h_{T-k}\|_2$", styles: dict | None = None):
    """Semilog plot of gradient norms against distance k; ``curves`` maps a legend label to norms[k].

    ``styles`` optionally maps a label to matplotlib keyword arguments (colour, line style).
    """
    ax = _axes(ax)
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


def plot_loss_curves(history: dict, *, ax=None, title="Loss", keys=("train_loss", "val_loss"), x="step",
                     logy=False):
    """Loss against step from a history dict of lists (the shape `train.train` returns)."""
    ax = _axes(ax)
    for key in keys:
        if key in history and len(history[key]):
            xs = history.get(f"{key}_{x}", history.get(x, range(len(history[key]))))
            xs = list(xs)[-len(history[key]):]
            ax.plot(xs, history[key], label=key.replace("_", " "))
    ax.set_xlabel(x)
    ax.set_ylabel("loss")
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


def plot_gates_over_time(cache: dict, *, sample=0, unit=0, ax=None, gates="ifgo", title=None, labels=None):
    """Gate values (and the cell state) of one unit over time, from a `numpy_lstm.lstm_forward` cache."""
    ax = _axes(ax)
    names = {"i": "input gate $i_t$", "f": "forget gate $f_t$", "g": r"candidate $\tilde c_t$",
             "o": "output gate $o_t$", "c": "cell state $C_t$", "h": "hidden state $h_t$"}
    T = cache["h"].shape[1]
    for g in gates:
        ax.plot(np.arange(T), cache[g][sample, :, unit], marker="o", ms=3, label=names[g])
    ax.set_xlabel("time step t")
    ax.set_ylabel("value")
    if labels is not None:
        ax.set_xticks(np.arange(T))
        ax.set_xticklabels(labels)
    ax.set_title(title or f"Gates of unit {unit} over time")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, loc="best")
    return ax


# Figures used by one notebook only, in that notebook's section.

# =================================================================================================
# 01_rnn_vanishing_gradients


# =================================================================================================
# 02_cell_state


# =================================================================================================
# 03_forget_gate


# =================================================================================================
# 04_input_gate


# =================================================================================================
# 05_cell_update


# =================================================================================================
# 06_output_gate


# =================================================================================================
# 07_lstm_from_scratch


# =================================================================================================
# 08_rnn_vs_lstm_long_range


# =================================================================================================
# 09_training_on_gpu


# =================================================================================================
# 10_inside_a_trained_lstm
