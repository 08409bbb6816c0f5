"""Notebook 09 (training a character model): its exercises, their checkers and its figures.

Exercises: `temperature_probs` (sampling at a temperature) and `lr_at` (warmup, then cosine decay).
"""

from __future__ import annotations

import numpy as np

from ..plots import LSTM_COLOR, axes_or_new
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import Case, CheckResult, Mistake, register_hints, run_check, solution

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
def temperature_probs(logits, temperature):
    """Next-character probabilities at a sampling temperature: softmax(logits / temperature) over the last axis."""
    z = logits / temperature  # dividing: T < 1 spreads the logits apart (sharper), T > 1 pulls them together
    z = z - z.max(axis=-1, keepdims=True)  # exp(1000) overflows; the shift cancels in the ratio
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@solution
def lr_at(step, lr, warmup_steps, max_steps, min_lr_ratio):
    """Learning rate at ``step`` (0-based): linear warmup, then cosine decay to min_lr_ratio * lr.

    Deliberate teaching pair of ``train.lr_at`` (the library's, which train() uses): the learner's
    exercise needs a reference it can show; tests/test_course_nb09.py checks the two agree at every step.
    """
    if step < warmup_steps:
        return lr * (step + 1) / warmup_steps  # the first step already moves: lr / warmup_steps, not 0
    progress = min(1.0, (step - warmup_steps) / max(1, max_steps - warmup_steps))  # 0 -> 1, then stays at 1
    return lr * (min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + np.cos(np.pi * progress)))

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "temperature_probs": [
        "what does dividing the logits by a number below 1 do to the gaps between them, and what must every "
        "row of the result add up to? What happens to exp() of a logit of 1000?",
        "divide the logits by the temperature, subtract the largest value of each row "
        "(keepdims=True), exponentiate, and divide by the sum over the last axis."],
    "lr_at": [
        "draw the curve first: what is the rate at step 0, at the end of warmup and at max_steps? Which "
        "function goes smoothly from 1 down to 0 as progress goes from 0 to 1?",
        "warmup is a straight line up to lr; afterwards let progress run from 0 to 1 (capped at 1) and "
        "mix lr and min_lr_ratio * lr with the weight 0.5 * (1 + cos(pi * progress))."],
})


def softmax(z):
    """Softmax over the last axis (the reference at temperature 1)."""
    return temperature_probs(z, 1.0)


def _overflowing_softmax(z):
    """The naive softmax, exp(z) / sum exp(z): nan as soon as a logit is near 1000."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


def _global_max_softmax(z):
    """A softmax shifted by the largest logit of the whole array: a row far below it underflows to 0 / 0 = nan."""
    with np.errstate(under="ignore", invalid="ignore"):
        e = np.exp(z - z.max())
        return e / e.sum(axis=-1, keepdims=True)


def _lr_curve(fn):
    """The learner's lr_at(step, ...) evaluated at every step from 0 to max_steps + 5."""
    def curve(lr, warmup_steps, max_steps, min_lr_ratio):
        values = [fn(s, lr, warmup_steps, max_steps, min_lr_ratio) for s in range(max_steps + 6)]
        return None if any(v is None for v in values) else np.array(values, dtype=np.float64)
    return curve


def _wrong_schedule(*, warmup="plus_one", decay="cosine", floor="ratio", clamp=True):
    """A schedule lr_at(step, lr, warmup_steps, max_steps, min_lr_ratio) with one typical mistake."""
    def schedule(step, lr, w, m, r):
        if warmup not in ("none", "full") and step < w:
            return lr * (step + 1) / w if warmup == "plus_one" else lr * step / w
        if warmup == "none":
            progress = step / max(1, m)
        else:
            progress = max(0.0, (step - w) / max(1, m - w))
        if clamp:
            progress = min(1.0, progress)
        shape = 0.5 * (1 + np.cos(np.pi * progress)) if decay == "cosine" else 1 - progress
        if floor == "zero":
            return lr * shape
        if floor == "absolute":
            return r + (lr - r) * shape
        return lr * (r + (1 - r) * shape)
    return schedule


def _schedule_mistake(message, **kind):
    schedule = _wrong_schedule(**kind)
    return Mistake(message, _lr_curve(schedule), example=schedule)


