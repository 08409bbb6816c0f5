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
    """Loss against step from a history dict of lists (the shape `train.train` returns).

    The x values of ``key`` are ``history[f"{key}_{x}"]``, else ``history["val_step"]`` for
    'val_loss' (train.train's name), else ``history[x]``.
    """
    ax = _axes(ax)
    for key in keys:
        if key in history and len(history[key]):
            own = history.get(f"{key}_{x}", history.get(f"{key.split('_')[0]}_{x}"))
            xs = own if own is not None else history.get(x, range(len(history[key])))
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
    ax = _axes(ax)
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


# =================================================================================================
# 02_cell_state

def plot_gate_at_work(pre_activation, values, *, axes=None):
    """A gate as numbers: sigmoid(pre_activation) on its curve (left), and values, gate and their product (right).

    ``pre_activation`` and ``values`` are 1-D arrays of the same length. Returns the two axes.
    """
    from .activations import sigmoid

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


# =================================================================================================
# 03_forget_gate

def plot_memory_trace(c, f, *, resets=(), writes=(), ax=None, title="Memory of one cell over time"):
    """One unit's cell state C_t and forget gate f_t over time; reset steps shaded, write steps marked.

    ``c`` and ``f`` are 1-D arrays over time (e.g. ``cache['c'][0, :, 0]``); ``resets`` and ``writes``
    list the time steps of reset tokens and of written values.
    """
    ax = _axes(ax, figsize=(9, 4))
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
    ax = _axes(ax, figsize=(8, 4.2))
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


# =================================================================================================
# 04_input_gate

def plot_memory_writes(x, cache, *, sample=0, unit=0, ax=None, title="A cell that writes only when told to",
                       show_forget=False):
    """The value channel x[..., 0], the write flag x[..., 1] (shaded), i_t and C_t of one unit over time.

    ``x`` (N, T, D) is the input given to `numpy_lstm.lstm_forward` and ``cache`` its cache;
    ``show_forget`` adds the forget gate f_t.
    """
    ax = _axes(ax, figsize=(8, 4))
    value, write = x[sample, :, 0], x[sample, :, 1]
    T = len(value)
    t = np.arange(T)
    for k, step in enumerate(np.flatnonzero(write > 0.5)):
        ax.axvspan(step - 0.5, step + 0.5, color="#ffd54f", alpha=0.5, lw=0,
                   label="write flag on" if k == 0 else None)
    ax.plot(t, value, "o", color="0.55", ms=5, label="value $x_t[0]$")
    ax.step(t, cache["i"][sample, :, unit], where="mid", color="#ff7f0e", ls="--", lw=1.5,
            label="input gate $i_t$")
    if show_forget:
        ax.step(t, cache["f"][sample, :, unit], where="mid", color="#2ca02c", ls="--", lw=1.5,
                label="forget gate $f_t$")
    ax.plot(t, cache["c"][sample, :, unit], "-", marker="s", ms=4, color=LSTM_COLOR, lw=2,
            label="cell state $C_t$")
    ax.axhline(0.0, color="0.3", lw=0.6)
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_xlabel("time step t")
    ax.set_ylabel("value")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=5 if show_forget else 4,
              frameon=False)
    return ax


# =================================================================================================
# 05_cell_update


# =================================================================================================
# 06_output_gate

STEP_COLORS = {"i": "#2ca02c", "f": "#9467bd", "g": "#8c564b", "o": "#ff7f0e", "c": "#1f77b4", "h": "#d62728"}


def lit_parts(i, f, o, *, threshold=0.5):
    """Which parts of the cell diagram carry signal, from gate values: memory kept, written, shown.

    'state' when the forget gate keeps C_{t-1} (f > threshold), 'input' and 'update' when the input
    gate writes (i > threshold), 'output' when the output gate shows the cell (o > threshold).
    """
    parts = []
    if f > threshold:
        parts.append("state")
    if i > threshold:
        parts += ["input", "update"]
    if o > threshold:
        parts.append("output")
    return parts


