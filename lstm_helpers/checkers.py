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

def check_rnn_step_jacobian(fn) -> CheckResult:
    """Exercise: dh_t/dh_{t-1} = diag(1 - h_t^2) Wh^T for one sequence, next_h (H,), Wh (H, H)."""
    mistakes = [
        Mistake("the tanh derivative is missing: you returned Wh^T alone. Each step back goes through "
                "tanh first, which multiplies row i by its slope 1 - h_t[i]^2.",
                lambda h, Wh: Wh.T),
        Mistake("you multiplied by h_t instead of the tanh slope 1 - h_t^2 (the derivative of tanh, "
                "written with its output h_t = tanh(a_t)).",
                lambda h, Wh: np.diag(h) @ Wh.T),
        Mistake("you used 1 - h_t, not 1 - h_t^2: the slope of tanh is 1 - tanh(a)^2, squared.",
                lambda h, Wh: np.diag(1 - h) @ Wh.T),
        Mistake("you applied tanh once more: next_h is already h_t = tanh(a_t), so the slope is "
                "1 - next_h**2, not 1 - tanh(next_h)**2.",
                lambda h, Wh: np.diag(1 - np.tanh(h) ** 2) @ Wh.T),
        Mistake("you used Wh where Wh^T belongs. With row vectors, h_t = tanh(h_{t-1} Wh + ...), so "
                "d h_t[i] / d h_{t-1}[j] = (1 - h_t[i]^2) Wh[j, i]: the transpose.",
                lambda h, Wh: np.diag(1 - h**2) @ Wh),
        Mistake("diag(1 - h_t^2) is on the wrong side: Wh^T diag(1 - h_t^2) scales the columns; the "
                "slope of unit i must scale row i, so it goes on the left.",
                lambda h, Wh: Wh.T @ np.diag(1 - h**2)),
    ]
    rng = np.random.default_rng(11)
    cases = [Case((np.tanh(rng.normal(size=H)), rng.normal(size=(H, H)))) for H in (5, 3, 2)]
    return run_check("rnn_step_jacobian", fn, solutions.rnn_step_jacobian, cases, mistakes,
                     hint="h_t = tanh(h_(t-1) @ Wh + ...). Two factors: the slope of tanh at unit i, "
                          "1 - next_h[i]**2, and d a_t[i] / d h_(t-1)[j] = Wh[j, i]; np.diag builds the first.")


def check_clip_by_norm(fn) -> CheckResult:
    """Exercise: rescale g to L2 norm max_norm when its norm is larger; leave it unchanged otherwise."""
    mistakes = [
        Mistake("you clipped each entry to [-max_norm, max_norm] (np.clip). That changes the direction "
                "of the gradient; rescale the whole array instead: g * (max_norm / ||g||).",
                lambda g, m: np.clip(g, -m, m)),
        Mistake("you rescaled a gradient whose norm was already below max_norm. Clipping only shrinks: "
                "when ||g|| <= max_norm, return g unchanged.",
                lambda g, m: g * (m / np.sqrt(np.sum(g * g)))),
        Mistake("you divided by the norm but did not multiply by max_norm: a clipped gradient has norm "
                "max_norm, not 1.",
                lambda g, m: g / np.sqrt(np.sum(g * g)) if np.sqrt(np.sum(g * g)) > m else g),
        Mistake("you measured the size with the sum of absolute values (L1 norm); clipping uses the L2 "
                "norm, sqrt(sum(g**2)).",
                lambda g, m: g * (m / np.abs(g).sum()) if np.abs(g).sum() > m else g),
        Mistake("you measured the size with the largest absolute entry; clipping uses the L2 norm of the "
                "whole array, sqrt(sum(g**2)).",
                lambda g, m: g * (m / np.abs(g).max()) if np.abs(g).max() > m else g),
    ]
    rng = np.random.default_rng(12)
    big = 3.0 * rng.normal(size=(4, 3))  # norm about 10, entries beyond 2: every mistake shows
    small = 0.1 * rng.normal(size=(5,))  # norm about 0.2, far below max_norm
    cases = [Case((big, 2.0)), Case((small, 5.0)), Case((rng.normal(size=(2, 3, 2)), 0.5))]
    return run_check("clip_by_norm", fn, solutions.clip_by_norm, cases, mistakes,
                     hint="norm = np.sqrt(np.sum(g**2)); if norm > max_norm return g * (max_norm / norm), "
                          "else return g unchanged.")

# =================================================================================================
# 02_cell_state

def _apply_gate_case(rng, N, H):
    """gate (N, H) in (0, 1) and values (N, H) of both signs."""
    return (sigmoid(rng.normal(scale=2.0, size=(N, H))), rng.normal(scale=3.0, size=(N, H)))


def check_apply_gate(fn) -> CheckResult:
    """Exercise: a gate scales a vector entry by entry, out = gate * values."""
    mistakes = [
        Mistake("you added the gate to the values; a gate multiplies (pointwise x), so that 0 blocks a value "
                "and 1 lets it through unchanged.",
                lambda gate, v: gate + v),
        Mistake("you used 1 - gate: that is the fraction blocked, not the fraction let through. "
                "A gate value of 1 must pass the value unchanged.",
                lambda gate, v: (1.0 - gate) * v),
        Mistake("you applied a sigmoid to the gate again; `gate` already is a sigmoid output in (0, 1), "
                "so multiply it with the values as it is.",
                lambda gate, v: sigmoid(gate) * v),
        Mistake("you returned the values unchanged: the gate must scale them (multiply gate * values).",
                lambda gate, v: v),
        Mistake("you returned the gate itself: the output is the gate times the values.",
                lambda gate, v: gate),
    ]
    cases = _cases([(3, 5), (2, 2), (1, 1)], 20, _apply_gate_case)
    return run_check("apply_gate", fn, solutions.apply_gate, cases, mistakes,
                     hint="each value is scaled by its own gate entry, so that 0 blocks it and 1 lets it "
                          "through unchanged; which elementwise operation does that?")


def _carousel_case(rng, T, H):
    """forget-gate values f_1 .. f_T, (T, H), in (0.5, 1)."""
    return (rng.uniform(0.5, 1.0, size=(T, H)),)


