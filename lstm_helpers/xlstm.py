"""xLSTM's two cells (Beck et al. 2024) in numpy: the sLSTM with exponential gates, and the mLSTM's matrix memory.

The sLSTM has a hand-written backward pass like notebook 07's LSTM; the mLSTM is forward only, in
its recurrent form and its parallel (gated linear attention) form, which compute the same thing.

Shapes: N batch, T time steps, D input features, H hidden units. Gates stacked i, f, z, o along the
last axis of Wx (D, 4H), Wh (H, 4H), b (4H,) (z is the cell input, our LSTM's g). One head: the
paper's block-diagonal recurrent matrix is here a full Wh.

sLSTM equations (Beck et al. 2024, section 2.2; ~ marks a pre-activation)::

    [i~, f~, z~, o~] = x_t Wx + h_{t-1} Wh + b
    i_t = exp(i~)                   exponential input gate
    f_t = exp(f~)  or sigmoid(f~)   exponential (or sigmoid) forget gate;  log f_t = f~ or logsigmoid(f~)
    z_t = tanh(z~),  o_t = sigmoid(o~)
    c_t = f_t c_{t-1} + i_t z_t     cell state
    n_t = f_t n_{t-1} + i_t         normaliser state: the sum of the same weights, with z replaced by 1
    h_t = o_t * c_t / n_t           hidden state: a weighted average of the z's

Stabiliser state m_t = max(log f_t + m_{t-1}, i~_t). Replacing i_t by i'_t = exp(i~_t - m_t) and
f_t by f'_t = exp(log f_t + m_{t-1} - m_t) scales c_t and n_t by the same exp(-m_t), so h_t is
unchanged, and no exponential ever sees an argument above 0: no overflow.
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid
from .utils import check_array, check_float_dtypes

FORGET_GATES = ("exp", "sigmoid")


def _log_sigmoid(a):
    return -np.logaddexp(0.0, -a)


def _check_slstm(x, prev_h, Wx, Wh, b, forget_gate, *, seq):
    rank, shape = (3, "(N, T, D)") if seq else (2, "(N, D)")
    if not isinstance(x, np.ndarray) or x.ndim != rank:
        got = x.shape if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"x: expected a numpy array of shape {shape}, got {got}")
    N, D = x.shape[0], x.shape[-1]
    name = "h0" if seq else "prev_h"
    if not isinstance(prev_h, np.ndarray) or prev_h.ndim != 2 or prev_h.shape[0] != N:
        got = prev_h.shape if isinstance(prev_h, np.ndarray) else type(prev_h).__name__
        raise ValueError(f"{name}: expected shape (N, H) with N={N}, got {got}")
    H = prev_h.shape[1]
    check_array("Wx", Wx, (D, 4 * H))
    check_array("Wh", Wh, (H, 4 * H))
    check_array("b", b, (4 * H,))
    if forget_gate not in FORGET_GATES:
        raise ValueError(f"forget_gate: expected one of {FORGET_GATES}, got {forget_gate!r}")
    check_float_dtypes(x=x, **{name: prev_h}, Wx=Wx, Wh=Wh, b=b)
    return N, D, H


# --------------------------------------------------------------------------------------------
# sLSTM: one step


def slstm_step_forward(x, prev_h, prev_c, prev_n, prev_m, Wx, Wh, b, *, forget_gate="exp", stabilise=True):
    """One sLSTM time step.

    Inputs: x (N, D); prev_h, prev_c, prev_n, prev_m (N, H): hidden, cell, normaliser and
    stabiliser states; Wx (D, 4H), Wh (H, 4H), b (4H,) with blocks i, f, z, o.
    ``stabilise=False`` computes the raw exponentials (prev_m is then ignored and next_m is 0):
    the same h until exp overflows.

    Returns next_h, next_c, next_n, next_m (each (N, H)) and a cache for `slstm_step_backward`.
    """
    N, _, H = _check_slstm(x, prev_h, Wx, Wh, b, forget_gate, seq=False)
    for name, arr in (("prev_c", prev_c), ("prev_n", prev_n), ("prev_m", prev_m)):
        check_array(name, arr, (N, H))
    a = x @ Wx + prev_h @ Wh + b  # (N, 4H)
    a_i, a_f, a_z, a_o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
    log_f = a_f if forget_gate == "exp" else _log_sigmoid(a_f)
    if stabilise:
        next_m = np.maximum(log_f + prev_m, a_i)  # the largest log-weight so far
        i = np.exp(a_i - next_m)                  # i'_t <= 1
        f = np.exp(log_f + prev_m - next_m)       # f'_t <= 1
    else:
        next_m = np.zeros_like(prev_m)
        with np.errstate(over="ignore"):
            i, f = np.exp(a_i), np.exp(log_f)     # can be inf: the point of the stabiliser
    z = np.tanh(a_z)
    o = sigmoid(a_o)
    with np.errstate(over="ignore", invalid="ignore"):
        next_c = f * prev_c + i * z
        next_n = f * prev_n + i
        next_h = o * next_c / next_n
    cache = dict(x=x, prev_h=prev_h, prev_c=prev_c, prev_n=prev_n, Wx=Wx, Wh=Wh, a_f=a_f, i=i, f=f, z=z, o=o,
                 next_c=next_c, next_n=next_n, next_m=next_m, forget_gate=forget_gate, stabilise=stabilise,
                 m_from_f=(log_f + prev_m >= a_i) if stabilise else None)
    return next_h, next_c, next_n, next_m, cache


def slstm_step_backward(dnext_h, dnext_c, dnext_n, dnext_m, cache):
    """Backward pass of one sLSTM step.

    Inputs: gradients of the loss with respect to next_h, next_c, next_n, next_m (each (N, H));
    the cache of `slstm_step_forward`. Returns dx, dprev_h, dprev_c, dprev_n, dprev_m, dWx, dWh, db.
    The stabiliser is differentiated too (m = max(A, B) sends its gradient to the larger of the
    two); over a whole sequence those contributions cancel, because h does not depend on m.
    """
    x, prev_h, prev_c, prev_n = cache["x"], cache["prev_h"], cache["prev_c"], cache["prev_n"]
    i, f, z, o, c, n = cache["i"], cache["f"], cache["z"], cache["o"], cache["next_c"], cache["next_n"]
    do = dnext_h * c / n                          # h = o * c / n
    dc = dnext_c + dnext_h * o / n
    dn = dnext_n - dnext_h * o * c / n ** 2
    df = dc * prev_c + dn * prev_n                # c = f c_prev + i z;  n = f n_prev + i
    di = dc * z + dn
    dz = dc * i
    dprev_c, dprev_n = dc * f, dn * f
    dlog_f = df * f                               # f = exp(log_f + m_prev - m)
    da_i = di * i                                 # i = exp(a_i - m)
    dprev_m = np.zeros_like(dlog_f)
    if cache["stabilise"]:
        dm = dnext_m - df * f - di * i            # both exponentials contain -m
        dprev_m = df * f                          # f contains + m_prev
        take_f = cache["m_from_f"]                # m = max(log_f + m_prev, a_i)
        dlog_f = dlog_f + dm * take_f
        dprev_m = dprev_m + dm * take_f
        da_i = da_i + dm * ~take_f
    da_f = dlog_f if cache["forget_gate"] == "exp" else dlog_f * (1.0 - sigmoid(cache["a_f"]))
    da_z = dz * (1.0 - z ** 2)
    da_o = do * o * (1.0 - o)
    da = np.concatenate([da_i, da_f, da_z, da_o], axis=1)  # (N, 4H), order i, f, z, o
    dx = da @ cache["Wx"].T
    dprev_h = da @ cache["Wh"].T
    return dx, dprev_h, dprev_c, dprev_n, dprev_m, x.T @ da, prev_h.T @ da, da.sum(axis=0)


# --------------------------------------------------------------------------------------------
# sLSTM: a sequence


def slstm_forward(x, h0, Wx, Wh, b, *, forget_gate="exp", stabilise=True):
    """sLSTM over a sequence: x (N, T, D), h0 (N, H) -> h (N, T, H), cache.

    c, n and m start at zero (n_0 = 0 is safe: n_1 = i'_1 > 0). The cache also holds the states
    over time (``cache["c"]``, ``["n"]``, ``["m"]``, ``["i"]``, ``["f"]``, each (N, T, H)) for plots.
    """
    N, _, H = _check_slstm(x, h0, Wx, Wh, b, forget_gate, seq=True)
    T = x.shape[1]
    h, c, n, m = h0, np.zeros((N, H), x.dtype), np.zeros((N, H), x.dtype), np.zeros((N, H), x.dtype)
    hs, steps = np.zeros((N, T, H), x.dtype), []
    for t in range(T):
        h, c, n, m, step = slstm_step_forward(x[:, t], h, c, n, m, Wx, Wh, b, forget_gate=forget_gate,
                                              stabilise=stabilise)
        hs[:, t] = h
        steps.append(step)
    cache = {"steps": steps}
    for key, src in (("c", "next_c"), ("n", "next_n"), ("m", "next_m"), ("i", "i"), ("f", "f")):
        cache[key] = np.stack([s[src] for s in steps], axis=1)
    return hs, cache


def slstm_backward(dh, cache):
    """Backward pass over the sequence: dh (N, T, H), the gradient of the loss with respect to every h_t.

    Returns dx (N, T, D), dh0 (N, H), dWx, dWh, db.
    """
    steps = cache["steps"]
    N, T, H = dh.shape
    check_array("dh", dh, (N, len(steps), H))
    x0 = steps[0]["x"]
    dx = np.zeros((N, T, x0.shape[1]), dh.dtype)
    dWx, dWh, db = np.zeros_like(steps[0]["Wx"]), np.zeros_like(steps[0]["Wh"]), np.zeros(4 * H, dh.dtype)
    dprev_h = dprev_c = dprev_n = dprev_m = np.zeros((N, H), dh.dtype)
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dprev_c, dprev_n, dprev_m, dWx_t, dWh_t, db_t = slstm_step_backward(
            dh[:, t] + dprev_h, dprev_c, dprev_n, dprev_m, steps[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def init_slstm_params(D, H, *, seed=0, scale=0.5, dtype=np.float64):
    """Random (Wx (D, 4H), Wh (H, 4H), b (4H,)) for an sLSTM, drawn from ``seed``.

    Wx ~ N(0, scale^2 / D), Wh ~ N(0, scale^2 / H), b = 0.
    """
    rng = np.random.default_rng(seed)
    Wx = rng.normal(0, scale / np.sqrt(D), (D, 4 * H)).astype(dtype)
    Wh = rng.normal(0, scale / np.sqrt(H), (H, 4 * H)).astype(dtype)
    return Wx, Wh, np.zeros(4 * H, dtype)


# --------------------------------------------------------------------------------------------
# mLSTM: a matrix memory, forward only


def mlstm_recurrent(q, k, v, i_pre, f_pre, o):
    """mLSTM step by step: q, k (N, T, d), v (N, T, dv), i_pre, f_pre (N, T), o (N, T, dv) -> h (N, T, dv).

    C_t = f_t C_{t-1} + i_t v_t k_t^T       (dv, d): a key -> value memory, one outer product per step
    n_t = f_t n_{t-1} + i_t k_t             (d,):   the keys written so far, for normalising
    h_t = o_t * (C_t q_t) / max(|n_t . q_t|, 1)
    with i_t = exp(i_pre), f_t = sigmoid(f_pre); k is scaled by 1/sqrt(d) as in the paper.
    Unstabilised: keep i_pre moderate (the xLSTM code stabilises as sLSTM does).
    """
    N, T, d = q.shape
    k = k / np.sqrt(d)
    C = np.zeros((N, v.shape[2], d))
    n = np.zeros((N, d))
    hs = np.zeros_like(v, dtype=np.float64)
    i, f = np.exp(i_pre), sigmoid(f_pre)
    for t in range(T):
        C = f[:, t, None, None] * C + i[:, t, None, None] * v[:, t, :, None] * k[:, t, None, :]
        n = f[:, t, None] * n + i[:, t, None] * k[:, t]
        num = np.einsum("nvd,nd->nv", C, q[:, t])
        den = np.maximum(np.abs(np.einsum("nd,nd->n", n, q[:, t])), 1.0)
        hs[:, t] = o[:, t] * num / den[:, None]
    return hs


def mlstm_parallel(q, k, v, i_pre, f_pre, o):
    """The same h as `mlstm_recurrent`, for all t at once: gated linear attention.

    D_ts = exp(sum_{r=s+1..t} log f_r + log i_s) for s <= t (0 above the diagonal);
    S = D * (q k^T);  h = o * (S v) / max(|row sums of S|, 1). A T x T matrix, like attention
    without the softmax, in place of the loop.
    """
    N, T, d = q.shape
    k = k / np.sqrt(d)
    cum_log_f = np.cumsum(_log_sigmoid(f_pre), axis=1)  # (N, T)
    log_D = cum_log_f[:, :, None] - cum_log_f[:, None, :] + i_pre[:, None, :]  # (N, T, T): [t, s]
    mask = np.tril(np.ones((T, T), dtype=bool))
    D = np.where(mask, np.exp(np.where(mask, log_D, 0.0)), 0.0)
    S = D * np.einsum("ntd,nsd->nts", q, k)  # (N, T, T)
    den = np.maximum(np.abs(S.sum(axis=2)), 1.0)  # (N, T)
    return o * np.einsum("nts,nsv->ntv", S, v) / den[:, :, None]