def plot_lstm_step(cache, t, *, sample=0, unit=0, fig=None, inputs=None, inputs_label="input $x_t$",
                   events=None, title=None):
    """One time step of an LSTM run, for step-through views (notebook 06's player).

    Three panels: the cell diagram with the paths in use at step ``t`` lit (see `lit_parts`), the
    values of i_t, f_t, c~_t, o_t, C_t and h_t at step ``t`` as bars, and the whole run below
    (C_t and h_t, plus ``inputs`` (T,) if given) with step ``t`` marked. ``cache`` is the cache of
    `numpy_lstm.lstm_forward`; ``events`` maps a step to a short label ('write', 'read').
    Returns the three axes (cell, bars, timeline).
    """
    import matplotlib.pyplot as plt

    from .tools.diagrams import CELL_H, CELL_W, draw_cell

    T = cache["h"].shape[1]
    if not isinstance(t, (int, np.integer)) or not 0 <= t < T:
        raise ValueError(f"t: expected an int step in [0, {T}), got {t!r}")
    events = dict(events or {})
    if fig is None:
        fig = plt.figure(figsize=(10, 6.2))
    grid = fig.add_gridspec(2, 2, width_ratios=(1.8, 1), height_ratios=(2.4, 1), hspace=0.3, wspace=0.1,
                            left=0.07, right=0.98, top=0.94, bottom=0.09)
    ax_cell = fig.add_subplot(grid[0, 0])
    ax_bar = fig.add_subplot(grid[0, 1])
    ax_time = fig.add_subplot(grid[1, :])
    val = {k: float(cache[k][sample, t, unit]) for k in ("i", "f", "g", "o", "c", "h")}

    draw_cell(ax_cell, highlight=lit_parts(val["i"], val["f"], val["o"]))
    ax_cell.set_xlim(-3.4, CELL_W + 2.9)
    ax_cell.set_ylim(-2.2, CELL_H + 2.3)
    ax_cell.set_aspect("equal")
    ax_cell.set_axis_off()
    what = f": {events[t]}" if t in events else ""
    ax_cell.set_title(title or f"step t = {t}{what}  (blue = paths in use)", fontsize=11)

    keys = ["i", "f", "g", "o", "c", "h"]
    names = ["$i_t$", "$f_t$", r"$\tilde c_t$", "$o_t$", "$C_t$", "$h_t$"]
    xs = np.arange(len(keys))
    heights = [val[k] for k in keys]
    ax_bar.bar(xs, heights, color=[STEP_COLORS[k] for k in keys], width=0.65)
    lim = max(1.0, float(np.abs(cache["c"][sample, :, unit]).max())) * 1.25
    for x, v in zip(xs, heights):
        ax_bar.text(x, v + (0.04 if v >= 0 else -0.04) * lim, f"{v:.2f}", ha="center",
                    va="bottom" if v >= 0 else "top", fontsize=9)
    ax_bar.axhline(0, color="0.3", lw=0.8)
    ax_bar.axvline(3.5, color="0.75", lw=0.8, ls=":")
    ax_bar.set_xticks(xs)
    ax_bar.set_xticklabels(names)
    ax_bar.set_ylim(-lim if np.min(cache["c"][sample, :, unit]) < 0 or np.min(heights) < 0 else -0.08 * lim, lim)
    ax_bar.set_title("gates | states at this step", fontsize=11)
    ax_bar.grid(True, axis="y", alpha=0.3)

    steps = np.arange(T)
    if inputs is not None:
        inputs = np.asarray(inputs, dtype=float)
        if inputs.shape != (T,):
            raise ValueError(f"inputs: expected shape ({T},), got {inputs.shape}")
        ax_time.plot(steps, inputs, color="0.6", marker=".", lw=1, label=inputs_label)
    for k, name in (("c", "cell state $C_t$"), ("h", "hidden state $h_t$")):
        series = cache[k][sample, :, unit]
        ax_time.plot(steps, series, color=STEP_COLORS[k], alpha=0.25, lw=1.5)
        ax_time.plot(steps[:t + 1], series[:t + 1], color=STEP_COLORS[k], marker="o", ms=3, lw=1.5, label=name)
    ax_time.axvline(t, color="0.2", lw=1.2, ls="--")
    for step, label in events.items():
        ax_time.annotate(label, (step, 1.0), xycoords=("data", "axes fraction"), xytext=(0, -3),
                         textcoords="offset points", ha="center", va="top", fontsize=9,
                         bbox=dict(boxstyle="round,pad=0.15", fc="0.9", ec="none"))
        ax_time.axvspan(step - 0.4, step + 0.4, color="0.9", zorder=0)
    ax_time.set_xlim(-0.5, T - 0.5)
    ax_time.set_xticks(steps)
    ax_time.set_xlabel("time step t")
    ax_time.set_ylabel("value")
    ax_time.set_ylim(top=ax_time.get_ylim()[1] + 0.25 * np.ptp(ax_time.get_ylim()))  # room for the labels
    ax_time.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, frameon=False,
                   borderaxespad=0.1)
    ax_time.grid(True, alpha=0.3)
    return ax_cell, ax_bar, ax_time


