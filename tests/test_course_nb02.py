"""Notebook 02's exercises: shape errors are named, and the carousel's answer is what the package measures."""

import numpy as np

from lstm_helpers.course import nb02


def test_apply_gate_and_carousel_name_a_wrong_shape():
    r = nb02.check_apply_gate(lambda gate, v: gate @ v.T)
    assert not r.passed and "shape" in r.message
    r = nb02.check_carousel_gradient(lambda f: np.prod(f))
    assert not r.passed and "shape" in r.message


def test_carousel_gradient_matches_the_package_lstm():
    """The exercise's answer is what the package's backward pass measures (input gate closed)."""
    from lstm_helpers.numpy_lstm import gate_slice, init_lstm_params, lstm_backward, lstm_forward

    rng = np.random.default_rng(0)
    T, D, H = 6, 3, 2
    p = init_lstm_params(D, H, rng=rng)
    gate_slice(p["Wh"], "f")[:] = 0.0  # f_t depends on x_t only, so dC_t/dC_{t-1} = diag(f_t) exactly
    gate_slice(p["b"], "i")[:] = -40.0  # input gate closed: no path through the candidate
    h, cache = lstm_forward(rng.normal(size=(1, T, D)), np.zeros((1, H)), p["Wx"], p["Wh"], p["b"],
                            c0=rng.normal(size=(1, H)))
    dc0 = lstm_backward(np.zeros_like(h), cache, dc_last=np.ones((1, H)), return_dc0=True)[-1]
    np.testing.assert_allclose(dc0[0], nb02.carousel_gradient(cache["f"][0]), rtol=1e-12)
