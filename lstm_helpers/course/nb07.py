"""Notebook 07 (a whole LSTM from scratch, checked): its exercises, their checkers and its figures.

Exercises: `lstm_step_backward` (one step's backward pass from scratch), `cell_state_grad`, `find_bug_gate`
and `fixed_gates_backward` (around `mystery_gates_backward`, a backward pass with one wrong line) and
`numpy_to_torch_weights`.
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..numpy_lstm import GATE_NAMES, reorder_gates
from ..plots import LSTM_COLOR, axes_or_new
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import (FAIL, PASS, CheckResult, Mistake, crashed, first_hint, learner_label, make_cases,
                       register_hints, run_check, solution, unfinished)

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
def lstm_step_backward(dnext_h, dnext_c, x, prev_h, prev_c, Wx, Wh, b):
    """Backward pass of one LSTM step (gates i, f, g, o); returns dx, dprev_h, dprev_c, dWx, dWh, db."""
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b  # the forward pass again: the backward pass needs its values
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c**2)  # C_t reaches the loss directly and through h_t
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                         dc * i * (1 - g**2), dnext_h * tanh_c * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


@solution
def cell_state_grad(dnext_h, dnext_c, o, tanh_c):
    """dL/dC_t from the two paths that leave C_t: straight on to C_{t+1}, and out through h_t = o_t * tanh(C_t)."""
    return dnext_c + dnext_h * o * (1.0 - tanh_c**2)  # highway + (dL/dh_t)(dh_t/dC_t)


@solution
def find_bug_gate():
    """(gate, line): the o block of db alone fails `gate_block_errors(mystery_gates_backward)` (about 1e-1),
    and of the two lines that make da_o the wrong one assigns `do` (it takes tanh of tanh_c)."""
    return "o", "do"


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
    "lstm_step_backward": [
        "first redo the forward pass (you need i, f, g, o and C_t). Then find every path by which the loss "
        "reaches C_t: there are two. Each gate's pre-activation gets its gradient through its own squash.",
        "dc = dnext_c + (what comes through h_t = o * tanh(C_t)); then C_t = f * C_(t-1) + i * g gives "
        "the gradients of f, i, g and C_(t-1); o only gets one through h_t.",
        "stack the four pre-activation gradients in the order i, f, g, o into da (N, 4H); from there it is "
        "the same affine backward as the RNN of notebook 01.",
    ],
    "cell_state_grad": [
        "in how many ways does C_t reach the loss? Follow each one forward from C_t.",
        "two paths leave C_t: straight on to C_{t+1} (gradient dnext_c) and through "
        "h_t = o_t * tanh(C_t) (gradient dnext_h times dh_t/dC_t). Add them.",
    ],
    "find_bug_gate": [
        "do not read the code for the bug: measure. Which tool of section 4 tells you, block by block, "
        "which gradient is wrong?",
        "run `gate_block_errors(mystery_gates_backward)`: the gate whose block of db fails (relative error "
        "far above 1e-7) is the first answer. Only the lines that feed that block can hold the bug.",
        "two lines feed a gate's block of da: the gradient on the gate's value, then its squash's slope. "
        "Compare each with what the table of section 2 says it should be; the second answer is the name "
        "the wrong line assigns."],
    "fixed_gates_backward": [
        "you know which block is wrong; which two lines of the mystery compute that block's gradient? "
        "Derive that gradient yourself from h_t = o_t * tanh(C_t) and compare.",
        "copy `mystery_gates_backward` (show_source shows it), change the one line that "
                            "the gradient check points at, and return da, dprev_c."],
    "numpy_to_torch_weights": [
        "compare the shapes: numpy multiplies x @ Wx with Wx (D, 4H), nn.LSTM computes x @ weight_ih.T. "
        "And nn.LSTM has two biases where numpy has one: what must hold for them?",
        "nn.LSTM stores each weight as (4H, its input size), gates in the same order; it "
                              "adds bias_ih and bias_hh, so their sum must be b. Return the four arrays."],
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


def _wrong_lstm_backward(*, dprev_c="f", h_path=True, tanh_of="tanh_c", g_slope="tanh", order="ifgo",
                         h_from="new"):
    """lstm_step_backward with one typical slip, as a function of the learner's arguments."""
    def wrong(dh, dnc, x, ph, pc, Wx, Wh, b):
        H = ph.shape[1]
        a = x @ Wx + ph @ Wh + b
        i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
        nc = f * pc + i * g
        tc = np.tanh(nc if h_from == "new" else pc)
        slope = {"tanh_c": 1.0 - tc**2, "c": 1.0 - nc**2}[tanh_of]
        dc = dnc + (dh * o * slope if h_path else 0.0)
        parts = dict(i=dc * g * i * (1 - i), f=dc * pc * f * (1 - f),
                     g=dc * i * ((1 - g**2) if g_slope == "tanh" else g * (1 - g)), o=dh * tc * o * (1 - o))
        da = np.concatenate([parts[k] for k in order], axis=1)
        return da @ Wx.T, da @ Wh.T, {"f": dc * f, "dnext_c": dnc, "dc": dc}[dprev_c], x.T @ da, ph.T @ da, da.sum(0)
    return wrong