def check_carousel_gradient(fn) -> CheckResult:
    """Exercise: dC_T/dC_0 along the cell state (input gate closed) is the product f_1 * ... * f_T."""
    mistakes = [
        Mistake("you added the forget gates; each step back multiplies the gradient by f_t, "
                "so the gradient over T steps is their product.",
                lambda f: f.sum(axis=0)),
        Mistake("the first step is missing: the product must include f_1, the gate between C_0 and C_1 "
                "(f_values[0]).",
                lambda f: np.prod(f[1:], axis=0)),
        Mistake("the last step is missing: the product must include f_T, the gate between C_{T-1} and C_T "
                "(f_values[-1]).",
                lambda f: np.prod(f[:-1], axis=0)),
        Mistake("you raised the last gate to the power T; the gates differ from step to step, "
                "so multiply all of them.",
                lambda f: f[-1] ** f.shape[0]),
        Mistake("you averaged the gates; the gradient is their product over time, not their mean.",
                lambda f: f.mean(axis=0)),
    ]
    cases = _cases([(6, 3), (1, 2), (12, 1)], 21, _carousel_case)
    return run_check("carousel_gradient", fn, solutions.carousel_gradient, cases, mistakes,
                     hint="each step back multiplies by that step's forget gate: combine the T rows "
                          "of f_values over the time axis (axis 0), one number per unit.")

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


def check_memory_after(fn) -> CheckResult:
    """Exercise: what is left of c0 after k steps with a constant forget gate f: c0 * f**k."""
    def case(rng, H, k):
        return (rng.uniform(0.5, 0.99, size=(H,)), k, rng.normal(scale=2.0, size=(H,)))

    mistakes = [
        Mistake("you multiplied f by k; every step multiplies the memory by f once more, "
                "so after k steps it is f to the power k: c0 * f**k.",
                lambda f, k, c0: c0 * f * k),
        Mistake("the starting value c0 is missing: f**k is the fraction kept, the memory left is c0 * f**k.",
                lambda f, k, c0: f ** k),
        Mistake("you used 1 - f, the fraction forgotten per step; the fraction kept is f: c0 * f**k.",
                lambda f, k, c0: c0 * (1.0 - f) ** k),
        Mistake("one step too few: after k steps the gate has acted k times, c0 * f**k, not f**(k - 1).",
                lambda f, k, c0: c0 * f ** (k - 1)),
        Mistake("one step too many: after k steps the gate has acted k times, c0 * f**k, not f**(k + 1).",
                lambda f, k, c0: c0 * f ** (k + 1)),
    ]
    cases = [Case(case(np.random.default_rng(22 + j), H, k)) for j, (H, k) in enumerate([(4, 7), (2, 1), (3, 0)])]
    return run_check("memory_after", fn, solutions.memory_after, cases, mistakes,
                     hint="each step keeps the fraction f of what was there; apply that k times to c0.")


def check_forget_bias_for(fn) -> CheckResult:
    """Exercise: the bias b with sigmoid(b) = keep, i.e. the logit log(keep / (1 - keep))."""
    mistakes = [
        Mistake("you returned the fraction itself; the bias goes INTO the sigmoid, so it must be the b "
                "with sigmoid(b) = keep (for keep = 0.99 that is about 4.6, not 0.99).",
                lambda keep: keep),
        Mistake("log(keep) is not enough: the inverse of the sigmoid is the logit, log(keep / (1 - keep)).",
                lambda keep: np.log(keep)),
        Mistake("the sign is flipped: log((1 - keep) / keep) gives sigmoid(b) = 1 - keep, the fraction forgotten.",
                lambda keep: np.log((1.0 - keep) / keep)),
        Mistake("that is sigmoid(keep), the forward direction; you need its inverse, the b with sigmoid(b) = keep.",
                lambda keep: sigmoid(keep)),
    ]
    cases = [Case((np.array([0.99, 0.5, 0.9, 0.73]),)), Case((0.999,)), Case((np.array([0.2, 0.6]),))]
    return run_check("forget_bias_for", fn, solutions.forget_bias_for, cases, mistakes,
                     hint="invert keep = 1 / (1 + exp(-b)) for b, step by step: exp(-b) = ... , then take the log.")

# =================================================================================================
# 04_input_gate

def _gate_case(rng, N, D, H):
    """x (N, D), prev_h (N, H), W (D, H), U (H, H), b (H,): the inputs of one gate."""
    return (rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(D, H)),
            rng.normal(size=(H, H)), rng.normal(size=(H,)))


def check_input_gate(fn) -> CheckResult:
    """Exercise: i_t = sigmoid(x_t W_i + h_{t-1} U_i + b_i) for a batch."""
    mistakes = [
        Mistake("your input gate uses tanh, the candidate's squashing; the gate must be a sigmoid in (0, 1): "
                "it says how much of the candidate to write, from 0 (nothing) to 1 (all of it).",
                lambda x, h, W, U, b: np.tanh(x @ W + h @ U + b)),
        Mistake("you returned the pre-activation; the gate needs the sigmoid applied to it.",
                lambda x, h, W, U, b: x @ W + h @ U + b),
        Mistake("the previous hidden state h_{t-1} is missing: the gate reads both h_{t-1} and x_t.",
                lambda x, h, W, U, b: sigmoid(x @ W + b)),
        Mistake("the bias b_i is missing: the gate is sigmoid(x W_i + h U_i + b_i).",
                lambda x, h, W, U, b: sigmoid(x @ W + h @ U)),
        Mistake("the sign is flipped: that is sigmoid(-a) = 1 - i_t, the fraction NOT written.",
                lambda x, h, W, U, b: sigmoid(-(x @ W + h @ U + b))),
    ]
    cases = _cases([(3, 4, 5), (2, 3, 2), (1, 1, 1)], 4, _gate_case)
    return run_check("input_gate", fn, solutions.input_gate, cases, mistakes,
                     hint="compute x @ W_i + prev_h @ U_i + b_i, then squash it with `sigmoid`.")


