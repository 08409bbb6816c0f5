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
        Mistake("that is the variance of ONE U(0, 1) number, whatever n_marked is. The target is a sum of "
                "n_marked independent numbers: how do the variances of independent numbers combine?",
                lambda n: 1 / 12),
        Mistake("that is a standard deviation. The mean squared error is a mean of SQUARES: is that a "
                "standard deviation or a variance?",
                lambda n: np.sqrt(n / 12)),
        Mistake("that is E[S^2], the error of always predicting 0. Which constant is the best prediction, "
                "and what is the mean squared error around it?",
                lambda n: n / 12 + n**2 / 4),
        Mistake("n_marked / 3 uses E[u^2] where the variance of u is needed. What must you subtract "
                "from E[u^2] to get Var(u)?",
                lambda n: n / 3),
        Mistake("n_marked^2 / 12 is the variance of n_marked copies of ONE number (n times the same u). "
                "Are the marked numbers copies of each other, and how do independent variances combine?",
                lambda n: n**2 / 12),
        Mistake("n_marked / 6 uses 1/6 for the variance of one U(0, 1) number. Work it out: what are "
                "E[u^2] and E[u]^2 for u uniform on (0, 1)?",
                lambda n: n / 6),
    ],
    "count_parameters": [
        Mistake("you counted one bias vector per block. How many bias vectors does PyTorch keep per "
                "block (print the names of a layer's parameters)?",
                lambda kind, H, D: BLOCKS[kind] * H * (D + H + 1)),
        Mistake("your LSTM has three blocks of weights. List what an LSTM step computes from x_t and "
                "h_(t-1): did you count the candidate?",
                _with_blocks(lstm=3)),
        Mistake("your GRU has four blocks, like an LSTM. Does a GRU have an output gate?",
                _with_blocks(gru=4)),
        Mistake("your GRU has two blocks. Besides its two gates, what else does a GRU step compute from "
                "x_t and h_(t-1)?",
                _with_blocks(gru=2)),
        Mistake("the recurrent weights are missing. Which weights read h_(t-1), and what shape do they "
                "have per block?",
                lambda kind, H, D: BLOCKS[kind] * H * (D + 2)),
        Mistake("the input weights are missing. Which weights read x_t, and what shape do they have per "
                "block?",
                lambda kind, H, D: BLOCKS[kind] * H * (H + 2)),
        Mistake("you counted every kind as one block, like a plain RNN. How many separate things does a "
                "GRU step compute from x_t and h_(t-1), and an LSTM step?",
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
