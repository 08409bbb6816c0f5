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


def test_counter_checker_accepts_another_design():
    import numpy as np

    def my_counter():
        Wx, Wh, b = nb02.counter_weights()
        return Wx * 1.2, Wh, b * 1.2

    r = nb02.check_counter_weights(my_counter)
    assert r.passed and "`my_counter`" in r.message
    assert nb02.counter_sequences().shape == (24, 40, 2) and np.all(nb02.counter_sequences().sum(-1) <= 1)


def test_a_leaking_forget_gate_is_named_whatever_its_bias():
    """Issue 21: "a bias of 2 keeps only 88 %" was shown even when the forget bias was 0 (f = 0.5)."""
    leak = nb02.MISTAKES["counter_weights"][5].message
    for f_bias in (0.0, 2.0, 4.0):
        r = nb02.check_counter_weights(nb02._counter_weights(f_bias=f_bias))
        assert r.mistake == leak, (f_bias, r.message)
        assert "88" not in r.message and "bias of 2" not in r.message