def check_candidate_state(fn) -> CheckResult:
    """Exercise: c~_t = tanh(x_t W_c + h_{t-1} U_c + b_c) for a batch."""
    mistakes = [
        Mistake("your candidate uses a sigmoid, so the cell could only ever grow: it should be tanh, in (-1, 1), "
                "so that the write i_t * c~_t can move the cell down as well as up.",
                lambda x, h, W, U, b: sigmoid(x @ W + h @ U + b)),
        Mistake("you returned the pre-activation; the candidate needs tanh applied to it, to stay in (-1, 1).",
                lambda x, h, W, U, b: x @ W + h @ U + b),
        Mistake("the bias b_c is missing: the candidate is tanh(x W_c + h U_c + b_c).",
                lambda x, h, W, U, b: np.tanh(x @ W + h @ U)),
        Mistake("the previous hidden state h_{t-1} is missing: the candidate reads both h_{t-1} and x_t.",
                lambda x, h, W, U, b: np.tanh(x @ W + b)),
        Mistake("you multiplied by a sigmoid gate; the candidate is only the proposal, tanh(...). "
                "The input gate i_t multiplies it later, in the cell update.",
                lambda x, h, W, U, b: sigmoid(x @ W + h @ U + b) * np.tanh(x @ W + h @ U + b)),
    ]
    cases = _cases([(3, 4, 5), (2, 3, 2), (1, 1, 1)], 5, _gate_case)
    return run_check("candidate_state", fn, solutions.candidate_state, cases, mistakes,
                     hint="compute x @ W_c + prev_h @ U_c + b_c, then squash it with `np.tanh`.")


# =================================================================================================
# 05_cell_update

def _cell_case(rng, N, H):
    """prev_c (N, H) of both signs, gates f and i in (0, 1), candidate g in (-1, 1)."""
    return (rng.normal(size=(N, H)), sigmoid(rng.normal(size=(N, H))), sigmoid(rng.normal(size=(N, H))),
            np.tanh(rng.normal(size=(N, H))))


def check_cell_update(fn) -> CheckResult:
    """Exercise: C_t = f_t * C_{t-1} + i_t * c~_t."""
    mistakes = [
        Mistake("you forgot the previous cell state: C_t keeps f_t * C_{t-1} and adds i_t * c~_t to it.",
                lambda c, f, i, g: i * g),
        Mistake("you left out the new write: C_t = f_t * C_{t-1} + i_t * c~_t, not only the kept part.",
                lambda c, f, i, g: f * c),
        Mistake("you swapped f_t and i_t: the forget gate scales the old memory C_{t-1}, "
                "the input gate scales the candidate c~_t.",
                lambda c, f, i, g: i * c + f * g),
        Mistake("you added where the gates should multiply: a gate scales its stream, "
                "C_t = f_t * C_{t-1} + i_t * c~_t.",
                lambda c, f, i, g: f + c + i + g),
        Mistake("the candidate is added without its gate: multiply c~_t by the input gate i_t.",
                lambda c, f, i, g: f * c + g),
        Mistake("the old memory is kept without its gate: multiply C_{t-1} by the forget gate f_t.",
                lambda c, f, i, g: c + i * g),
    ]
    cases = _cases([(3, 5), (2, 2), (1, 1)], 6, _cell_case)
    return run_check("cell_update", fn, solutions.cell_update, cases, mistakes,
                     hint="two products and one sum: (forget gate times old cell) plus (input gate times candidate).")


def check_cell_update_backward(fn) -> CheckResult:
    """Exercise: dprev_c, df, di, dg of C_t = f * C_{t-1} + i * g, given dnext_c."""
    def case(rng, N, H):
        return (rng.normal(size=(N, H)), *_cell_case(rng, N, H))

    mistakes = [
        Mistake("dprev_c is multiplied by the input gate i; along the cell state the factor is the forget gate: "
                "dprev_c = dnext_c * f.",
                lambda d, c, f, i, g: (d * i, d * c, d * g, d * i)),
        Mistake("dprev_c is multiplied by the candidate g; C_{t-1} is multiplied by f in the forward pass, "
                "so dprev_c = dnext_c * f.",
                lambda d, c, f, i, g: (d * g, d * c, d * g, d * i)),
        Mistake("dprev_c is f alone: multiply by the upstream gradient dnext_c (chain rule), dprev_c = dnext_c * f.",
                lambda d, c, f, i, g: (f, d * c, d * g, d * i)),
        Mistake("you forgot the upstream gradient dnext_c: each gradient is dnext_c times a local derivative.",
                lambda d, c, f, i, g: (f, c, g, i)),
        Mistake("dprev_c and df are swapped: dprev_c = dnext_c * f (what C_{t-1} is multiplied by), "
                "df = dnext_c * prev_c.",
                lambda d, c, f, i, g: (d * c, d * f, d * g, d * i)),
        Mistake("di and dg are swapped: di = dnext_c * g (what i is multiplied by), dg = dnext_c * i.",
                lambda d, c, f, i, g: (d * f, d * c, d * i, d * g)),
    ]
    cases = _cases([(3, 5), (2, 2), (1, 1)], 7, case)
    return run_check("cell_update_backward", fn, solutions.cell_update_backward, cases, mistakes,
                     hint="C_t is linear in each input: multiply dnext_c by the factor that input is "
                          "multiplied with, and return (dprev_c, df, di, dg).")


# =================================================================================================
# 06_output_gate

def _output_gate_case(rng, N, D, H):
    # next_c is spread beyond [-1, 1], as a real cell state can be, so a missing tanh shows
    return (rng.normal(size=(N, D)), rng.normal(size=(N, H)), 2.0 * rng.normal(size=(N, H)),
            rng.normal(size=(D, H)), rng.normal(size=(H, H)), rng.normal(size=(H,)))


