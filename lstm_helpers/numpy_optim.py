"""Optimiser steps for parameters held in a dict of numpy arrays (notebook 07 trains with these).

Each step function updates the arrays in place and keeps its moments in an explicit `state` dict
that you pass back in, so nothing hides in an object between notebook cells.
"""

from __future__ import annotations

import numpy as np


def _check_same_keys(params, grads):
    if set(params) != set(grads):
        raise ValueError(f"grads: expected the keys of params {sorted(params)}, got {sorted(grads)}")
    for k in params:
        if np.shape(grads[k]) != np.shape(params[k]):
            raise ValueError(f"grads[{k!r}]: expected shape {np.shape(params[k])}, got {np.shape(grads[k])}")


def adam_step(params, grads, state=None, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step (Kingma & Ba 2015), in place; returns the new state to pass to the next call.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  p <- p - lr * m_hat / (sqrt(v_hat) + eps)
    """
    _check_same_keys(params, grads)
    if state is None:
        state = {"t": 0, "m": {k: np.zeros_like(v) for k, v in params.items()},
                 "v": {k: np.zeros_like(v) for k, v in params.items()}}
    t = state["t"] + 1
    for k in params:
        g = grads[k]
        state["m"][k] = beta1 * state["m"][k] + (1 - beta1) * g
        state["v"][k] = beta2 * state["v"][k] + (1 - beta2) * g * g
        m_hat = state["m"][k] / (1 - beta1**t)
        v_hat = state["v"][k] / (1 - beta2**t)
        params[k] -= lr * m_hat / (np.sqrt(v_hat) + eps)
    state["t"] = t
    return state


def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so their global L2 norm is at most ``max_norm``, in place.

    Returns the norm before clipping (as `torch.nn.utils.clip_grad_norm_` does).
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm: expected a number > 0, got {max_norm!r}")
    total = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    if total > max_norm:
        scale = max_norm / (total + 1e-12)
        for k in grads:
            grads[k] *= scale
    return total
