"""Every exercise checker of the series, one section per notebook, and the machinery they share.

A checker calls the learner's function on fixed inputs, compares with the reference solution and,
when the answer is wrong, recognises typical mistakes by their outputs and names them. It never
raises: an unfinished exercise gets a hint, a crash gets a one-line explanation.

How to add an exercise (in the notebook's section below):

1. write the reference solution as a function in `lstm_helpers/solutions.py`;
2. list the typical mistakes as `Mistake(message, wrong_fn)`, where `wrong_fn` computes what the
   mistaken code would return;
3. write `check_<name>(fn)` that returns `run_check(...)` with a few input cases.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import solutions
from .activations import sigmoid

PASS, FAIL, TODO = "\u2705", "\u274c", "\u270f\ufe0f"


@dataclass
class CheckResult:
    """What a checker found. Shown in a notebook as its message; `passed` is for code and tests."""

    passed: bool
    message: str
    mistake: str | None = None

    def __repr__(self):
        return self.message

    def __bool__(self):
        return self.passed


@dataclass
class Mistake:
    """A typical error: ``wrong(*args)`` computes what the mistaken code returns; ``message`` explains it."""

    message: str
    wrong: Callable


@dataclass
class Case:
    """One input to try: positional ``args`` for the learner's function."""

    args: tuple
    kwargs: dict = field(default_factory=dict)


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def _close(a, b, rtol, atol):
    a, b = _as_tuple(a), _as_tuple(b)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        try:
            x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        if x.shape != y.shape or not np.allclose(x, y, rtol=rtol, atol=atol):
            return False
    return True


def _describe_difference(got, want):
    got, want = _as_tuple(got), _as_tuple(want)
    if len(got) != len(want):
        return f"it returned {len(got)} value(s); {len(want)} were expected"
    for k, (x, y) in enumerate(zip(got, want)):
        which = f"output {k}" if len(want) > 1 else "the output"
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            return f"{which} is a {type(x).__name__}, not an array of numbers"
        y = np.asarray(y, dtype=np.float64)
        if x.shape != y.shape:
            return f"{which} has shape {x.shape}; expected {y.shape}"
        if not np.allclose(x, y, rtol=1e-6, atol=1e-8):
            return f"{which} differs from the reference by up to {np.max(np.abs(x - y)):.3g}"
    return "the outputs differ from the reference"


def run_check(name: str, fn, reference, cases, mistakes=(), *, hint: str = "", rtol=1e-6, atol=1e-8) -> CheckResult:
    """Run ``fn`` and ``reference`` on every case; report success, a recognised mistake, or the difference.

    Put the most informative case first (distinct N, D, H), so a shape error shows up at once.
    """
    label = f"`{name}`"
    for case in cases:
        want = reference(*case.args, **case.kwargs)
        try:
            got = fn(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in case.args], **case.kwargs)
        except NotImplementedError:
            return CheckResult(False, f"{TODO} {label} is not written yet. Hint: {hint}".rstrip(), "unfinished")
        except Exception as exc:  # a learner's crash becomes one readable line, not a traceback
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            return CheckResult(False, f"{FAIL} {label} raised {type(exc).__name__}: {exc} "
                                      f"(line {frame.lineno}: {frame.line})", "crash")
        if got is None:
            return CheckResult(False, f"{FAIL} {label} returned None: did you forget `return`?", "returned None")
        if _close(got, want, rtol, atol):
            continue
        for m in mistakes:
            try:
                if _close(got, m.wrong(*case.args, **case.kwargs), rtol, atol):
                    return CheckResult(False, f"{FAIL} {label}: {m.message}", m.message)
            except Exception:  # a mistake model that does not apply to this case is skipped
                continue
        more = f" Hint: {hint}" if hint else ""
        return CheckResult(False, f"{FAIL} {label}: {_describe_difference(got, want)}.{more}", "other")
    return CheckResult(True, f"{PASS} {label} is correct on all {len(cases)} test cases.")


def _cases(shapes, seed, make):
    rng = np.random.default_rng(seed)
    return [Case(make(rng, *s)) for s in shapes]


# =================================================================================================
# 01_rnn_vanishing_gradients

# =================================================================================================
# 02_cell_state

# =================================================================================================
# 03_forget_gate

def _forget_gate_case(rng, N, D, H):
    return (rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(D, H)),
            rng.normal(size=(H, H)), rng.normal(size=(H,)))


def check_forget_gate(fn) -> CheckResult:
    """Exercise: f_t = sigmoid(x_t W_f + h_{t-1} U_f + b_f) for a batch."""
    mistakes = [
        Mistake("your forget gate uses tanh; it should squash to (0, 1) with a sigmoid, "
                "so that 0 means 'drop' and 1 means 'keep'.",
                lambda x, h, W, U, b: np.tanh(x @ W + h @ U + b)),
        Mistake("you returned the pre-activation; the gate needs the sigmoid applied to it.",
                lambda x, h, W, U, b: x @ W + h @ U + b),
        Mistake("the bias b_f is missing: the gate is sigmoid(x W_f + h U_f + b_f).",
                lambda x, h, W, U, b: sigmoid(x @ W + h @ U)),
        Mistake("the previous hidden state h_{t-1} is missing: the gate reads both h_{t-1} and x_t.",
                lambda x, h, W, U, b: sigmoid(x @ W + b)),
        Mistake("the sign is flipped: that is sigmoid(-a) = 1 - f_t, the fraction forgotten, not kept.",
                lambda x, h, W, U, b: sigmoid(-(x @ W + h @ U + b))),
    ]
    cases = _cases([(3, 4, 5), (2, 3, 2), (1, 1, 1)], 3, _forget_gate_case)
    return run_check("forget_gate", fn, solutions.forget_gate, cases, mistakes,
                     hint="compute x @ W_f + prev_h @ U_f + b_f, then squash it with `sigmoid`.")

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