def check_output_gate_and_hidden(fn) -> CheckResult:
    """Exercise: o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o) and h_t = o_t * tanh(C_t), returned as (o, h)."""
    def o_of(x, h, W, U, b):
        return sigmoid(x @ W + h @ U + b)

    mistakes = [
        Mistake("h uses C_t without tanh: h_t = o_t * tanh(C_t); the cell state can grow beyond [-1, 1] "
                "and tanh brings it back into (-1, 1) before the gate scales it.",
                lambda x, h, c, W, U, b: (o_of(x, h, W, U, b), o_of(x, h, W, U, b) * c)),
        Mistake("your output gate o uses tanh instead of sigmoid; a gate must squash to (0, 1) "
                "(0 = show nothing, 1 = show everything).",
                lambda x, h, c, W, U, b: (np.tanh(x @ W + h @ U + b), np.tanh(x @ W + h @ U + b) * np.tanh(c))),
        Mistake("you returned the pre-activation as o; the gate needs the sigmoid applied to it.",
                lambda x, h, c, W, U, b: (x @ W + h @ U + b, (x @ W + h @ U + b) * np.tanh(c))),
        Mistake("h is tanh(C_t) without the gate: multiply it by o_t, h_t = o_t * tanh(C_t).",
                lambda x, h, c, W, U, b: (o_of(x, h, W, U, b), np.tanh(c))),
        Mistake("you squashed after gating, tanh(o_t * C_t); the order is o_t * tanh(C_t): squash C_t first, "
                "then scale it by the gate.",
                lambda x, h, c, W, U, b: (o_of(x, h, W, U, b), np.tanh(o_of(x, h, W, U, b) * c))),
        Mistake("the previous hidden state h_{t-1} is missing from o: the gate reads both h_{t-1} and x_t.",
                lambda x, h, c, W, U, b: (sigmoid(x @ W + b), sigmoid(x @ W + b) * np.tanh(c))),
        Mistake("the bias b_o is missing: o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o).",
                lambda x, h, c, W, U, b: (sigmoid(x @ W + h @ U), sigmoid(x @ W + h @ U) * np.tanh(c))),
        Mistake("the two outputs are swapped: return (o, h), the gate first.",
                lambda x, h, c, W, U, b: (o_of(x, h, W, U, b) * np.tanh(c), o_of(x, h, W, U, b))),
    ]
    cases = _cases([(3, 4, 5), (2, 3, 2), (1, 1, 1)], 6, _output_gate_case)
    return run_check("output_gate_and_hidden", fn, solutions.output_gate_and_hidden, cases, mistakes,
                     hint="o = sigmoid(x @ W_o + prev_h @ U_o + b_o), then h = o * np.tanh(next_c); "
                          "return o, h.")


def _lstm_step_case(rng, N, D, H):
    return (rng.normal(size=(N, D)), rng.normal(size=(N, H)), 2.0 * rng.normal(size=(N, H)),
            rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), rng.normal(size=(4 * H,)))


def _step_blocks(x, h, W, U, b):
    """The four pre-activations of a stacked (.., 4H) product, in the order i, f, g, o."""
    return np.split(x @ W + h @ U + b, 4, axis=-1)


def _wrong_step(i_f_g_o, c, *, keep_old=True, swap_if=False, h_from="new", h_tanh=True):
    i, f, g, o = i_f_g_o
    if swap_if:
        i, f = f, i
    next_c = (f * c if keep_old else 0.0) + i * g
    shown = {"new": next_c, "old": c}[h_from]
    return o * (np.tanh(shown) if h_tanh else shown), next_c


def _acts(blocks, *, g_act=np.tanh, order="ifgo"):
    """Activated gates i, f, g, o when the stacked blocks are read in ``order`` (a learner's mix-up)."""
    a = dict(zip(order, blocks))
    return sigmoid(a["i"]), sigmoid(a["f"]), g_act(a["g"]), sigmoid(a["o"])


def check_lstm_cell_step(fn) -> CheckResult:
    """Exercise: one LSTM step (next_h, next_c) from stacked weights, compared with `numpy_lstm.lstm_step_forward`."""
    from .numpy_lstm import lstm_step_forward

    def reference(x, h, c, W, U, b):
        next_h, next_c, _ = lstm_step_forward(x, h, c, W, U, b)
        return next_h, next_c

    def wrong(acts=None, **kw):
        return lambda x, h, c, W, U, b: _wrong_step(_acts(_step_blocks(x, h, W, U, b), **(acts or {})), c, **kw)

    mistakes = [
        Mistake("the forget and input gates are swapped: C_t = f_t * C_{t-1} + i_t * c~_t. The stacked "
                "blocks are i, f, g, o, so block 0 is the input gate and block 1 the forget gate.",
                wrong(swap_if=True)),
        Mistake("you read the blocks in CS231n's order i, f, o, g; this series stacks them as PyTorch "
                "does, i, f, g, o, so block 2 is the candidate and block 3 the output gate.",
                wrong(acts=dict(order="ifog"))),
        Mistake("the candidate c~_t goes through a sigmoid; it uses tanh, so it can propose negative "
                "values, in (-1, 1).",
                wrong(acts=dict(g_act=sigmoid))),
        Mistake("the previous cell state is missing: C_t = f_t * C_{t-1} + i_t * c~_t keeps part of the "
                "old memory; without f_t * C_{t-1} the cell forgets everything at every step.",
                wrong(keep_old=False)),
        Mistake("h uses the old cell state C_{t-1}; it should show the new one, h_t = o_t * tanh(C_t).",
                wrong(h_from="old")),
        Mistake("h uses C_t without tanh: h_t = o_t * tanh(C_t).",
                wrong(h_tanh=False)),
        Mistake("the two outputs are swapped: return (next_h, next_c), the hidden state first.",
                lambda x, h, c, W, U, b: reference(x, h, c, W, U, b)[::-1]),
    ]
    cases = _cases([(3, 4, 5), (2, 3, 2), (1, 1, 1)], 6, _lstm_step_case)
    return run_check("lstm_cell_step", fn, reference, cases, mistakes,
                     hint="call input_gate, forget_gate, candidate and output_gate with the stacked Wx, Wh, b "
                          "(each picks its own block), then next_c = cell_update(prev_c, f, i, g) and "
                          "next_h = hidden_state(o, next_c); return next_h, next_c.")

# =================================================================================================
# 07_lstm_from_scratch