MISTAKES = {
    "lstm_step_backward": [
        Mistake("dprev_c passes dnext_c through unchanged, as if C_(t-1) went into C_t as it is. What is "
                "C_(t-1) multiplied by in the forward pass (notebook 05's lesson)?",
                _wrong_lstm_backward(dprev_c="dnext_c")),
        Mistake("dprev_c is the whole gradient on C_t, passed back unchanged. What multiplies C_(t-1) on "
                "its way into C_t?",
                _wrong_lstm_backward(dprev_c="dc")),
        Mistake("only dnext_c reaches C_t in your pass. Which other value of step t is computed from C_t, "
                "and what gradient comes back through it?",
                _wrong_lstm_backward(h_path=False)),
        Mistake("you used 1 - C_t**2 as the slope of tanh at C_t. The slope of tanh is written with its "
                "OUTPUT; is C_t a tanh output (can it leave [-1, 1])?",
                _wrong_lstm_backward(tanh_of="c")),
        Mistake("the candidate g uses the sigmoid's slope. Which squash makes g, and what is its slope?",
                _wrong_lstm_backward(g_slope="sigmoid")),
        Mistake("da is stacked in CS231n's order i, f, o, g. Its blocks must match the columns of Wx: in "
                "which order does this series stack them?",
                _wrong_lstm_backward(order="ifog")),
        Mistake("your forward pass shows the old memory C_(t-1) in h. Which cell state does h_t show?",
                _wrong_lstm_backward(h_from="old")),
    ],
    "cell_state_grad": [
        Mistake("you dropped the gradient arriving along the cell-state highway. C_t feeds h_t; what else "
                "does it feed, and what gradient comes back from there?",
                lambda dh, dc, o, tc: dh * o * (1.0 - tc**2)),
        Mistake("the tanh derivative is missing: between C_t and h_t there is a gate AND a squash. What "
                "does going back through the squash multiply by?",
                lambda dh, dc, o, tc: dc + dh * o),
        Mistake("o * (1 - o) is the sigmoid's derivative, which belongs to the output gate's own "
                "pre-activation (da_o). Which squash lies on the path from C_t to h_t?",
                lambda dh, dc, o, tc: dc + dh * o * (1.0 - o)),
        Mistake("1 - tanh_c is not tanh's derivative. Differentiate tanh and write it with its output "
                "tanh_c: is something squared?",
                lambda dh, dc, o, tc: dc + dh * o * (1.0 - tc)),
        Mistake("you applied tanh to tanh_c a second time. What does tanh_c already hold?",
                lambda dh, dc, o, tc: dc + dh * o * (1.0 - np.tanh(tc)**2)),
        Mistake("the factor in front is tanh_c. In h_t = o_t * tanh(C_t), what is tanh(C_t) multiplied by?",
                lambda dh, dc, o, tc: dc + dh * tc * (1.0 - tc**2)),
        Mistake("you multiplied the two paths. When a value reaches the loss along two paths, how does "
                "the multivariable chain rule combine their gradients?",
                lambda dh, dc, o, tc: dc * dh * o * (1.0 - tc**2)),
    ],
    "fixed_gates_backward": [
        Mistake("this is still the mystery's output: its o block of da is wrong. What does "
                "`gate_block_errors(fixed_gates_backward)` say, and which lines make da_o?",
                mystery_gates_backward),
        Mistake("do uses tanh of the OLD cell state. Which cell state does h_t show, and which of the "
                "inputs already holds its tanh?",
                _with_do(lambda tc, pc: np.tanh(pc))),
        Mistake("do is dnext_h alone. In h_t, what is o_t multiplied by?",
                _with_do(lambda tc, pc: np.ones_like(tc))),
        Mistake("da stacks the blocks in CS231n's order i, f, o, g. In which order does the mystery (and "
                "this series) stack them?",
                lambda *a: (reorder_gates(fixed_gates_backward(*a)[0], "ifgo", "ifog"), fixed_gates_backward(*a)[1])),
    ],
    "numpy_to_torch_weights": [
        Mistake("your weights have numpy's shapes. nn.LSTM computes x @ weight_ih.T: which shape must "
                "weight_ih have for that, and weight_hh?",
                _torch_weights(lambda Wx, Wh: Wx, lambda Wx, Wh: Wh, lambda b: b)),
        Mistake("weight_hh is right, but weight_ih still has Wx's shape (D, 4H). What did you do to Wh "
                "that Wx needs too?",
                _torch_weights(lambda Wx, Wh: Wx, lambda Wx, Wh: Wh.T, lambda b: b)),
        Mistake("weight_ih is right, but weight_hh still has Wh's shape (H, 4H). What did you do to Wx "
                "that Wh needs too?",
                _torch_weights(lambda Wx, Wh: Wx.T, lambda Wx, Wh: Wh, lambda b: b)),
        Mistake("weight_ih and weight_hh are swapped. Which numpy weight multiplies the input x, and "
                "which the hidden state?",
                _torch_weights(lambda Wx, Wh: Wh.T, lambda Wx, Wh: Wx.T, lambda b: b)),
        Mistake("you put b into both bias_ih and bias_hh. nn.LSTM adds the two: what bias would every "
                "gate see?",
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

def _lstm_step_case(rng, N, D, H):
    return (rng.normal(size=(N, H)), rng.normal(size=(N, H)), rng.normal(size=(N, D)),
            np.tanh(rng.normal(size=(N, H))), 1.5 * rng.normal(size=(N, H)), rng.normal(size=(D, 4 * H)),
            rng.normal(size=(H, 4 * H)), rng.normal(size=(4 * H,)))


def _package_step_backward(dh, dc, x, ph, pc, Wx, Wh, b):
    from ..numpy_lstm import lstm_step_backward as package_backward, lstm_step_forward

    return package_backward(dh, dc, lstm_step_forward(x, ph, pc, Wx, Wh, b)[2])


def check_lstm_step_backward(fn) -> CheckResult:
    """Exercise: one LSTM step's backward pass, against the package and then against centred differences."""
    cases = make_cases([(3, 4, 5), (2, 3, 2), (1, 1, 1)], 17, _lstm_step_case)
    result = run_check("lstm_step_backward", fn, _package_step_backward, cases, MISTAKES["lstm_step_backward"],
                       hint=HINTS["lstm_step_backward"])
    if result.passed:
        err = _numerical_step_error(fn)
        result.message += (" Centred differences agree: largest relative error "
                           f"{'< 1e-6' if err < 1e-6 else f'{err:.1g}'}.")
    return result


def _numerical_step_error(fn) -> float:
    """The largest relative error between the learner's six gradients and centred differences (one small case)."""
    from ..gradcheck import eval_numerical_gradient, rel_error
    from ..numpy_lstm import lstm_step_forward

    dh, dc, *inputs = _lstm_step_case(np.random.default_rng(4), 2, 3, 4)
    names = ("x", "prev_h", "prev_c", "Wx", "Wh", "b")
    got = fn(dh.copy(), dc.copy(), *[v.copy() for v in inputs])

    def loss(**kw):
        h, c, _ = lstm_step_forward(*[kw.get(n, v) for n, v in zip(names, inputs)])
        return np.sum(h * dh) + np.sum(c * dc)

    errs = []
    for k, name in enumerate(names):
        value = inputs[k].copy()
        errs.append(rel_error(np.asarray(got[[0, 1, 2, 3, 4, 5][k]]),
                              eval_numerical_gradient(lambda v, name=name: loss(**{name: v}), value)))
    return max(errs)


def _cell_grad_case(rng, N, H):
    # o in (0, 1) like a gate; tanh_c spread over (-1, 1) like tanh of a real cell state
    return (rng.normal(size=(N, H)), rng.normal(size=(N, H)), sigmoid(rng.normal(size=(N, H))),
            np.tanh(2.0 * rng.normal(size=(N, H))))


def check_cell_state_grad(fn) -> CheckResult:
    """Exercise: dc = dnext_c + dnext_h * o * (1 - tanh_c**2), the gradient reaching C_t along both paths."""
    cases = make_cases([(3, 5), (2, 2), (1, 1)], 7, _cell_grad_case)
    return run_check("cell_state_grad", fn, cell_state_grad, cases, MISTAKES["cell_state_grad"],
                     hint=HINTS["cell_state_grad"])


# the variables mystery_gates_backward assigns, and the blocks of da (or dprev_c) each one feeds
MYSTERY_LINES = {"do": "o", "da_o": "o", "dc": "ifg", "di": "i", "dg": "g", "df": "f", "dprev_c": "",
                 "da_i": "i", "da_f": "f", "da_g": "g"}


def _line_name(answer) -> str | None:
    """The variable a line assigns: 'do' from 'do', or from 'do = dnext_h * np.tanh(tanh_c)'."""
    if not isinstance(answer, str):
        return None
    name = answer.split("=")[0].strip() if "=" in answer else answer.strip()
    return name if name.isidentifier() else None


def check_find_bug_gate(fn) -> CheckResult:
    """Exercise: name the gate whose gradient `mystery_gates_backward` gets wrong AND the wrong line's variable.

    Two answers at once, so a guess passes one time in forty, not one in four: ``(gate, line)`` with
    gate 'i', 'f', 'g' or 'o' and line the name the wrong line assigns (or the whole line).
    """
    name = "find_bug_gate"
    label = learner_label(fn, name)
    try:
        answer = fn()
    except NotImplementedError:
        return unfinished(label, first_hint(name), name)
    except Exception as exc:  # a learner's crash becomes one readable line, not a traceback
        return crashed(label, exc, name)
    if answer is None:
        return CheckResult(False, f"{FAIL} {label} returned None: did you forget `return`?", "returned None", name)
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return CheckResult(False, f"{FAIL} {label} returned {answer!r}; return two answers, "
                                  "(gate, line): the gate whose block fails ('i', 'f', 'g' or 'o') and the name "
                                  "the wrong line assigns (the variable left of its `=`).", "not two answers", name)
    gate_answer, line_answer = answer
    gate = GATE_ANSWERS.get(str(gate_answer).strip().lower()) if isinstance(gate_answer, str) else None
    if gate is None:
        return CheckResult(False, f"{FAIL} {label}: the first answer is {gate_answer!r}; name the gate with "
                                  "one letter: 'i', 'f', 'g' or 'o'.", "not a gate", name)
    if gate != "o":
        return CheckResult(False, f"{FAIL} {label}: the {GATE_NAMES[gate]} block passes the gradient check (its "
                                  "relative error is below 1e-7), so its gradient is right. Did you run the "
                                  "check? Look for the block whose error is far above 1e-7.", f"wrong gate {gate}",
                           name)
    line = _line_name(line_answer)
    if line not in MYSTERY_LINES:
        return CheckResult(False, f"{FAIL} {label}: the gate is right. The second answer, {line_answer!r}, is "
                                  "not a variable `mystery_gates_backward` assigns: name the one left of the "
                                  "`=` on the wrong line.", "not a line", name)
    if "o" not in MYSTERY_LINES[line]:
        return CheckResult(False, f"{FAIL} {label}: the gate is right, but the line that assigns {line} does "
                                  "not feed the output gate's block (and the blocks it feeds pass the check). "
                                  "Which lines does da_o depend on?", "line outside the block", name)
    if line == "da_o":
        return CheckResult(False, f"{FAIL} {label}: the gate is right, and da_o does use the sigmoid's slope "
                                  "o * (1 - o), as the output gate's own squash needs. Is the value it "
                                  "multiplies that slope by right?", "right slope", name)
    return CheckResult(True, f"{PASS} {label}: yes, the output gate's block alone fails while i, f, g and "
                             "dprev_c pass, and its wrong line is the one that makes do. Fix it in the next "
                             "exercise.", None, name)


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
                     cases, MISTAKES["numpy_to_torch_weights"], hint=HINTS["numpy_to_torch_weights"],
                     label=learner_label(fn, "numpy_to_torch_weights"))

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

