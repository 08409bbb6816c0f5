"""A plain tanh recurrent network in numpy, with backpropagation through time written by hand.

Notebook 01 uses it to watch gradients vanish or explode; the LSTM in `numpy_lstm` follows the
same forward/backward-with-cache pattern (CS231n's `rnn_layers.py`).

Shapes: N batch, T time steps, D input features, H hidden units.

Equations (one step)::

    h_t = tanh(x_t Wx + h_{t-1} Wh + b)

    dh_t/dh_{t-1} = diag(1 - h_t^2) Wh^T      (the factor that repeats in every step of BPTT)
"""

from __future__ import annotations

import numpy as np

from .utils import check_array, check_float_dtypes


def _check_rnn_params(x, prev_h, Wx, Wh, b, *, seq: bool):
    """Validate shapes and dtypes of an RNN call; return (N, T or None, D, H)."""
    x_name = "x"
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{x_name}: expected a numpy array, got {type(x).__name__}")
    want_rank = 3 if seq else 2
    if x.ndim != want_rank:
        want = "(N, T, D)" if seq else "(N, D)"
        raise ValueError(f"{x_name}: expected shape {want} (rank {want_rank}), got shape {x.shape}")
    N, D = x.shape[0], x.shape[-1]
    check_array("Wx", Wx, (D, None))
    H = Wx.shape[1]
    check_array("Wh", Wh, (H, H))
    check_array("b", b, (H,))
    check_array("h0" if seq else "prev_h", prev_h, (N, H))
    check_float_dtypes(x=x, **{"h0" if seq else "prev_h": prev_h}, Wx=Wx, Wh=Wh, b=b)
    return N, (x.shape[1] if seq else None), D, H


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One time step of a tanh RNN.

    Inputs:
    - x: input at this step, (N, D)
    - prev_h: hidden state of the previous step, (N, H)
    - Wx: input-to-hidden weights, (D, H)
    - Wh: hidden-to-hidden (recurrent) weights, (H, H)
    - b: bias, (H,)

    Returns next_h (N, H) and a cache for `rnn_step_backward`.
    """
    _check_rnn_params(x, prev_h, Wx, Wh, b, seq=False)
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)  # (N, H)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    """Backward pass of one RNN step.

    Inputs: dnext_h, the upstream gradient dL/dnext_h (N, H), and the cache of the forward step.
    Returns dx (N, D), dprev_h (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    x, prev_h, Wx, Wh, next_h = cache
    check_array("dnext_h", dnext_h, next_h.shape)
    da = dnext_h * (1.0 - next_h**2)  # through tanh: d tanh(a)/da = 1 - tanh(a)^2
    dx = da @ Wx.T
    dprev_h = da @ Wh.T  # the recurrent factor: diag(1 - h^2) Wh^T, applied once per step
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """Run the tanh RNN over a whole sequence.

    Inputs: x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,).
    Returns h, the hidden states of every step (N, T, H), and a cache for `rnn_backward`.
    """
    N, T, D, H = _check_rnn_params(x, h0, Wx, Wh, b, seq=True)
    xw = x @ Wx + b  # (N, T, H): all input projections in one product, outside the loop
    h = np.empty((N, T, H), dtype=x.dtype)
    prev_h = h0
    for t in range(T):
        prev_h = np.tanh(xw[:, t] + prev_h @ Wh)
        h[:, t] = prev_h
    cache = (x, h0, Wx, Wh, h)
    return h, cache


def rnn_backward(dh, cache):
    """Backpropagation through time for the whole sequence.

    Input dh (N, T, H) is the upstream gradient on every hidden state (zeros where a step has no
    loss). Returns dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    x, h0, Wx, Wh, h = cache
    check_array("dh", dh, h.shape)
    N, T, H = h.shape
    da = np.empty_like(h)  # (N, T, H): gradient at each step's pre-activation
    dprev_h = np.zeros_like(h0)
    for t in reversed(range(T)):
        da[:, t] = (dh[:, t] + dprev_h) * (1.0 - h[:, t] ** 2)
        dprev_h = da[:, t] @ Wh.T
    # Weight gradients sum over time: one product each, after the loop.
    h_prev = np.concatenate([h0[:, None], h[:, :-1]], axis=1)  # (N, T, H): the state each step read
    dx = da @ Wx.T
    dWx = x.reshape(-1, x.shape[-1]).T @ da.reshape(-1, H)
    dWh = h_prev.reshape(-1, H).T @ da.reshape(-1, H)
    db = da.sum(axis=(0, 1))
    return dx, dprev_h, dWx, dWh, db


def init_rnn_params(D, H, *, rng=None, spectral_radius=None, dtype=np.float64):
    """Random RNN parameters: Wx ~ N(0, 1/D), Wh orthogonal (or scaled to a spectral radius), b = 0.

    ``spectral_radius`` rescales Wh so its largest absolute eigenvalue equals that number, the
    knob notebook 01 turns to make gradients vanish (< 1) or explode (> 1).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    Wx = rng.normal(0.0, 1.0 / np.sqrt(D), size=(D, H))
    q, r = np.linalg.qr(rng.normal(size=(H, H)))
    Wh = q * np.sign(np.diag(r))  # a uniformly random orthogonal matrix
    if spectral_radius is not None:
        Wh = scale_to_spectral_radius(rng.normal(size=(H, H)), spectral_radius)
    b = np.zeros(H)
    return Wx.astype(dtype), Wh.astype(dtype), b.astype(dtype)


def scale_to_spectral_radius(W, radius):
    """Return W scaled so that its spectral radius (largest |eigenvalue|) equals ``radius``."""
    check_array("W", W, (W.shape[0], W.shape[0]) if isinstance(W, np.ndarray) and W.ndim == 2 else (None, None))
    if not np.isfinite(radius) or radius < 0:
        raise ValueError(f"radius: expected a finite number >= 0, got {radius!r}")
    rho = np.max(np.abs(np.linalg.eigvals(W)))
    return W * (radius / rho)
