"""Notebook 05 (the cell update and its gradient highway): its exercises and their checkers.

Exercises: `cell_update` (C_t = f * C_{t-1} + i * c~) and `cell_update_backward` (its four gradients).
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import CheckResult, Mistake, make_cases, register_hints, run_check, solution

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
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

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "cell_update": "two products and one sum: (forget gate times old cell) plus (input gate times candidate).",
    "cell_update_backward": "C_t is linear in each input: multiply dnext_c by the factor that input is "
                            "multiplied with, and return (dprev_c, df, di, dg).",
})

MISTAKES = {
    "cell_update": [
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
    ],
    "cell_update_backward": [
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


def check_cell_update(fn) -> CheckResult:
    """Exercise: C_t = f_t * C_{t-1} + i_t * c~_t."""
    cases = make_cases([(3, 5), (2, 2), (1, 1)], 6, _cell_case)
    return run_check("cell_update", fn, cell_update, cases, MISTAKES["cell_update"], hint=HINTS["cell_update"])


def check_cell_update_backward(fn) -> CheckResult:
    """Exercise: dprev_c, df, di, dg of C_t = f * C_{t-1} + i * g, given dnext_c."""
    cases = make_cases([(3, 5), (2, 2), (1, 1)], 7, _cell_backward_case)
    return run_check("cell_update_backward", fn, cell_update_backward, cases, MISTAKES["cell_update_backward"],
                     hint=HINTS["cell_update_backward"])
