"""The numpy optimiser steps agree with torch's and clip like torch's."""

import numpy as np
import pytest
import torch

from lstm_helpers.numpy_optim import adam_step, clip_grad_norm


def test_adam_matches_torch_adam():
    rng = np.random.default_rng(0)
    p = {"w": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}
    tp = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in p.items()}
    opt = torch.optim.Adam(tp.values(), lr=1e-2)
    state = None
    for step in range(5):
        g = {k: rng.normal(size=v.shape) for k, v in p.items()}
        state = adam_step(p, g, state, lr=1e-2)
        for k in tp:
            tp[k].grad = torch.tensor(g[k])
        opt.step()
    for k in p:
        np.testing.assert_allclose(p[k], tp[k].detach().numpy(), rtol=1e-10, atol=1e-12)


def test_clip_matches_torch():
    rng = np.random.default_rng(1)
    g = {"a": rng.normal(size=(5,)) * 10, "b": rng.normal(size=(2, 2)) * 10}
    t = [torch.zeros(5, dtype=torch.float64, requires_grad=True), torch.zeros(2, 2, dtype=torch.float64, requires_grad=True)]
    t[0].grad, t[1].grad = torch.tensor(g["a"]), torch.tensor(g["b"])
    total_t = torch.nn.utils.clip_grad_norm_(t, 1.0).item()
    total = clip_grad_norm(g, 1.0)
    assert abs(total - total_t) < 1e-9
    np.testing.assert_allclose(g["a"], t[0].grad.numpy(), rtol=1e-6)
    small = {"a": np.array([0.1, 0.2])}
    clip_grad_norm(small, 1.0)
    np.testing.assert_array_equal(small["a"], [0.1, 0.2])
    with pytest.raises(ValueError, match="max_norm: expected a number > 0"):
        clip_grad_norm(g, 0)


def test_key_and_shape_mismatch():
    p = {"w": np.ones(2)}
    with pytest.raises(ValueError, match="grads: expected the keys of params"):
        adam_step(p, {"v": np.ones(2)})
    with pytest.raises(ValueError, match=r"grads\['w'\]: expected shape \(2,\), got \(3,\)"):
        adam_step(p, {"w": np.ones(3)})
