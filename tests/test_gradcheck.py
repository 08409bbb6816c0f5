"""Centred differences: exact on known functions, and they catch a wrong gradient."""

import numpy as np
import pytest

from lstm_helpers.gradcheck import (check_layer_gradients, eval_numerical_gradient,
                                    eval_numerical_gradient_array, rel_error)
from lstm_helpers.numpy_rnn import rnn_step_backward, rnn_step_forward


def test_scalar_gradient_of_known_function(rng):
    x = rng.normal(size=(3, 4))
    g = eval_numerical_gradient(lambda v: np.sum(v**3), x)
    assert rel_error(g, 3 * x**2) < 1e-8


def test_array_gradient_and_restores_input(rng):
    x = rng.normal(size=(5,))
    before = x.copy()
    df = rng.normal(size=(5,))
    g = eval_numerical_gradient_array(np.sin, x, df)
    assert rel_error(g, np.cos(x) * df) < 1e-8
    np.testing.assert_array_equal(x, before)


def test_rel_error_values():
    assert rel_error(np.array([1.0]), np.array([1.0])) == 0.0
    assert abs(rel_error(np.array([1.0]), np.array([3.0])) - 0.5) < 1e-15
    with pytest.raises(ValueError, match="y: expected the shape of x"):
        rel_error(np.zeros(2), np.zeros(3))


def test_check_layer_gradients_passes_and_catches_a_bug(rng):
    inputs = dict(x=rng.normal(size=(2, 3)), prev_h=rng.normal(size=(2, 4)),
                  Wx=rng.normal(scale=0.3, size=(3, 4)), Wh=rng.normal(scale=0.3, size=(4, 4)),
                  b=rng.normal(scale=0.1, size=(4,)))
    errs = check_layer_gradients(rnn_step_forward, rnn_step_backward, inputs)
    assert max(errs.values()) < 1e-7

    def buggy_backward(dout, cache):  # forgets the tanh derivative
        x, prev_h, Wx, Wh, next_h = cache
        return dout @ Wx.T, dout @ Wh.T, x.T @ dout, prev_h.T @ dout, dout.sum(0)

    errs = check_layer_gradients(rnn_step_forward, buggy_backward, inputs)
    assert min(errs.values()) > 1e-3


def test_float32_refused(rng):
    with pytest.raises(ValueError, match="x: expected dtype float64"):
        eval_numerical_gradient(np.sum, rng.normal(size=3).astype(np.float32))


def test_format_error_grid_marks_passes_and_failures():
    from lstm_helpers.gradcheck import format_error_grid

    text = format_error_grid({"correct": {"x": 3e-10, "W": 1e-9}, "buggy": {"x": 2e-10, "W": 0.04}})
    lines = text.splitlines()
    assert lines[0].split() == ["x", "W"]
    assert lines[1].split() == ["correct", "ok", "ok"]
    assert lines[2].split() == ["buggy", "ok", "4e-02"]
    with pytest.raises(ValueError, match="rows: expected at least one check"):
        format_error_grid({})