def mystery_gates_backward(dnext_h, dnext_c, i, f, g, o, tanh_c, prev_c):
    """The gate part of one LSTM step's backward pass, without peepholes, with ONE wrong line (notebook 07).

    Inputs: the upstream gradients dnext_h and dnext_c, and the step's cached i, f, g, o,
    tanh_c = tanh(C_t) and prev_c = C_{t-1}, each (N, H). Returns da (N, 4H), the gradient on the
    pre-activations in the order i, f, g, o, and dprev_c (N, H).
    """
    do = dnext_h * np.tanh(tanh_c)
    da_o = do * o * (1.0 - o)
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c**2)
    di = dc * g
    dg = dc * i
    df = dc * prev_c
    dprev_c = dc * f
    da_i = di * i * (1.0 - i)
    da_f = df * f * (1.0 - f)
    da_g = dg * (1.0 - g**2)
    return np.concatenate([da_i, da_f, da_g, da_o], axis=1), dprev_c


def _cell_grad_case(rng, N, H):
    # o in (0, 1) like a gate; tanh_c spread over (-1, 1) like tanh of a real cell state
    return (rng.normal(size=(N, H)), rng.normal(size=(N, H)), sigmoid(rng.normal(size=(N, H))),
            np.tanh(2.0 * rng.normal(size=(N, H))))


def check_cell_state_grad(fn) -> CheckResult:
    """Exercise: dc = dnext_c + dnext_h * o * (1 - tanh_c**2), the gradient reaching C_t along both paths."""
    mistakes = [
        Mistake("you dropped the gradient arriving along the cell-state highway: C_t also feeds C_{t+1} "
                "directly, so dnext_c must be added to what comes through h_t.",
                lambda dh, dc, o, tc: dh * o * (1.0 - tc**2)),
        Mistake("the tanh derivative is missing: h_t = o_t * tanh(C_t), so the path from h_t to C_t is "
                "multiplied by o_t AND by tanh'(C_t) = 1 - tanh(C_t)**2 = 1 - tanh_c**2.",
                lambda dh, dc, o, tc: dc + dh * o),
        Mistake("o * (1 - o) is the sigmoid's derivative, which belongs to the output gate's own "
                "pre-activation (da_o); the path from h_t to C_t goes through tanh: o * (1 - tanh_c**2).",
                lambda dh, dc, o, tc: dc + dh * o * (1.0 - o)),
        Mistake("1 - tanh_c is not tanh's derivative; it is 1 - tanh(C_t)**2, so square tanh_c.",
                lambda dh, dc, o, tc: dc + dh * o * (1.0 - tc)),
        Mistake("tanh_c already holds tanh(C_t); you applied tanh to it a second time. "
                "The derivative is 1 - tanh_c**2.",
                lambda dh, dc, o, tc: dc + dh * o * (1.0 - np.tanh(tc)**2)),
        Mistake("the factor in front is the output gate o_t (dh_t/dtanh(C_t) = o_t), not tanh_c: "
                "dnext_h * o * (1 - tanh_c**2).",
                lambda dh, dc, o, tc: dc + dh * tc * (1.0 - tc**2)),
        Mistake("you multiplied the two paths instead of adding them: gradients arriving along different "
                "paths are summed (the multivariable chain rule).",
                lambda dh, dc, o, tc: dc * dh * o * (1.0 - tc**2)),
    ]
    cases = _cases([(3, 5), (2, 2), (1, 1)], 7, _cell_grad_case)
    return run_check("cell_state_grad", fn, solutions.cell_state_grad, cases, mistakes,
                     hint="two paths leave C_t: straight on to C_{t+1} (gradient dnext_c) and through "
                          "h_t = o_t * tanh(C_t) (gradient dnext_h times dh_t/dC_t). Add them.")


_GATE_ANSWERS = {"i": "i", "input": "i", "input gate": "i", "输入门": "i",
                 "f": "f", "forget": "f", "forget gate": "f", "遗忘门": "f",
                 "g": "g", "candidate": "g", "candidate state": "g", "c~": "g", "候选状态": "g",
                 "o": "o", "output": "o", "output gate": "o", "输出门": "o"}


def check_find_bug_gate(fn) -> CheckResult:
    """Exercise: name the gate ('i', 'f', 'g' or 'o') whose gradient `mystery_gates_backward` gets wrong."""
    from .numpy_lstm import GATE_NAMES

    label = "`find_bug_gate`"
    try:
        answer = fn()
    except NotImplementedError:
        return CheckResult(False, f"{TODO} {label} is not written yet. Hint: run "
                                  "`gate_block_errors(mystery_gates_backward)` and return the letter of the "
                                  "gate whose block of db fails (relative error far above 1e-7).", "unfinished")
    except Exception as exc:  # a learner's crash becomes one readable line, not a traceback
        return CheckResult(False, f"{FAIL} {label} raised {type(exc).__name__}: {exc}", "crash")
    if answer is None:
        return CheckResult(False, f"{FAIL} {label} returned None: did you forget `return`?", "returned None")
    gate = _GATE_ANSWERS.get(str(answer).strip().lower()) if isinstance(answer, str) else None
    if gate is None:
        return CheckResult(False, f"{FAIL} {label} returned {answer!r}; answer with one letter: "
                                  "'i', 'f', 'g' or 'o'.", "not a gate")
    if gate == "o":
        return CheckResult(True, f"{PASS} {label}: yes, the output gate's block. It alone fails while i, f, g "
                                 "and dprev_c pass, so the wrong line is one of the two that make da_o "
                                 "(do or da_o). Fix it in the next exercise.")
    return CheckResult(False, f"{FAIL} {label}: the {GATE_NAMES[gate]} block passes the gradient check (its "
                              "relative error is below 1e-7), so its gradient is right. Look for the block "
                              "whose error is far above 1e-7.", f"wrong gate {gate}")


def _gates_backward_case(rng, N, H):
    i, f, o = (sigmoid(rng.normal(size=(N, H))) for _ in range(3))
    g, tanh_c = np.tanh(rng.normal(size=(N, H))), np.tanh(2.0 * rng.normal(size=(N, H)))
    return rng.normal(size=(N, H)), rng.normal(size=(N, H)), i, f, g, o, tanh_c, 2.0 * rng.normal(size=(N, H))


