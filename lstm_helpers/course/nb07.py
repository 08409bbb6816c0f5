"""Notebook 07 (a whole LSTM from scratch, checked): its exercises, their checkers and its figures.

Exercises: `cell_state_grad`, `find_bug_gate` and `fixed_gates_backward` (around `mystery_gates_backward`,
a backward pass with one wrong line) and `numpy_to_torch_weights`.
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..numpy_lstm import GATE_NAMES, reorder_gates
from ..plots import LSTM_COLOR, axes_or_new
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import (FAIL, PASS, CheckResult, Mistake, crashed, make_cases, register_hints, run_check, solution,
                       unfinished)

# -------------------------------------------------------------------------------------------------
# The find-the-bug task and the reference solutions

# deliberate teaching pair: mystery_gates_backward and fixed_gates_backward differ in one line (the exercise)
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


@solution
def cell_state_grad(dnext_h, dnext_c, o, tanh_c):
    """dL/dC_t from the two paths that leave C_t: straight on to C_{t+1}, and out through h_t = o_t * tanh(C_t)."""
    return dnext_c + dnext_h * o * (1.0 - tanh_c**2)  # highway + (dL/dh_t)(dh_t/dC_t)


@solution
def find_bug_gate():
    """`gate_block_errors(mystery_gates_backward)` fails only in the o block of db (about 1e-1); i, f, g pass."""
    return "o"


@solution  # deliberate teaching pair: the reference answer to mystery_gates_backward, one line changed
def fixed_gates_backward(dnext_h, dnext_c, i, f, g, o, tanh_c, prev_c):
    """`mystery_gates_backward` with its one wrong line fixed; returns da (N, 4H), blocks i, f, g, o, and dprev_c."""
    do = dnext_h * tanh_c  # the fix: tanh_c already holds tanh(C_t); the mystery took tanh of it again
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


@solution
def numpy_to_torch_weights(Wx, Wh, b):
    """numpy (Wx (D, 4H), Wh (H, 4H), b (4H,)) -> nn.LSTM's (weight_ih (4H, D), weight_hh (4H, H), bias_ih, bias_hh)."""
    # same gate order i, f, g, o on both sides: only the transposes; nn.LSTM adds the two biases, so b goes in once
    return Wx.T, Wh.T, b, np.zeros_like(b)

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "cell_state_grad": "two paths leave C_t: straight on to C_{t+1} (gradient dnext_c) and through "
                       "h_t = o_t * tanh(C_t) (gradient dnext_h times dh_t/dC_t). Add them.",
    "find_bug_gate": "run `gate_block_errors(mystery_gates_backward)` and return the letter of the "
                     "gate whose block of db fails (relative error far above 1e-7).",
    "fixed_gates_backward": "copy `mystery_gates_backward` (show_source shows it), change the one line that "
                            "the gradient check points at, and return da, dprev_c.",
    "numpy_to_torch_weights": "nn.LSTM stores each weight as (4H, its input size), gates in the same order; it "
                              "adds bias_ih and bias_hh, so their sum must be b. Return the four arrays.",
})


def _with_do(do_of):
    """`fixed_gates_backward` with the line `do = ...` replaced by ``dnext_h * do_of(tanh_c, prev_c)``."""
    def wrong(dh, dc, i, f, g, o, tc, pc):
        da, dprev_c = fixed_gates_backward(dh, dc, i, f, g, o, tc, pc)
        H = i.shape[1]
        da = da.copy()
        da[:, 3 * H:] = dh * do_of(tc, pc) * o * (1.0 - o)
        return da, dprev_c
    return wrong


def _torch_weights(w_ih, w_hh, b):
    """A wrong conversion built from three maps: (Wx, Wh) -> weight_ih, (Wx, Wh) -> weight_hh, b -> bias_ih."""
    return lambda Wx, Wh, bb: (w_ih(Wx, Wh), w_hh(Wx, Wh), b(bb), np.zeros_like(bb))


MISTAKES = {
    "cell_state_grad": [
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
    ],
    "fixed_gates_backward": [
        Mistake("this is still the mystery's output: its o block of da is wrong. Run "
                "`gate_block_errors(fixed_gates_backward)` and read the lines that make da_o.",
                mystery_gates_backward),
        Mistake("do uses tanh of the OLD cell state; h_t = o_t * tanh(C_t) shows the new one, which the "
                "cache already holds as tanh_c: do = dnext_h * tanh_c.",
                _with_do(lambda tc, pc: np.tanh(pc))),
        Mistake("do is missing the factor tanh(C_t): h_t = o_t * tanh(C_t), so dL/do_t = dnext_h * tanh_c.",
                _with_do(lambda tc, pc: np.ones_like(tc))),
        Mistake("da stacks the blocks in CS231n's order i, f, o, g; this series (and PyTorch) uses i, f, g, o.",
                lambda *a: (reorder_gates(fixed_gates_backward(*a)[0], "ifgo", "ifog"), fixed_gates_backward(*a)[1])),
    ],
    "numpy_to_torch_weights": [
        Mistake("you forgot the transposes: nn.LSTM stores weight_ih as (4H, D) and weight_hh as (4H, H), "
                "the transposes of Wx (D, 4H) and Wh (H, 4H).",
                _torch_weights(lambda Wx, Wh: Wx, lambda Wx, Wh: Wh, lambda b: b)),
        Mistake("weight_ih must be Wx.T, shape (4H, D): you transposed Wh but not Wx.",
                _torch_weights(lambda Wx, Wh: Wx, lambda Wx, Wh: Wh.T, lambda b: b)),
        Mistake("weight_hh must be Wh.T, shape (4H, H): you transposed Wx but not Wh.",
                _torch_weights(lambda Wx, Wh: Wx.T, lambda Wx, Wh: Wh, lambda b: b)),
        Mistake("weight_ih and weight_hh are swapped: weight_ih (input-to-hidden) comes from Wx, "
                "weight_hh (hidden-to-hidden) from Wh.",
                _torch_weights(lambda Wx, Wh: Wh.T, lambda Wx, Wh: Wx.T, lambda b: b)),
        Mistake("you put b into both bias_ih and bias_hh: nn.LSTM adds the two, so every gate would see 2b. "
                "Put b into one of them and zeros into the other.",
                _torch_weights(lambda Wx, Wh: Wx.T, lambda Wx, Wh: Wh.T, lambda b: 2.0 * b),
                example=lambda Wx, Wh, b: (Wx.T, Wh.T, b, b)),
        Mistake("you reordered the gate blocks (to CS231n's i, f, o, g?); nn.LSTM and this package both "
                "stack i, f, g, o, so no block moves.",
                _torch_weights(lambda Wx, Wh: reorder_gates(Wx.T, "ifgo", "ifog", axis=0),
                               lambda Wx, Wh: reorder_gates(Wh.T, "ifgo", "ifog", axis=0),
                               lambda b: reorder_gates(b, "ifgo", "ifog"))),
    ],
}