MISTAKES = {
    "temperature_probs": [
        Mistake("you multiplied the logits by the temperature. T = 0.5 must sharpen the distribution and "
                "T = 2 flatten it: does yours move the logits apart or together at T = 0.5?",
                lambda z, T: softmax(z * T)),
        Mistake("you took the softmax first and divided the probabilities by the temperature afterwards: "
                "they no longer sum to 1 and their ratios did not change. Where must the temperature act?",
                lambda z, T: softmax(z) / T),
        Mistake("you raised the probabilities to the power 1/T, but your rows no longer add up to 1. "
                "What does a distribution need after that?",
                lambda z, T: softmax(z) ** (1 / T)),
        Mistake("the temperature has no effect in your version: you returned the plain softmax. Where "
                "must the temperature enter?",
                lambda z, T: softmax(z)),
        Mistake("you normalised over the whole array, so the rows do not add up to 1 each. Which axis "
                "is one distribution?",
                lambda z, T: np.exp(z / T - (z / T).max()) / np.exp(z / T - (z / T).max()).sum()),
        Mistake("your softmax overflows: exp of a logit near 1000 is inf, and inf / inf is nan. Which "
                "number can you subtract from every logit of a row without changing the result?",
                lambda z, T: _overflowing_softmax(z / T)),
        Mistake("you subtracted the largest logit of the whole array, not of each row: a row whose logits "
                "all lie far below that one underflows, every exp is 0, and 0 / 0 is nan. Which maximum "
                "protects each row?",
                lambda z, T: _global_max_softmax(z / T)),
    ],
    "lr_at": [
        _schedule_mistake("there is no warmup: your learning rate starts at its full value, and the decay "
                          "runs from step 0. What should the rate do during the first warmup_steps steps, "
                          "while Adam's first updates are still noisy?", warmup="none"),
        _schedule_mistake("there is no warmup: your learning rate is at its full value during the first "
                          "warmup_steps steps. What should it do there instead?", warmup="full"),
        _schedule_mistake("your warmup starts at 0, so the first update does nothing. Which rate should "
                          "step 0 already get?", warmup="from_zero"),
        _schedule_mistake("your decay is a straight line. Which curve goes smoothly from 1 down to 0, flat at "
                          "both ends, as progress goes from 0 to 1?", decay="linear"),
        _schedule_mistake("your schedule decays to 0, so the last steps learn nothing. Where should it end?",
                          floor="zero"),
        _schedule_mistake("your floor is min_lr_ratio itself, used as a learning rate. What is min_lr_ratio "
                          "a ratio of?", floor="absolute"),
        _schedule_mistake("after max_steps your cosine rises again. What should progress do once it "
                          "reaches 1?", clamp=False),
    ],
}

# -------------------------------------------------------------------------------------------------
# Checkers

def check_temperature_probs(fn) -> CheckResult:
    """Exercise: next-character probabilities at a temperature, softmax(logits / T) over the last axis."""
    rng = np.random.default_rng(9)
    big = np.array([[1000.0, 999.0, 990.0, 995.0, 1001.0], [3.0, -2.0, 0.5, 1.0, 2.0]])
    cases = [Case((rng.normal(scale=2.0, size=(3, 7)), 0.5)), Case((rng.normal(size=(5,)), 2.0)),
             Case((rng.normal(scale=3.0, size=(2, 4)), 1.3)), Case((big, 0.8))]
    return run_check("temperature_probs", fn, temperature_probs, cases,
                     MISTAKES["temperature_probs"], hint=HINTS["temperature_probs"])


def check_lr_at(fn) -> CheckResult:
    """Exercise: linear warmup then cosine decay to min_lr_ratio * lr, the schedule of train.lr_at."""
    cases = [Case((2e-3, 10, 100, 0.1)), Case((1e-2, 5, 60, 0.05)), Case((3e-4, 1, 20, 0.2))]
    return run_check("lr_at", _lr_curve(fn), _lr_curve(lr_at), cases, MISTAKES["lr_at"], hint=HINTS["lr_at"])

# -------------------------------------------------------------------------------------------------
# Figures of this notebook only

FORECAST_STYLES = {"direct": dict(color=LSTM_COLOR, marker="o", ms=3),
                   "autoregressive": dict(color="#ff7f0e", marker="s", ms=3),
                   "last value repeated": dict(color="0.5", ls="--")}


def plot_forecasts(context, truth, forecasts: dict, *, ax=None, title="Forecast against the truth"):
    """One series: the input window ``context`` (L,), the true next values ``truth`` (h,) and each
    forecast in ``forecasts`` (label -> (h,) values), on one time axis with the present at 0."""
    ax = axes_or_new(ax, figsize=(9, 4))
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
    ax = axes_or_new(ax, figsize=(8, 4))
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
    ax = axes_or_new(ax, figsize=(8, 3.2))
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

