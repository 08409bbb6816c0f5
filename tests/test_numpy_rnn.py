"""The hand-written tanh RNN: centred-difference gradient checks and input validation."""

import numpy as np
import pytest

from lstm_helpers.gradcheck import eval_numerical_gradient_array, rel_error
from lstm_helpers.numpy_rnn import (init_rnn_params, rnn_backward, rnn_forward, rnn_step_backward,
                                    rnn_step_forward, scale_to_spectral_radius)


def _params(rng, N, T, D, H):
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(size=(N, H))
    Wx = rng.normal(scale=0.4, size=(D, H))
    Wh = rng.normal(scale=0.4, size=(H, H))
    b = rng.normal(scale=0.1, size=(H,))
    return x, h0, Wx, Wh, b


@pytest.mark.parametrize("N,D,H", [(1, 1, 1), (3, 4, 5), (2, 6, 3)])
def test_step_backward_matches_numerical(rng, N, D, H):
    x, h0, Wx, Wh, b = _params(rng, N, 1, D, H)
    x = x[:, 0]
    out, cache = rnn_step_forward(x, h0, Wx, Wh, b)
    dout = rng.normal(size=out.shape)
    grads = rnn_step_backward(dout, cache)
    args = [x, h0, Wx, Wh, b]
    for k, g in enumerate(grads):
        def f(v, k=k):
            a = list(args)
            a[k] = v
            return rnn_step_forward(*a)[0]
        num = eval_numerical_gradient_array(f, args[k], dout)
        assert rel_error(g, num) < 1e-7, f"gradient {k}"


@pytest.mark.parametrize("N,T,D,H", [(1, 1, 2, 2), (2, 5, 3, 4), (3, 7, 4, 2), (1, 10, 1, 3)])
def test_sequence_backward_matches_numerical(rng, N, T, D, H):
    x, h0, Wx, Wh, b = _params(rng, N, T, D, H)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    grads = rnn_backward(dh, cache)
    args = [x, h0, Wx, Wh, b]
    for k, g in enumerate(grads):
        def f(v, k=k):
            a = list(args)
            a[k] = v
            return rnn_forward(*a)[0]
        assert rel_error(g, eval_numerical_gradient_array(f, args[k], dh)) < 1e-7, f"gradient {k}"


def test_sequence_equals_steps(rng):
    x, h0, Wx, Wh, b = _params(rng, 2, 4, 3, 5)
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    prev = h0
    for t in range(4):
        prev, _ = rnn_step_forward(x[:, t], prev, Wx, Wh, b)
        np.testing.assert_allclose(h[:, t], prev, rtol=1e-12, atol=1e-12)


def test_float32_kept(rng):
    x, h0, Wx, Wh, b = (a.astype(np.float32) for a in _params(rng, 2, 3, 4, 5))
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in rnn_backward(np.ones_like(h), cache))


@pytest.mark.parametrize("bad,match", [
    (lambda a: {**a, "x": a["x"][0]}, r"x: expected shape \(N, T, D\)"),
    (lambda a: {**a, "Wh": a["Wh"][:, :-1]}, r"Wh: expected shape \(5, 5\), got \(5, 4\)"),
    (lambda a: {**a, "Wx": a["Wx"][:-1]}, r"Wx: expected shape \(4, \*\), got \(3, 5\)"),
    (lambda a: {**a, "h0": a["h0"][:1]}, r"h0: expected shape \(2, 5\), got \(1, 5\)"),
    (lambda a: {**a, "b": a["b"].astype(np.float32)}, r"b: expected dtype float64"),
])
def test_bad_input(rng, bad, match):
    x, h0, Wx, Wh, b = _params(rng, 2, 3, 4, 5)
    args = bad(dict(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b))
    with pytest.raises(ValueError, match=match):
        rnn_forward(**args)


def test_spectral_radius_scaling(rng):
    W = scale_to_spectral_radius(rng.normal(size=(8, 8)), 0.9)
    assert abs(np.max(np.abs(np.linalg.eigvals(W))) - 0.9) < 1e-12
    Wx, Wh, b = init_rnn_params(3, 8, rng=rng, spectral_radius=1.5)
    assert abs(np.max(np.abs(np.linalg.eigvals(Wh))) - 1.5) < 1e-12
    with pytest.raises(ValueError, match="radius"):
        scale_to_spectral_radius(W, -1.0)