# the answers `find_bug_gate` may give, in any spelling the notebook's prose uses
GATE_ANSWERS = {"i": "i", "input": "i", "input gate": "i", "输入门": "i",
                "f": "f", "forget": "f", "forget gate": "f", "遗忘门": "f",
                "g": "g", "candidate": "g", "candidate state": "g", "c~": "g", "候选状态": "g",
                "o": "o", "output": "o", "output gate": "o", "输出门": "o"}

# -------------------------------------------------------------------------------------------------
# Checkers

def _cell_grad_case(rng, N, H):
    # o in (0, 1) like a gate; tanh_c spread over (-1, 1) like tanh of a real cell state
    return (rng.normal(size=(N, H)), rng.normal(size=(N, H)), sigmoid(rng.normal(size=(N, H))),
            np.tanh(2.0 * rng.normal(size=(N, H))))


def check_cell_state_grad(fn) -> CheckResult:
    """Exercise: dc = dnext_c + dnext_h * o * (1 - tanh_c**2), the gradient reaching C_t along both paths."""
    cases = make_cases([(3, 5), (2, 2), (1, 1)], 7, _cell_grad_case)
    return run_check("cell_state_grad", fn, cell_state_grad, cases, MISTAKES["cell_state_grad"],
                     hint=HINTS["cell_state_grad"])


def check_find_bug_gate(fn) -> CheckResult:
    """Exercise: name the gate ('i', 'f', 'g' or 'o') whose gradient `mystery_gates_backward` gets wrong."""
    label = "`find_bug_gate`"
    try:
        answer = fn()
    except NotImplementedError:
        return unfinished(label, HINTS["find_bug_gate"])
    except Exception as exc:  # a learner's crash becomes one readable line, not a traceback
        return crashed(label, exc)
    if answer is None:
        return CheckResult(False, f"{FAIL} {label} returned None: did you forget `return`?", "returned None")
    gate = GATE_ANSWERS.get(str(answer).strip().lower()) if isinstance(answer, str) else None
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


def gates_backward_case(rng, N, H):
    """Inputs of `mystery_gates_backward` for N sequences of H units: gates in range, C_t spread beyond [-1, 1]."""
    i, f, o = (sigmoid(rng.normal(size=(N, H))) for _ in range(3))
    g, tanh_c = np.tanh(rng.normal(size=(N, H))), np.tanh(2.0 * rng.normal(size=(N, H)))
    return rng.normal(size=(N, H)), rng.normal(size=(N, H)), i, f, g, o, tanh_c, 2.0 * rng.normal(size=(N, H))


def check_fixed_gates_backward(fn) -> CheckResult:
    """Exercise: `mystery_gates_backward` with its wrong line fixed, compared with the reference."""
    cases = make_cases([(3, 5), (2, 2), (1, 1)], 8, gates_backward_case)
    return run_check("fixed_gates_backward", fn, fixed_gates_backward, cases, MISTAKES["fixed_gates_backward"],
                     hint=HINTS["fixed_gates_backward"])


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
    cases = make_cases([(3, 5), (4, 2), (2, 2)], 9, _torch_weights_case)
    return run_check("numpy_to_torch_weights", lambda Wx, Wh, b: _merge_biases(fn(Wx, Wh, b)),
                     lambda Wx, Wh, b: _merge_biases(numpy_to_torch_weights(Wx, Wh, b)),
                     cases, MISTAKES["numpy_to_torch_weights"], hint=HINTS["numpy_to_torch_weights"])

# -------------------------------------------------------------------------------------------------
# Figures of this notebook only

def plot_error_fingerprints(rows: dict, *, threshold=1e-7, ax=None, title="Gradient check: relative errors"):
    """Heatmap of gradient-check relative errors: one row per backward variant, one column per gradient.

    ``rows`` maps a row label to a dict {gradient name: relative error}; columns are the union of
    the names, in first-seen order, and a missing entry is left blank. Colour is log10(error),
    green below ``threshold`` (the gradient is right) and red above; each cell shows its error.
    """
    from matplotlib.colors import TwoSlopeNorm

    cols = list(dict.fromkeys(name for errs in rows.values() for name in errs))
    vals = np.array([[rows[r].get(c, np.nan) for c in cols] for r in rows], dtype=float)
    ax = axes_or_new(ax, figsize=(max(6, 0.9 * len(cols) + 3), 0.55 * len(rows) + 1.6))
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
    ax = axes_or_new(ax)
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