def check_fixed_gates_backward(fn) -> CheckResult:
    """Exercise: `mystery_gates_backward` with its wrong line fixed, compared with the reference."""
    from .numpy_lstm import reorder_gates

    ref = solutions.fixed_gates_backward

    def with_do(do_of):  # the reference with the line `do = ...` replaced
        def wrong(dh, dc, i, f, g, o, tc, pc):
            da, dprev_c = ref(dh, dc, i, f, g, o, tc, pc)
            H = i.shape[1]
            da = da.copy()
            da[:, 3 * H:] = dh * do_of(tc, pc) * o * (1.0 - o)
            return da, dprev_c
        return wrong

    mistakes = [
        Mistake("this is still the mystery's output: its o block of da is wrong. Run "
                "`gate_block_errors(fixed_gates_backward)` and read the lines that make da_o.",
                mystery_gates_backward),
        Mistake("do uses tanh of the OLD cell state; h_t = o_t * tanh(C_t) shows the new one, which the "
                "cache already holds as tanh_c: do = dnext_h * tanh_c.",
                with_do(lambda tc, pc: np.tanh(pc))),
        Mistake("do is missing the factor tanh(C_t): h_t = o_t * tanh(C_t), so dL/do_t = dnext_h * tanh_c.",
                with_do(lambda tc, pc: np.ones_like(tc))),
        Mistake("da stacks the blocks in CS231n's order i, f, o, g; this series (and PyTorch) uses i, f, g, o.",
                lambda *a: (reorder_gates(ref(*a)[0], "ifgo", "ifog"), ref(*a)[1])),
    ]
    cases = _cases([(3, 5), (2, 2), (1, 1)], 8, _gates_backward_case)
    return run_check("fixed_gates_backward", fn, ref, cases, mistakes,
                     hint="copy `mystery_gates_backward` (show_source shows it), change the one line that "
                          "the gradient check points at, and return da, dprev_c.")


def _merge_biases(out):
    """(w_ih, w_hh, b_ih, b_hh) -> (w_ih, w_hh, b_ih + b_hh, 0): any split of the bias with the right sum is right."""
    if isinstance(out, (tuple, list)) and len(out) == 4:
        try:
            total = np.asarray(out[2], dtype=np.float64) + np.asarray(out[3], dtype=np.float64)
        except (TypeError, ValueError):
            return tuple(out)
        return out[0], out[1], total, np.zeros(np.shape(out[3]))
    return out


def _torch_weights_case(rng, D, H):
    return rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), rng.normal(size=(4 * H,))


def check_numpy_to_torch_weights(fn) -> CheckResult:
    """Exercise: numpy (Wx, Wh, b) -> nn.LSTM's (weight_ih, weight_hh, bias_ih, bias_hh)."""
    from .numpy_lstm import reorder_gates

    def model(w_ih, w_hh, b):
        return lambda Wx, Wh, bb: (w_ih(Wx, Wh), w_hh(Wx, Wh), b(bb), np.zeros_like(bb))

    mistakes = [
        Mistake("you forgot the transposes: nn.LSTM stores weight_ih as (4H, D) and weight_hh as (4H, H), "
                "the transposes of Wx (D, 4H) and Wh (H, 4H).",
                model(lambda Wx, Wh: Wx, lambda Wx, Wh: Wh, lambda b: b)),
        Mistake("weight_ih must be Wx.T, shape (4H, D): you transposed Wh but not Wx.",
                model(lambda Wx, Wh: Wx, lambda Wx, Wh: Wh.T, lambda b: b)),
        Mistake("weight_hh must be Wh.T, shape (4H, H): you transposed Wx but not Wh.",
                model(lambda Wx, Wh: Wx.T, lambda Wx, Wh: Wh, lambda b: b)),
        Mistake("weight_ih and weight_hh are swapped: weight_ih (input-to-hidden) comes from Wx, "
                "weight_hh (hidden-to-hidden) from Wh.",
                model(lambda Wx, Wh: Wh.T, lambda Wx, Wh: Wx.T, lambda b: b)),
        Mistake("you put b into both bias_ih and bias_hh: nn.LSTM adds the two, so every gate would see 2b. "
                "Put b into one of them and zeros into the other.",
                model(lambda Wx, Wh: Wx.T, lambda Wx, Wh: Wh.T, lambda b: 2.0 * b)),
        Mistake("you reordered the gate blocks (to CS231n's i, f, o, g?); nn.LSTM and this package both "
                "stack i, f, g, o, so no block moves.",
                model(lambda Wx, Wh: reorder_gates(Wx.T, "ifgo", "ifog", axis=0),
                      lambda Wx, Wh: reorder_gates(Wh.T, "ifgo", "ifog", axis=0),
                      lambda b: reorder_gates(b, "ifgo", "ifog"))),
    ]
    cases = _cases([(3, 5), (4, 2), (2, 2)], 9, _torch_weights_case)
    return run_check("numpy_to_torch_weights", lambda Wx, Wh, b: _merge_biases(fn(Wx, Wh, b)),
                     lambda Wx, Wh, b: _merge_biases(solutions.numpy_to_torch_weights(Wx, Wh, b)),
                     cases, mistakes,
                     hint="nn.LSTM stores each weight as (4H, its input size), gates in the same order; it "
                          "adds bias_ih and bias_hh, so their sum must be b. Return the four arrays.")

# =================================================================================================
# 08_rnn_vs_lstm_long_range

def check_mean_predictor_mse(fn) -> CheckResult:
    """Exercise: the MSE of the best constant prediction when the target is a sum of n U(0, 1) numbers."""
    mistakes = [
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
    ]
    cases = [Case((2,)), Case((3,)), Case((1,)), Case((5,))]
    return run_check("mean_predictor_mse", fn, solutions.mean_predictor_mse, cases, mistakes,
                     hint="the best constant is the mean of the sum, and its MSE is the variance of the sum; "
                          "what is the variance of one U(0, 1) number, and how do variances of independent numbers combine?")


