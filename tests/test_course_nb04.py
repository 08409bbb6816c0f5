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


def test_a_doubled_tanh_with_sharp_gates_is_not_called_a_soft_comparison():
    """Issue 21: K = 50 with g = tanh(x) (h = tanh(tanh(x))) got "scale both weights up (K around 50)"."""
    soft, shrunk = (m.message for m in nb04.MISTAKES["running_max_weights"][4:6])
    for slip in (dict(K=50.0, g_weight=1.0), dict(K=50.0, g_weight=0.8), dict(K=60.0, o_bias=2.0)):
        r = nb04.check_running_max_weights(nb04._max_w(**slip))
        assert r.mistake == shrunk, (slip, r.message)
        assert "K around" not in r.message and "soft" not in r.message
    for K in (3.0, 10.0):
        assert nb04.check_running_max_weights(nb04._max_w(K=K)).mistake == soft
