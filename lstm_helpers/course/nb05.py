"""Notebook 05 (the cell update and its gradient highway): its exercises and their checkers.

Exercises: `cell_update` (C_t = f * C_{t-1} + i * c~), `cell_update_backward` (its four gradients) and
`cell_jacobian_h` (derive dC_t/dh_{t-1}, then compare it with the Jacobian measured by centred differences).
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import CheckResult, Mistake, make_cases, register_hints, run_check, solution, worked_example

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
@worked_example  # shown solved in the notebook (the package's cell_update is shown in section 1)
def cell_update(prev_c, f, i, g):
    """C_t = f_t * C_{t-1} + i_t * c~_t, all of shape (N, H)."""
    return f * prev_c + i * g


@solution
def cell_update_backward(dnext_c, prev_c, f, i, g):
    """Gradients of C_t = f * C_{t-1} + i * g, given dL/dC_t; returned in the forward order.

    Returns dprev_c, df, di, dg, each (N, H).
    """
    dprev_c = dnext_c * f  # dC_t/dC_{t-1} = f_t
    df = dnext_c * prev_c
    di = dnext_c * g
    dg = dnext_c * i
    return dprev_c, df, di, dg


@solution
def cell_jacobian_h(x, prev_h, prev_c, Wx, Wh, b):
    """dC_t/dh_{t-1} for one sequence: x (D,), prev_h (H,), prev_c (H,), stacked i, f, g, o weights -> (H, H).

    Entry [k, j] is d C_t[k] / d h_{t-1}[j]. h_{t-1} reaches C_t through three gates: f, i and g.
    """
    H = prev_h.shape[0]
    a = x @ Wx + prev_h @ Wh + b
    i, f, g = sigmoid(a[:H]), sigmoid(a[H:2 * H]), np.tanh(a[2 * H:3 * H])
    Wi, Wf, Wg = Wh[:, :H], Wh[:, H:2 * H], Wh[:, 2 * H:3 * H]  # column k of each block feeds unit k
    return (np.diag(prev_c * f * (1 - f)) @ Wf.T + np.diag(g * i * (1 - i)) @ Wi.T
            + np.diag(i * (1 - g**2)) @ Wg.T)

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "cell_jacobian_h": [
        "C_t = f * C_(t-1) + i * g, and h_(t-1) is not in it directly: it reaches C_t only through the "
        "gates. Through which of them, and what does each path contribute to entry [k, j]?",
        "three paths: f (times C_(t-1)), i (times g) and g (times i); each goes through its squash's slope "
        "and through the column k of its block of Wh, entry Wh_block[j, k].",
        "each path is diag(its factor) @ Wh_block.T, for example diag(prev_c * f * (1 - f)) @ Wh_f.T.",
    ],
    "cell_update": "two products and one sum: (forget gate times old cell) plus (input gate times candidate).",
    "cell_update_backward": [
        "C_t is a sum of two products. For each of the four inputs, ask: what is it multiplied by in the "
        "forward pass?",
        "C_t is linear in each input: multiply dnext_c by the factor that input is multiplied with, and "
        "return (dprev_c, df, di, dg).",
    ],
})

def _jac(*, paths="fig", slopes=True, transpose=False, block_o=False, block_T=True, order="ifgo"):
    """cell_jacobian_h with one typical slip: ``order`` is the gate order the blocks are read in,
    ``block_T=False`` uses each block of Wh without its transpose, ``transpose`` returns J transposed."""
    def wrong(x, h, c, Wx, Wh, b):
        H = h.shape[0]
        a = x @ Wx + h @ Wh + b
        cols = {gate: slice(k * H, (k + 1) * H) for k, gate in enumerate(order)}
        i, f, g = sigmoid(a[cols["i"]]), sigmoid(a[cols["f"]]), np.tanh(a[cols["g"]])
        blocks = {gate: Wh[:, cols[gate]] for gate in "ifg"}
        if block_o:
            blocks["f"] = Wh[:, cols["o"]]
        factor = dict(f=c * (f * (1 - f) if slopes else 1.0), i=g * (i * (1 - i) if slopes else 1.0),
                      g=i * ((1 - g**2) if slopes else 1.0))
        J = sum(np.diag(factor[p]) @ (blocks[p].T if block_T else blocks[p]) for p in paths)
        return J.T if transpose else J
    return wrong


MISTAKES = {
    "cell_jacobian_h": [
        Mistake("your matrix is J transposed: entry [k, j] must be dC_t[k]/dh_(t-1)[j], row k for the "
                "unit of C_t. Does one column of your answer match the centred difference of moving h_(t-1)[j]?",
                _jac(transpose=True)),
        Mistake("each path uses its block of Wh as it is, not transposed, so entry [k, j] holds the weight "
                "from unit k of h_(t-1) to unit j of the gate. With row vectors (prev_h @ Wh), which entry of "
                "a block connects h_(t-1)[j] to unit k?",
                _jac(block_T=False)),
        Mistake("the forget-gate path is missing. The forget gate reads h_(t-1) too: how does a change in "
                "f move C_t?",
                _jac(paths="ig")),
        Mistake("only the forget-gate path is there. Which other parts of C_t read h_(t-1)?",
                _jac(paths="f")),
        Mistake("the slopes of the squashes are missing: every path passes a sigmoid or a tanh between "
                "Wh and C_t. What does going back through each multiply by?",
                _jac(slopes=False)),
        Mistake("you returned the forget gate on the diagonal: that is dC_t/dC_(t-1), the highway of this "
                "notebook. This exercise asks for dC_t/dh_(t-1): how does h_(t-1) reach C_t?",
                lambda x, h, c, Wx, Wh, b: np.diag(sigmoid((x @ Wx + h @ Wh + b)[h.shape[0]:2 * h.shape[0]]))),
        Mistake("you used the output gate's block of Wh for the forget path. Which block of columns "
                "belongs to the forget gate?",
                _jac(block_o=True)),
        Mistake("you read the blocks in CS231n's order i, f, o, g, so your candidate comes from the "
                "output gate's columns. In which order does this series stack the gates?",
                _jac(order="ifog")),
        Mistake("the input and forget gates are swapped: each path reads the other gate's block of "
                "columns. Which block comes first in this series' order?",
                _jac(order="figo")),
    ],
    "cell_update": [
        Mistake("you forgot the previous cell state: C_t keeps a share of the old memory and adds the new write to it.",
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
    ],
    "cell_update_backward": [
        Mistake("dprev_c is multiplied by the input gate i. In the forward pass, which gate multiplies "
                "C_(t-1)?",
                lambda d, c, f, i, g: (d * i, d * c, d * g, d * i)),
        Mistake("dprev_c is multiplied by the candidate g. In the forward pass, what multiplies C_(t-1)?",
                lambda d, c, f, i, g: (d * g, d * c, d * g, d * i)),
        Mistake("dprev_c is the local derivative alone. What does the chain rule multiply it by?",
                lambda d, c, f, i, g: (f, d * c, d * g, d * i)),
        Mistake("dprev_c passes dnext_c through unchanged, as if C_(t-1) went into C_t as it is. What is "
                "C_(t-1) multiplied by in the forward pass?",
                lambda d, c, f, i, g: (d, d * c, d * g, d * i)),
        Mistake("you returned the local derivatives alone. What does the chain rule multiply each of "
                "them by?",
                lambda d, c, f, i, g: (f, c, g, i)),
        Mistake("dprev_c and df are swapped. In the product f * C_(t-1), what is each factor multiplied "
                "by?",
                lambda d, c, f, i, g: (d * c, d * f, d * g, d * i)),
        Mistake("di and dg are swapped. In the product i * g, what is each factor multiplied by?",
                lambda d, c, f, i, g: (d * f, d * c, d * i, d * g)),
    ],
}

# -------------------------------------------------------------------------------------------------
# Checkers

def _cell_case(rng, N, H):
    """prev_c (N, H) of both signs, gates f and i in (0, 1), candidate g in (-1, 1)."""
    return (rng.normal(size=(N, H)), sigmoid(rng.normal(size=(N, H))), sigmoid(rng.normal(size=(N, H))),
            np.tanh(rng.normal(size=(N, H))))


def _cell_backward_case(rng, N, H):
    return (rng.normal(size=(N, H)), *_cell_case(rng, N, H))


def _jacobian_case(rng, D, H):
    return (rng.normal(size=D), np.tanh(rng.normal(size=H)), 1.5 * rng.normal(size=H),
            rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), rng.normal(size=4 * H))


def measured_cell_jacobian(x, prev_h, prev_c, Wx, Wh, b, eps=1e-6):
    """dC_t/dh_{t-1} measured by centred differences through `numpy_lstm.lstm_step_forward` (H, H)."""
    from ..numpy_lstm import lstm_step_forward

    H = prev_h.shape[0]
    J = np.zeros((H, H))
    for j in range(H):
        e = np.zeros(H)
        e[j] = eps
        up = lstm_step_forward(x[None], (prev_h + e)[None], prev_c[None], Wx, Wh, b)[1][0]
        down = lstm_step_forward(x[None], (prev_h - e)[None], prev_c[None], Wx, Wh, b)[1][0]
        J[:, j] = (up - down) / (2 * eps)
    return J


def check_cell_jacobian_h(fn) -> CheckResult:
    """Exercise: the derived dC_t/dh_{t-1}, against the Jacobian measured by centred differences."""
    cases = make_cases([(3, 4), (2, 3), (1, 2)], 51, _jacobian_case)
    return run_check("cell_jacobian_h", fn, measured_cell_jacobian, cases, MISTAKES["cell_jacobian_h"],
                     hint=HINTS["cell_jacobian_h"], rtol=1e-5, atol=1e-7)


def check_cell_update(fn) -> CheckResult:
    """Exercise: C_t = f_t * C_{t-1} + i_t * c~_t."""
    cases = make_cases([(3, 5), (2, 2), (1, 1)], 6, _cell_case)
    return run_check("cell_update", fn, cell_update, cases, MISTAKES["cell_update"], hint=HINTS["cell_update"])


def check_cell_update_backward(fn) -> CheckResult:
    """Exercise: dprev_c, df, di, dg of C_t = f * C_{t-1} + i * g, given dnext_c."""
    cases = make_cases([(3, 5), (2, 2), (1, 1)], 7, _cell_backward_case)
    return run_check("cell_update_backward", fn, cell_update_backward, cases, MISTAKES["cell_update_backward"],
                     hint=HINTS["cell_update_backward"])