def check_count_parameters(fn) -> CheckResult:
    """Exercise: trainable numbers of one layer of nn.RNN / nn.GRU / nn.LSTM."""
    blocks = {"rnn": 1, "gru": 3, "lstm": 4}

    def with_blocks(**changed):
        table = {**blocks, **changed}
        return lambda kind, H, D: table[kind] * H * (D + H + 2)

    mistakes = [
        Mistake("you counted one bias vector per block; PyTorch keeps two, bias_ih and bias_hh "
                "(only their sum matters to the output, but both are trained parameters).",
                lambda kind, H, D: blocks[kind] * H * (D + H + 1)),
        Mistake("your LSTM has three blocks; it has four: input gate, forget gate, candidate g and "
                "output gate (i, f, g, o). The candidate has its own weights too.",
                with_blocks(lstm=3)),
        Mistake("your GRU has four blocks, like an LSTM; it has three: reset gate r, update gate z "
                "and the candidate n (no output gate, no separate cell state).",
                with_blocks(gru=4)),
        Mistake("your GRU has two blocks; it has three: reset gate r, update gate z and the candidate n, "
                "each with its own weights.",
                with_blocks(gru=2)),
        Mistake("the recurrent weights weight_hh (H x H per block) are missing; they are what makes the "
                "layer recurrent.",
                lambda kind, H, D: blocks[kind] * H * (D + 2)),
        Mistake("the input weights weight_ih (H x D per block) are missing.",
                lambda kind, H, D: blocks[kind] * H * (H + 2)),
        Mistake("you counted every kind as one block (a plain RNN). The GRU has 3 blocks of weights, the "
                "LSTM 4.",
                lambda kind, H, D: H * (D + H + 2)),
    ]
    cases = [Case(("lstm", 32, 2)), Case(("gru", 37, 2)), Case(("rnn", 66, 2)), Case(("lstm", 5, 7)),
             Case(("gru", 1, 1)), Case(("rnn", 3, 10))]
    return run_check("count_parameters", fn, solutions.count_parameters, cases, mistakes,
                     hint="each gate block has weight_ih (H x D), weight_hh (H x H) and two bias vectors of H; "
                          "count the blocks of each kind.")


# =================================================================================================
# 09_training_on_gpu

