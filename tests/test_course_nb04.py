"""Notebook 04's exercises: the write's backward agrees with centred differences; other weight designs pass."""

import numpy as np

from lstm_helpers.activations import sigmoid
from lstm_helpers.course import nb04


def test_write_backward_matches_centred_differences():
    from lstm_helpers.gradcheck import eval_numerical_gradient_array

    rng = np.random.default_rng(0)
    a_i, a_g, prev = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    d = rng.normal(size=(2, 3))
    da_i, da_g = nb04.write_backward(d, sigmoid(a_i), np.tanh(a_g))
    assert np.allclose(da_i, eval_numerical_gradient_array(lambda v: prev + sigmoid(v) * np.tanh(a_g), a_i.copy(), d))
    assert np.allclose(da_g, eval_numerical_gradient_array(lambda v: prev + sigmoid(a_i) * np.tanh(v), a_g.copy(), d))


def test_running_max_checker_accepts_another_sharp_design_and_names_a_wrong_shape():
    def steeper():
        Wx, Wh, b = nb04.running_max_weights()
        return [Wx * np.array([[1.5, 1.5, 1.0, 1.0]]), Wh * 1.5, b + np.array([0, 0, 0, 5.0])]

    assert nb04.check_running_max_weights(steeper).passed
    r = nb04.check_running_max_weights(lambda: (np.zeros((2, 4)), np.zeros((1, 4)), np.zeros(4)))
    assert not r.passed and "Wx has shape (2, 4); expected (1, 4)" in r.message
