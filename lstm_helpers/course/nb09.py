"""Notebook 09 (training a character model): its exercises, their checkers and its figures.

Exercises: `temperature_probs` (sampling at a temperature) and `lr_at` (warmup, then cosine decay).
Also the t4 preset's time on a free Colab T4, estimated from the shipped model's CPU run (``t4_preset_estimate``).
"""

from __future__ import annotations

from dataclasses import dataclass

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


# -------------------------------------------------------------------------------------------------
# The t4 preset on a free Colab T4: updates measured on a CPU, time per update estimated (no T4 ran it yet)

T4_TARGET = 1.60  # nats/char on tinyshakespeare's last 10 %
T4_LIMIT_S = 600  # what a learner on a free Colab T4 should wait at most
TINYSHAKESPEARE_VAL_TOKENS = 111_540  # its last 10 % (train_val_split), what every evaluation of the t4 preset reads


@dataclass(frozen=True)
class GPUAssumption:
    """What the estimate assumes of a GPU: its fp32 peak (the LSTM runs in fp32), the share of it a
    training step sustains, and a fixed cost per update (kernel launches, optimiser, loss)."""

    name: str
    fp32_tflops: float
    efficiency: float
    step_overhead_s: float

    @property
    def flops_per_s(self) -> float:
        return self.fp32_tflops * 1e12 * self.efficiency


# 8.1 TFLOP/s: NVIDIA's T4 datasheet, fp32 peak. Turing has no TF32, so cuDNN's fp32 LSTM runs at this
# rate (fp16 would use its tensor cores, but the policy keeps the LSTM in fp32). 25 %: assumed, since
# a free Colab T4 is held to 70 W and slows its clock under load, and the recurrent products are small
# (B x H by H x 4H) and must run one time step after another.
T4_ASSUMPTION = GPUAssumption("NVIDIA T4", fp32_tflops=8.1, efficiency=0.25, step_overhead_s=5e-3)


def forward_flops_per_token(cfg, vocab_size: int) -> float:
    """Floating-point operations of one character through ``CharLSTM``'s forward pass (2 per multiply-add).

    Each layer's four gates are one product of [x_t, h_{t-1}] (D + H) with a (D + H, 4H) matrix:
    8 H (D + H); the output layer 2 H V. Element-wise gate math is left out (it is O(H), not O(H^2)).
    Backward costs about twice the forward, so a training token costs about 3 times this.
    """
    H = cfg.hidden_size
    flops, inputs = 0, cfg.emb_size or vocab_size
    for _ in range(cfg.num_layers):
        flops += 8 * H * (inputs + H)
        inputs = H
    return float(flops + 2 * H * vocab_size)


def estimate_seconds(cfg, vocab_size: int, updates: int, *, eval_tokens: int = 0, evals: int = 0,
                     gpu: GPUAssumption = T4_ASSUMPTION) -> dict:
    """Estimated seconds on ``gpu``: per update, for ``updates`` updates, and for ``evals`` evaluations
    of ``eval_tokens`` characters each; keys ``update_s``, ``train_s``, ``eval_s``, ``total_s``."""
    forward = forward_flops_per_token(cfg, vocab_size)
    update_s = 3 * forward * cfg.batch_size * cfg.seq_len / gpu.flops_per_s + gpu.step_overhead_s
    eval_s = evals * forward * eval_tokens / gpu.flops_per_s
    return {"update_s": update_s, "train_s": updates * update_s, "eval_s": eval_s,
            "total_s": updates * update_s + eval_s}


def t4_preset_estimate(history: dict, cfg, vocab_size: int, *, val_tokens: int = TINYSHAKESPEARE_VAL_TOKENS,
                       gpu: GPUAssumption = T4_ASSUMPTION, target: float = T4_TARGET) -> dict:
    """The time a run of ``cfg`` takes to ``target`` on ``gpu``, from the ``history`` of the same run measured
    on another machine (the shipped model's, for the t4 preset).

    The updates come from the measured run (the schedule depends on the step alone, so a GPU takes the
    same updates); the seconds per update from ``estimate_seconds``. Keys: ``updates`` (first
    evaluation below ``target``, or None), ``loss`` (its validation loss), ``to_target`` and
    ``whole_run`` (``estimate_seconds`` dicts; ``to_target`` None if never below), ``train_flops_per_token``
    and ``measured_gflops`` (what the measuring machine sustained by the same count: a check on it).
    """
    below = [k for k, loss in enumerate(history["eval_loss"]) if loss < target]
    first = below[0] if below else None
    every = dict(vocab_size=vocab_size, eval_tokens=val_tokens, gpu=gpu)
    to_target = (estimate_seconds(cfg, updates=history["eval_step"][first], evals=first + 1, **every)
                 if first is not None else None)
    whole = estimate_seconds(cfg, updates=cfg.max_steps, evals=cfg.max_steps // cfg.eval_interval, **every)
    train_token = 3 * forward_flops_per_token(cfg, vocab_size)
    return {"updates": history["eval_step"][first] if first is not None else None,
            "loss": history["eval_loss"][first] if first is not None else None, "to_target": to_target,
            "whole_run": whole, "train_flops_per_token": train_token,
            "measured_gflops": float(np.median(history["tokens_per_sec"])) * train_token / 1e9}