def _softmax_last(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _nan_as_minus_one(fn):
    """``fn`` with nan and inf in its output replaced by -1, so an overflowing softmax can be recognised."""
    def wrapped(*args, **kwargs):
        out = fn(*args, **kwargs)
        if out is None:
            return None
        with np.errstate(invalid="ignore"):
            out = np.asarray(out, dtype=np.float64)
        return np.nan_to_num(out, nan=-1.0, posinf=-1.0, neginf=-1.0)
    return wrapped


def _overflowing_softmax(z):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


def check_temperature_probs(fn) -> CheckResult:
    """Exercise: next-character probabilities at a temperature, softmax(logits / T) over the last axis."""
    mistakes = [
        Mistake("you multiplied the logits by the temperature; divide them. T = 0.5 must sharpen the "
                "distribution (logits twice as far apart), T = 2 must flatten it.",
                lambda z, T: _softmax_last(z * T)),
        Mistake("you took the softmax first and divided the probabilities by the temperature afterwards: "
                "they no longer sum to 1 and their ratios did not change. Scale the logits, then softmax.",
                lambda z, T: _softmax_last(z) / T),
        Mistake("you raised the probabilities to the power 1/T but did not normalise them again; "
                "softmax(z / T) is p**(1/T) divided by its sum over the row.",
                lambda z, T: _softmax_last(z) ** (1 / T)),
        Mistake("the temperature has no effect in your version: you returned softmax(logits).",
                lambda z, T: _softmax_last(z)),
        Mistake("you normalised over the whole array; each row (the last axis) is its own distribution "
                "and must sum to 1 on its own.",
                lambda z, T: np.exp(z / T - (z / T).max()) / np.exp(z / T - (z / T).max()).sum()),
        Mistake("your softmax overflows: exp of a logit near 1000 is inf, and inf / inf is nan. Subtract "
                "each row's largest (scaled) logit before exp; the shift cancels in the ratio.",
                lambda z, T: np.nan_to_num(_overflowing_softmax(z / T), nan=-1.0, posinf=-1.0, neginf=-1.0)),
    ]
    rng = np.random.default_rng(9)
    big = np.array([[1000.0, 999.0, 990.0, 995.0, 1001.0], [3.0, -2.0, 0.5, 1.0, 2.0]])
    cases = [Case((rng.normal(scale=2.0, size=(3, 7)), 0.5)), Case((rng.normal(size=(5,)), 2.0)),
             Case((rng.normal(scale=3.0, size=(2, 4)), 1.3)), Case((big, 0.8))]
    return run_check("temperature_probs", _nan_as_minus_one(fn), solutions.temperature_probs, cases, mistakes,
                     hint="divide the logits by the temperature, subtract the largest value of each row "
                          "(keepdims=True), exponentiate, and divide by the sum over the last axis.")


def _lr_curve(fn):
    """The learner's lr_at(step, ...) evaluated at every step from 0 to max_steps + 5."""
    def curve(lr, warmup_steps, max_steps, min_lr_ratio):
        values = [fn(s, lr, warmup_steps, max_steps, min_lr_ratio) for s in range(max_steps + 6)]
        return None if any(v is None for v in values) else np.array(values, dtype=np.float64)
    return curve


def _wrong_schedule(*, warmup="plus_one", decay="cosine", floor="ratio", clamp=True):
    """A schedule with one typical mistake, as a function of (lr, warmup_steps, max_steps, min_lr_ratio)."""
    def schedule(step, lr, w, m, r):
        if warmup != "none" and step < w:
            return lr * (step + 1) / w if warmup == "plus_one" else lr * step / w
        if warmup == "none":
            progress = step / max(1, m)
        else:
            progress = (step - w) / max(1, m - w)
        if clamp:
            progress = min(1.0, progress)
        shape = 0.5 * (1 + np.cos(np.pi * progress)) if decay == "cosine" else 1 - progress
        if floor == "zero":
            return lr * shape
        if floor == "absolute":
            return r + (lr - r) * shape
        return lr * (r + (1 - r) * shape)
    return _lr_curve(schedule)


def check_lr_at(fn) -> CheckResult:
    """Exercise: linear warmup then cosine decay to min_lr_ratio * lr, the schedule of train.lr_factor."""
    full_from_start = _lr_curve(lambda s, lr, w, m, r: lr * (r + (1 - r) * 0.5 * (
        1 + np.cos(np.pi * min(1.0, max(0.0, (s - w) / max(1, m - w)))))))
    mistakes = [
        Mistake("there is no warmup: your learning rate starts at its full value. For the first "
                "warmup_steps steps it must rise linearly, lr * (step + 1) / warmup_steps, so that Adam's "
                "first, noisy updates stay small.",
                _wrong_schedule(warmup="none")),
        Mistake("there is no warmup: your learning rate is at its full value during the first warmup_steps "
                "steps. It must rise linearly there, lr * (step + 1) / warmup_steps.",
                lambda lr, w, m, r: full_from_start(lr, w, m, r)),
        Mistake("your warmup starts at 0: with lr * step / warmup_steps the first update does nothing. Use "
                "(step + 1) / warmup_steps, so step 0 already gets lr / warmup_steps.",
                _wrong_schedule(warmup="from_zero")),
        Mistake("your decay is a straight line. After the warmup the schedule follows half a cosine, "
                "0.5 * (1 + cos(pi * progress)), which stays high longer and flattens out at the end.",
                _wrong_schedule(decay="linear")),
        Mistake("your schedule decays to 0; it should end at min_lr_ratio * lr, so the last steps still learn.",
                _wrong_schedule(floor="zero")),
        Mistake("min_lr_ratio is a fraction of lr, not a learning rate: the floor is min_lr_ratio * lr.",
                _wrong_schedule(floor="absolute")),
        Mistake("after max_steps your cosine rises again; clamp progress at 1 (min(1, progress)) so the "
                "learning rate stays at its floor.",
                _wrong_schedule(clamp=False)),
    ]
    cases = [Case((2e-3, 10, 100, 0.1)), Case((1e-2, 5, 60, 0.05)), Case((3e-4, 1, 20, 0.2))]
    return run_check("lr_at", _lr_curve(fn), _lr_curve(solutions.lr_at), cases, mistakes,
                     hint="if step < warmup_steps: lr * (step + 1) / warmup_steps; else progress = (step - "
                          "warmup_steps) / (max_steps - warmup_steps), capped at 1, and "
                          "lr * (min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + cos(pi * progress))).")

# =================================================================================================
# 10_inside_a_trained_lstm

def _depth(text, opens="([{", closes=")]}", close_step=-1):
    depth, out = 0, []
    for ch in text:
        depth += 1 if ch in opens else close_step if ch in closes else 0
        out.append(depth)
    return np.array(out, dtype=np.float64)


def check_bracket_depth(fn) -> CheckResult:
    """Exercise: the bracket depth after each character, counting ( [ { up and ) ] } down."""
    mistakes = [
        Mistake("your depth never decreases: a closing bracket ) ] } must subtract 1, "
                "so that after `f(x)` the depth is back to 0.",
                lambda text: _depth(text, close_step=0)),
        Mistake("closing brackets add 1 like opening ones; ) ] } must subtract 1.",
                lambda text: _depth(text, close_step=1)),
        Mistake("you count only round brackets; [ ] and { } nest as well: in `f([x])` the x is at depth 2.",
                lambda text: _depth(text, "(", ")")),
        Mistake("your depth is one character late: entry t must include character t itself (the depth "
                "after reading it), so an opening bracket is already at depth 1.",
                lambda text: np.concatenate([[0.0], solutions.bracket_depth(text)[:-1]])),
    ]
    cases = [Case(("d[k](x, {1: [2]})",)), Case(("f(a)[0] + g({'k': (1, 2)})",)), Case(("((\n))",)),
             Case(("x = 1",))]
    return run_check("bracket_depth", fn, solutions.bracket_depth, cases, mistakes,
                     hint="walk through the text once with a counter: +1 at ( [ {, -1 at ) ] }, and append "
                          "the counter after each character.")


def _correlation_case(rng, T, H):
    values = rng.normal(loc=2.0 * rng.normal(size=H), size=(T, H))  # units with non-zero means
    feature = 0.7 * values[:, 0] - 0.4 * values[:, -1] + rng.normal(size=T) + 3.0
    return values, feature


def _cosine(values, feature):
    return (feature @ values) / np.sqrt((values ** 2).sum(axis=0) * (feature @ feature))


def check_unit_correlations(fn) -> CheckResult:
    """Exercise: Pearson r of every unit's activation (T, H) with a feature (T,)."""
    ref = solutions.unit_correlations

    def covariance(values, feature, ddof):
        return (feature - feature.mean()) @ (values - values.mean(axis=0)) / (len(feature) - ddof)

    mistakes = [
        Mistake("you did not subtract the means: that is the cosine similarity of the raw vectors, not "
                "Pearson's r. Centre each unit and the feature over time first.", _cosine),
        Mistake("that is the covariance; divide it by both standard deviations so that r lies in [-1, 1] "
                "and does not depend on the units' scale.", lambda v, x: covariance(v, x, 0)),
        Mistake("that is the covariance (with 1 / (T - 1)); divide it by both standard deviations so that "
                "r lies in [-1, 1].", lambda v, x: covariance(v, x, 1)),
        Mistake("you mixed 1 / (T - 1) in the covariance with 1 / T in the standard deviations (np.std's "
                "default): use the same factor in both, or none, since it cancels.",
                lambda v, x: ref(v, x) * len(x) / (len(x) - 1)),
        Mistake("you mixed 1 / T in the covariance with 1 / (T - 1) in the standard deviations: use the "
                "same factor in both, or none, since it cancels.",
                lambda v, x: ref(v, x) * (len(x) - 1) / len(x)),
        Mistake("you centred each time step across units (mean over axis 1); each unit must be centred over "
                "time, values.mean(axis=0).",
                lambda v, x: _cosine(v - v.mean(axis=1, keepdims=True), x - x.mean())),
    ]
    cases = _cases([(40, 5), (7, 3), (200, 2)], 10, _correlation_case)
    return run_check("unit_correlations", fn, ref, cases, mistakes,
                     hint="centre: v = values - values.mean(axis=0), x = feature - feature.mean(); then "
                          "r = (x @ v) / sqrt((v**2).sum(axis=0) * (x @ x)), one r per unit.")
