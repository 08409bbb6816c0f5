"""How far back a gradient reaches: the norm of d(last state)/d(earlier state) against distance.

Notebook 01 measures it for the tanh RNN, notebook 05 for the LSTM, both with these functions, so
the two curves can share one set of axes. Jacobians come from the package's own backward steps.
"""

from __future__ import annotations

import numpy as np

from .numpy_lstm import lstm_step_backward, lstm_step_forward
from .numpy_rnn import rnn_step_backward, rnn_step_forward
from .utils import check_array


def _tile_one_sequence(x, name="x"):
    """Repeat one sequence (1, T, D) H times, so that a batch backward pass with the identity as
    upstream gradient yields one row of the Jacobian per batch element."""
    if not isinstance(x, np.ndarray) or x.ndim != 3 or x.shape[0] != 1:
        got = x.shape if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"{name}: expected one sequence of shape (1, T, D), got {got}")
    return x


def rnn_state_gradient_norms(x, Wx, Wh, b, h0=None):
    """Spectral norms ||dh_T / dh_{T-k}||_2 for k = 0 .. T of a tanh RNN on one sequence.

    Inputs: x (1, T, D), Wx (D, H), Wh (H, H), b (H,), h0 (1, H) or zeros.
    Returns an array of T + 1 norms indexed by the distance k (k = 0 is the identity, norm 1).
    Each backward step multiplies by diag(1 - h_t^2) Wh^T, so the norm shrinks or grows roughly
    geometrically with k.
    """
    _tile_one_sequence(x)
    T, H = x.shape[1], Wh.shape[0]
    h0 = np.zeros((1, H), dtype=x.dtype) if h0 is None else check_array("h0", h0, (1, H))
    prev_h = np.repeat(h0, H, axis=0)  # (H, H): H identical copies of the sequence
    caches = []
    for t in range(T):
        prev_h, cache = rnn_step_forward(np.repeat(x[:, t], H, axis=0), prev_h, Wx, Wh, b)
        caches.append(cache)
    J = np.eye(H, dtype=x.dtype)  # row r: d h_T[r] / d h_t
    norms = [np.linalg.norm(J, 2)]
    for cache in reversed(caches):
        J = rnn_step_backward(J, cache)[1]
        norms.append(np.linalg.norm(J, 2))
    return np.array(norms)


def lstm_state_gradient_norms(x, Wx, Wh, b, h0=None, c0=None, *, of="c", wrt="c"):
    """Spectral norms ||d s_T / d r_{T-k}||_2 for k = 0 .. T of an LSTM on one sequence.

    ``of`` and ``wrt`` pick the states: 'c' (cell state C) or 'h' (hidden state). The default,
    dC_T/dC_{T-k}, is the cell-state highway: along it each step multiplies by f_t (plus the
    smaller paths through h). Inputs: x (1, T, D), Wx (D, 4H), Wh (H, 4H), b (4H,).
    """
    for name, v in (("of", of), ("wrt", wrt)):
        if v not in ("c", "h"):
            raise ValueError(f"{name}: expected 'c' or 'h', got {v!r}")
    _tile_one_sequence(x)
    T, H = x.shape[1], Wh.shape[0]
    h0 = np.zeros((1, H), dtype=x.dtype) if h0 is None else check_array("h0", h0, (1, H))
    c0 = np.zeros((1, H), dtype=x.dtype) if c0 is None else check_array("c0", c0, (1, H))
    prev_h, prev_c = np.repeat(h0, H, axis=0), np.repeat(c0, H, axis=0)
    caches = []
    for t in range(T):
        prev_h, prev_c, cache = lstm_step_forward(np.repeat(x[:, t], H, axis=0), prev_h, prev_c, Wx, Wh, b)
        caches.append(cache)
    eye, zero = np.eye(H, dtype=x.dtype), np.zeros((H, H), dtype=x.dtype)
    dh, dc = (eye, zero) if of == "h" else (zero, eye)
    norms = [np.linalg.norm(dh if wrt == "h" else dc, 2)]
    for cache in reversed(caches):
        _, dh, dc, *_ = lstm_step_backward(dh, dc, cache)
        norms.append(np.linalg.norm(dh if wrt == "h" else dc, 2))
    return np.array(norms)


def decay_rate(norms, skip=1):
    """Fitted per-step factor r in norms[k] ~ A r^k (a straight line on a log scale).

    r < 1: vanishing, r > 1: exploding. ``skip`` ignores the first points (the transient).
    Zeros and non-finite values are left out of the fit.
    """
    norms = np.asarray(norms, dtype=np.float64)
    k = np.arange(len(norms))[skip:]
    y = norms[skip:]
    keep = np.isfinite(y) & (y > 0)
    if keep.sum() < 2:
        raise ValueError(f"norms: expected at least two positive finite values after skip={skip}, got {keep.sum()}")
    slope = np.polyfit(k[keep], np.log(y[keep]), 1)[0]
    return float(np.exp(slope))


def torch_input_gradient_norms(module, x):
    """Mean over a batch of ||d h_T / d x_t||_F for t = 0 .. T-1, in a (trained) torch recurrent layer.

    ``module`` is a batch-first ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` or ``torch_lstm.LSTM``; ``x`` is
    (N, T, D), numpy or tensor. Where the numpy functions above follow one state back through fixed
    random weights, this asks a trained network how much its last hidden state h_T still depends on
    each input: one backward pass per hidden unit gives the rows of the (H, D) Jacobian of every
    sequence at every step. Returns a float64 numpy array of T norms indexed by t (not by distance).
    """
    import torch

    x = torch.as_tensor(x)
    if x.dim() != 3:
        raise ValueError(f"x: expected a batch of sequences of shape (N, T, D), got {tuple(x.shape)}")
    if not getattr(module, "batch_first", False):
        raise ValueError("module: expected a batch_first recurrent layer (batch_first=True)")
    param = next(module.parameters())
    x = x.to(dtype=param.dtype, device=param.device).detach().requires_grad_(True)
    was_training = module.training
    module.eval()
    try:
        with torch.enable_grad():
            out, _ = module(x)  # (N, T, H)
            h_last = out[:, -1]  # (N, H)
            sq = torch.zeros(x.shape[:2], dtype=torch.float64, device=x.device)  # (N, T)
            for j in range(h_last.shape[1]):
                # samples are independent, so the gradient of the batch sum is each sample's own row j
                (g,) = torch.autograd.grad(h_last[:, j].sum(), x, retain_graph=j < h_last.shape[1] - 1)
                sq += (g.double() ** 2).sum(dim=2)
    finally:
        module.train(was_training)
    return sq.sqrt().mean(dim=0).cpu().numpy()
