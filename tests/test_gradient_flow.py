"""Gradient norms against distance: exact in cases with closed forms, and against autograd."""

import numpy as np
import pytest
import torch

from lstm_helpers import gradient_flow as gf
from lstm_helpers.numpy_lstm import init_lstm_params
from lstm_helpers.numpy_rnn import init_rnn_params


def test_linear_regime_rnn_matches_power_of_wh():
    # With tiny inputs and weights the tanh is nearly linear, so dh_T/dh_{T-k} ~ (Wh^T)^k.
    rng = np.random.default_rng(0)
    H, T = 4, 6
    Wh = 1e-3 * rng.normal(size=(H, H))
    Wx, b = np.zeros((1, H)), np.zeros(H)
    norms = gf.rnn_state_gradient_norms(np.zeros((1, T, 1)), Wx, Wh, b)
    for k in range(T + 1):
        assert abs(norms[k] - np.linalg.norm(np.linalg.matrix_power(Wh.T, k), 2)) <= 1e-9 * max(1, norms[k]) + 1e-30


def test_rnn_norms_match_autograd():
    rng = np.random.default_rng(1)
    Wx, Wh, b = init_rnn_params(2, 5, rng=rng, spectral_radius=1.2)
    x = rng.normal(size=(1, 8, 2))
    norms = gf.rnn_state_gradient_norms(x, Wx, Wh, b)
    hs = [torch.zeros(5, dtype=torch.float64, requires_grad=True)]
    tWx, tWh, tb = (torch.tensor(a) for a in (Wx, Wh, b))
    for t in range(8):
        h = torch.tanh(torch.tensor(x[0, t]) @ tWx + hs[-1] @ tWh + tb)
        hs.append(h)
    for k in (1, 3, 8):
        J = torch.autograd.functional.jacobian(
            lambda h_start: _roll(h_start, x, tWx, tWh, tb, 8 - k), hs[8 - k].detach())
        assert abs(torch.linalg.matrix_norm(J, 2).item() - norms[k]) < 1e-10


def _roll(h, x, Wx, Wh, b, start):
    for t in range(start, x.shape[1]):
        h = torch.tanh(torch.tensor(x[0, t]) @ Wx + h @ Wh + b)
    return h


def test_constant_error_carousel_is_exactly_one():
    H, T = 3, 50
    p = init_lstm_params(2, H, rng=np.random.default_rng(0))
    p["Wx"][:] = 0
    p["Wh"][:] = 0
    p["b"][:] = 0
    p["b"][H:2 * H] = 50.0   # forget gate = 1
    p["b"][:H] = -50.0       # input gate = 0
    norms = gf.lstm_state_gradient_norms(np.ones((1, T, 2)), p["Wx"], p["Wh"], p["b"])
    np.testing.assert_allclose(norms, 1.0, rtol=0, atol=1e-12)


def test_decay_rate_recovers_geometric_factor():
    assert abs(gf.decay_rate(0.8 ** np.arange(30)) - 0.8) < 1e-12
    with pytest.raises(ValueError, match="norms: expected at least two positive"):
        gf.decay_rate([1.0, 0.0, 0.0])


def test_bad_inputs():
    Wx, Wh, b = init_rnn_params(2, 3)
    with pytest.raises(ValueError, match=r"x: expected one sequence of shape \(1, T, D\), got \(2, 4, 2\)"):
        gf.rnn_state_gradient_norms(np.zeros((2, 4, 2)), Wx, Wh, b)
    p = init_lstm_params(2, 3)
    with pytest.raises(ValueError, match="of: expected 'c' or 'h', got 'x'"):
        gf.lstm_state_gradient_norms(np.zeros((1, 4, 2)), p["Wx"], p["Wh"], p["b"], of="x")