# =================================================================================================
# 07_lstm_from_scratch

def plot_error_fingerprints(rows: dict, *, threshold=1e-7, ax=None, title="Gradient check: relative errors"):
    """Heatmap of gradient-check relative errors: one row per backward variant, one column per gradient.

    ``rows`` maps a row label to a dict {gradient name: relative error}; columns are the union of
    the names, in first-seen order, and a missing entry is left blank. Colour is log10(error),
    green below ``threshold`` (the gradient is right) and red above; each cell shows its error.
    """
    from matplotlib.colors import TwoSlopeNorm

    cols = list(dict.fromkeys(name for errs in rows.values() for name in errs))
    vals = np.array([[rows[r].get(c, np.nan) for c in cols] for r in rows], dtype=float)
    ax = _axes(ax, figsize=(max(6, 0.9 * len(cols) + 3), 0.55 * len(rows) + 1.6))
    logs = np.log10(np.maximum(vals, 1e-16))
    lo = min(np.nanmin(logs), np.log10(threshold) - 1)
    norm = TwoSlopeNorm(vmin=lo, vcenter=np.log10(threshold), vmax=max(np.nanmax(logs), np.log10(threshold) + 1))
    ax.imshow(np.ma.masked_invalid(logs), cmap="RdYlGn_r", norm=norm, aspect="auto")
    for r in range(vals.shape[0]):
        for c in range(vals.shape[1]):
            text = "" if np.isnan(vals[r, c]) else f"{vals[r, c]:.0e}"
            ax.text(c, r, text, ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(list(rows))
    exponent = np.log10(threshold)
    shown = f"1e{exponent:.0f}" if exponent == round(exponent) else f"{threshold:.0e}"
    ax.set_xlabel(f"gradient (green: relative error < {shown}, red: above)")
    ax.set_title(title)
    return ax


def plot_adding_predictions(y, y_hat, *, ax=None, title="Adding problem: prediction against target"):
    """Scatter of a model's predictions against the targets of the adding problem (targets in [0, 2]).

    The diagonal is a perfect model; the horizontal line at 1 is the best constant guess (the mean).
    """
    ax = _axes(ax)
    y, y_hat = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    ax.plot([0, 2], [0, 2], color="0.4", lw=1, ls="--", label="perfect: prediction = target")
    ax.axhline(1.0, color="#d62728", lw=1, ls=":", label="best constant: the mean, 1")
    ax.scatter(y, y_hat, s=8, alpha=0.6, color=LSTM_COLOR, label="LSTM predictions")
    ax.set_xlim(-0.05, 2.05)
    ax.set_ylim(-0.25, 2.25)
    ax.set_xlabel("target (sum of the two marked values)")
    ax.set_ylabel("prediction")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return ax


# =================================================================================================
# 08_rnn_vs_lstm_long_range

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
    ax = _axes(ax, figsize=(8, 4.2))
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
    ax = _axes(ax, figsize=(8, 4.2))
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
    ax = _axes(ax, figsize=(8, 4.2))
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


# =================================================================================================
# 09_training_on_gpu

FORECAST_STYLES = {"direct": dict(color=LSTM_COLOR, marker="o", ms=3),
                   "autoregressive": dict(color="#ff7f0e", marker="s", ms=3),
                   "last value repeated": dict(color="0.5", ls="--")}


def plot_forecasts(context, truth, forecasts: dict, *, ax=None, title="Forecast against the truth"):
    """One series: the input window ``context`` (L,), the true next values ``truth`` (h,) and each
    forecast in ``forecasts`` (label -> (h,) values), on one time axis with the present at 0."""
    ax = _axes(ax, figsize=(9, 4))
    context, truth = np.asarray(context, dtype=float), np.asarray(truth, dtype=float)
    past = np.arange(-len(context) + 1, 1)
    ahead = np.arange(1, len(truth) + 1)
    ax.plot(past, context, color="0.3", lw=1.5, label="input window (what the model sees)")
    ax.plot(ahead, truth, color="k", lw=2.2, label="truth")
    for label, values in forecasts.items():
        style = FORECAST_STYLES.get(label, {})
        ax.plot(ahead, np.asarray(values, dtype=float), lw=1.5, label=label, **style)
    ax.axvline(0.5, color="0.6", lw=1, ls=":")
    ax.set_xlabel("time step (0 = last input; 1, 2, ... = steps ahead)")
    ax.set_ylabel("value")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", ncol=2)
    return ax


def plot_error_by_horizon(errors: dict, *, ax=None, title="Error against how far ahead"):
    """Mean squared error against steps ahead (1..h), log scale; ``errors`` maps a label to (h,) MSEs."""
    ax = _axes(ax, figsize=(8, 4))
    for label, mse in errors.items():
        mse = np.asarray(mse, dtype=float)
        ax.semilogy(np.arange(1, len(mse) + 1), mse, label=label, **FORECAST_STYLES.get(label, {}))
    ax.set_xlabel("steps ahead")
    ax.set_ylabel("MSE on held-out series (log scale)")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    return ax


def plot_step_times(ms: dict, *, ax=None, title="One training step (forward + backward)"):
    """Horizontal bars of milliseconds per step, labelled with each one's speed relative to the first."""
    ax = _axes(ax, figsize=(8, 3.2))
    names = list(ms)
    values = np.array([ms[n] for n in names], dtype=float)
    y = np.arange(len(names))[::-1]
    colors = [LSTM_COLOR if "nn.LSTM" in n else "#ff7f0e" for n in names]
    ax.barh(y, values, color=colors, alpha=0.8, height=0.6)
    for yy, v in zip(y, values):
        ax.text(v, yy, f"  {v:.3g} ms ({values[0] / v:.1f}x)", va="center", fontsize=9)
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    ax.set_xlim(0, values.max() * 1.35)  # room for the labels
    ax.set_xlabel("milliseconds per step (median); in brackets: speed relative to the first bar")
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    return ax


def _show_char(ch: str) -> str:
    return {"\n": "\u23ce", " ": "\u2423", "\t": "\u21e5"}.get(ch, ch)


def plot_temperature_view(probs, chars, sample: str, *, temperature: float, axes=None, top: int = 12,
                          prompt: str = ""):
    """Left: the ``top`` most likely next characters at this temperature (``probs`` (V,) over
    ``chars``); right: a text ``sample`` drawn at the same temperature. Returns the two axes."""
    import textwrap

    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [1, 1.6]})
    ax, ax_text = axes
    probs = np.asarray(probs, dtype=float)
    order = np.argsort(-probs, kind="stable")[:top]
    ax.bar(np.arange(len(order)), probs[order], color=LSTM_COLOR)
    ax.set_xticks(np.arange(len(order)))
    ax.set_xticklabels([_show_char(chars[k]) for k in order], fontsize=11, family="monospace")
    ax.set_ylim(0, 1)
    ax.set_xlabel("next character (\u2423 space, \u23ce newline)")
    ax.set_ylabel("probability")
    shown = repr(prompt[-12:]) if prompt else "the prompt"
    ax.set_title(f"after {shown} at T = {temperature:g}", fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    lines = []
    for line in sample.splitlines()[:14]:
        lines += textwrap.wrap(line.replace("\t", "    "), 58, drop_whitespace=False) or [""]
    ax_text.text(0.0, 1.0, "\n".join(lines[:14]), family="monospace", fontsize=8.5, va="top", ha="left",
                 transform=ax_text.transAxes)
    ax_text.set_axis_off()
    ax_text.set_title(f"a sample at T = {temperature:g}", fontsize=10)
    return ax, ax_text


# =================================================================================================
# 10_inside_a_trained_lstm

SATURATION_GATE_NAMES = {"i": "input gate $i_t$", "f": "forget gate $f_t$", "o": "output gate $o_t$",
                         "g": r"candidate $\tilde c_t$"}


def plot_best_correlations(corr, baseline=None, *, ax=None, labels=("trained", "untrained"),
                           title="Best unit per feature: |Pearson r|", exclude=()):
    """Horizontal bars: for every feature, |r| of its best unit in ``corr`` (and in ``baseline``).

    ``corr`` and ``baseline`` are `interpretability.CellCorrelations` over the same features, e.g.
    the trained network and the same network before training; ``exclude`` lists units of ``corr``
    to pass over (e.g. clocks).
    """
    ax = _axes(ax, figsize=(8, 4.2))
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
    ax = _axes(ax, figsize=(9, 3.5))
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
