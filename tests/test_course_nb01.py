"""Notebook 01's exercises: other right answers pass, and the references agree with the package."""

import numpy as np

from lstm_helpers.course import nb01


def test_rnn_step_jacobian_checker_accepts_broadcasting():
    r = nb01.check_rnn_step_jacobian(lambda h, Wh: (1 - h**2)[:, None] * Wh.T)
    assert r.passed, r.message


def test_rnn_step_jacobian_matches_a_finite_difference():
    rng = np.random.default_rng(0)
    H = 4
    Wh, prev_h, a_x = rng.normal(size=(H, H)), rng.normal(size=H), rng.normal(size=H)
    step = lambda h: np.tanh(h @ Wh + a_x)  # noqa: E731
    eps = 1e-6
    J = np.stack([(step(prev_h + eps * e) - step(prev_h - eps * e)) / (2 * eps) for e in np.eye(H)], axis=1)
    assert np.abs(nb01.rnn_step_jacobian(step(prev_h), Wh) - J).max() < 1e-8


def test_clip_by_norm_solution_keeps_direction_and_matches_package():
    from lstm_helpers.numpy_optim import clip_grad_norm

    g = np.arange(1.0, 7.0).reshape(2, 3)
    clipped = nb01.clip_by_norm(g, 1.5)
    assert np.isclose(np.linalg.norm(clipped), 1.5)
    assert np.allclose(clipped / np.linalg.norm(clipped), g / np.linalg.norm(g))
    grads = {"g": g.copy()}
    clip_grad_norm(grads, 1.5)
    assert np.allclose(grads["g"], clipped)
    assert nb01.clip_by_norm(g, 100.0) is g
