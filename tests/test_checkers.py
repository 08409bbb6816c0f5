"""Every checker accepts its reference solution and names typical mistakes; none ever raises."""

import numpy as np
import pytest

from lstm_helpers import checkers, solutions
from lstm_helpers.activations import sigmoid


# =================================================================================================
# 03_forget_gate

def test_forget_gate_checker():
    assert checkers.check_forget_gate(solutions.forget_gate).passed
    r = checkers.check_forget_gate(lambda x, h, W, U, b: np.tanh(x @ W + h @ U + b))
    assert not r.passed and "uses tanh" in r.message
    r = checkers.check_forget_gate(lambda x, h, W, U, b: sigmoid(x @ W + b))
    assert not r.passed and "h_{t-1} is missing" in r.message
    r = checkers.check_forget_gate(lambda x, h, W, U, b: sigmoid(-(x @ W + h @ U + b)))
    assert not r.passed and "sign is flipped" in r.message


def _unfinished(*args):
    raise NotImplementedError


def test_framework_unfinished_crash_none_and_shape():
    r = checkers.check_forget_gate(_unfinished)
    assert not r.passed and r.mistake == "unfinished" and "Hint:" in r.message
    r = checkers.check_forget_gate(lambda x, h, W, U, b: x @ U)
    assert not r.passed and r.mistake == "crash" and "ValueError" in r.message and "line" in r.message
    r = checkers.check_forget_gate(lambda *a: None)
    assert not r.passed and "return" in r.message
    r = checkers.check_forget_gate(lambda x, h, W, U, b: sigmoid(x @ W + h @ U + b)[:, :1])
    assert not r.passed and "shape" in r.message


def test_show_solution():
    code = solutions.show_solution("forget_gate")
    assert "def forget_gate" in code.data
    with pytest.raises(ValueError, match="name: expected one of the exercises"):
        solutions.show_solution("nope")


# =================================================================================================
# 01_rnn_vanishing_gradients


# =================================================================================================
# 02_cell_state


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
