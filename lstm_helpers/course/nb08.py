"""Notebook 08 (RNN against LSTM at long range): its exercises, their checkers and its figures.

Exercises: `mean_predictor_mse` (the baseline of the adding problem) and `count_parameters` (per layer kind).
"""

from __future__ import annotations

import numpy as np

from .checking import hint, show_solution  # noqa: F401  (re-exported: the notebook imports them from here)
from .checking import Case, CheckResult, Mistake, register_hints, run_check, solution

# -------------------------------------------------------------------------------------------------
# Reference solutions

@solution
def mean_predictor_mse(n_marked=2):
    """MSE of always answering E[sum], when the target is the sum of n_marked independent U(0, 1) numbers."""
    # the best constant is the mean n/2, and its MSE is the variance of the sum; variances of independent
    # numbers add, and Var(u) = E[u^2] - E[u]^2 = 1/3 - 1/4 = 1/12
    return n_marked / 12


@solution
def count_parameters(kind, hidden_size, input_size):
    """Trainable numbers in one layer of PyTorch's nn.RNN, nn.GRU or nn.LSTM ('rnn', 'gru', 'lstm')."""
    blocks = {"rnn": 1, "gru": 3, "lstm": 4}[kind]  # the LSTM's i, f, g, o; the GRU's r, z, n
    # per block: weight_ih (H, D), weight_hh (H, H), bias_ih (H,) and bias_hh (H,)
    return blocks * hidden_size * (input_size + hidden_size + 2)

# -------------------------------------------------------------------------------------------------
# Hints and typical mistakes (data: tests/test_course_checking.py tries every mistake)

HINTS = register_hints({
    "mean_predictor_mse": "the best constant is the mean of the sum, and its MSE is the variance of the sum; "
                          "what is the variance of one U(0, 1) number, and how do variances of independent "
                          "numbers combine?",
    "count_parameters": "each gate block has weight_ih (H x D), weight_hh (H x H) and two bias vectors of H; "
                        "count the blocks of each kind.",
})

BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}  # weight blocks per layer kind


def _with_blocks(**changed):
    table = {**BLOCKS, **changed}
    return lambda kind, H, D: table[kind] * H * (D + H + 2)


MISTAKES = {
    "mean_predictor_mse": [
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
    ],
    "count_parameters": [
        Mistake("you counted one bias vector per block; PyTorch keeps two, bias_ih and bias_hh "
                "(only their sum matters to the output, but both are trained parameters).",
                lambda kind, H, D: BLOCKS[kind] * H * (D + H + 1)),
        Mistake("your LSTM has three blocks; it has four: input gate, forget gate, candidate g and "
                "output gate (i, f, g, o). The candidate has its own weights too.",
                _with_blocks(lstm=3)),
        Mistake("your GRU has four blocks, like an LSTM; it has three: reset gate r, update gate z "
                "and the candidate n (no output gate, no separate cell state).",
                _with_blocks(gru=4)),
        Mistake("your GRU has two blocks; it has three: reset gate r, update gate z and the candidate n, "
                "each with its own weights.",
                _with_blocks(gru=2)),
        Mistake("the recurrent weights weight_hh (H x H per block) are missing; they are what makes the "
                "layer recurrent.",
                lambda kind, H, D: BLOCKS[kind] * H * (D + 2)),
        Mistake("the input weights weight_ih (H x D per block) are missing.",
                lambda kind, H, D: BLOCKS[kind] * H * (H + 2)),
        Mistake("you counted every kind as one block (a plain RNN). The GRU has 3 blocks of weights, the "
                "LSTM 4.",
                lambda kind, H, D: H * (D + H + 2)),
    ],
}

# -------------------------------------------------------------------------------------------------
# Checkers

def check_mean_predictor_mse(fn) -> CheckResult:
    """Exercise: the MSE of the best constant prediction when the target is a sum of n U(0, 1) numbers."""
    cases = [Case((2,)), Case((3,)), Case((1,)), Case((5,))]
    return run_check("mean_predictor_mse", fn, mean_predictor_mse, cases, MISTAKES["mean_predictor_mse"],
                     hint=HINTS["mean_predictor_mse"])


def check_count_parameters(fn) -> CheckResult:
    """Exercise: trainable numbers of one layer of nn.RNN / nn.GRU / nn.LSTM."""
    cases = [Case(("lstm", 32, 2)), Case(("gru", 37, 2)), Case(("rnn", 66, 2)), Case(("lstm", 5, 7)),
             Case(("gru", 1, 1)), Case(("rnn", 3, 10))]
    return run_check("count_parameters", fn, count_parameters, cases, MISTAKES["count_parameters"],
                     hint=HINTS["count_parameters"])

# -------------------------------------------------------------------------------------------------
# Figures: notebooks 06 and 08 share them, so they live in lstm_helpers.plots

from ..plots import SETTING_STYLES, plot_learning_curves, plot_solved  # noqa: E402,F401  (re-exported)
