"""Notebook 03's exercises: the references agree with the package and with the sigmoid they invert."""

import numpy as np

from lstm_helpers.activations import sigmoid
from lstm_helpers.course import nb03


def test_forget_gate_reference_is_the_packages_forget_gate_on_one_block():
    from lstm_helpers.numpy_lstm import forget_gate, gate_slice, init_lstm_params

    rng = np.random.default_rng(0)
    p = init_lstm_params(3, 4, rng=rng)
    x, h = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    want = forget_gate(x, h, p["Wx"], p["Wh"], p["b"])
    got = nb03.forget_gate(x, h, gate_slice(p["Wx"], "f"), gate_slice(p["Wh"], "f"), gate_slice(p["b"], "f"))
    assert np.abs(got - want).max() < 1e-12


def test_forget_bias_for_inverts_the_sigmoid():
    assert abs(nb03.forget_bias_for(0.99) - 4.59512) < 1e-5
    assert abs(sigmoid(nb03.forget_bias_for(0.99)) - 0.99) < 1e-12


def test_memory_after_zero_steps_keeps_everything():
    c0 = np.array([1.5, -2.0])
    assert np.array_equal(nb03.memory_after(np.array([0.3, 0.9]), 0, c0), c0)
