"""The LSTM in numpy: each gate on its own, then the step and the sequence, with hand-written backward.

Gate order is PyTorch's, i, f, g, o, stacked along the last axis of Wx (D, 4H), Wh (H, 4H), b (4H,).

Shapes: N batch, T time steps, D input features, H hidden units.

Equations (the seed's notation; [h_{t-1}, x_t] W is written as x_t Wx + h_{t-1} Wh)::

    i_t  = sigmoid(x_t Wx_i + h_{t-1} Wh_i + b_i)      input gate        输入门
    f_t  = sigmoid(x_t Wx_f + h_{t-1} Wh_f + b_f)      forget gate       遗忘门
    g_t  = tanh   (x_t Wx_g + h_{t-1} Wh_g + b_g)      candidate state   候选状态  (the seed's c~_t)
    o_t  = sigmoid(x_t Wx_o + h_{t-1} Wh_o + b_o)      output gate       输出门
    C_t  = f_t * C_{t-1} + i_t * g_t                   cell state        细胞状态
    h_t  = o_t * tanh(C_t)

With peepholes (Gers & Schmidhuber 2000; the seed: the cell state as an extra input to the gates),
``peep = [p_i, p_f, p_o]`` of shape (3H,) adds ``p_i * C_{t-1}`` to the input gate's and
``p_f * C_{t-1}`` to the forget gate's pre-activation, and ``p_o * C_t`` to the output gate's.
"""

from __future__ import annotations

import numpy as np

from .activations import dsigmoid_from_output, dtanh_from_output, sigmoid
from .utils import check_array, check_float_dtypes

FORGET_BIAS = 1.0
"""The series' one default for the forget gate's bias at initialisation (every LSTM here starts with it).

With b_f = 1 the forget gate starts near sigmoid(1) = 0.73 instead of 0.5, so a fresh LSTM keeps
most of its memory from step to step and gradients flow back along the cell state from the first
update. Gers, Schmidhuber & Cummins (2000) introduced the forget gate; Jozefowicz, Zaremba &
Sutskever (2015), comparing thousands of recurrent architectures, found that adding a bias of 1 to
the LSTM's forget gate closes the gap between the LSTM and the GRU. (PyTorch's `nn.LSTM` starts
at 0, so `models.add_forget_bias` sets it; Keras starts at 1 with `unit_forget_bias=True`.)
"""

GATE_ORDER = "ifgo"
"""PyTorch's order of the four blocks in the stacked weights: input, forget, candidate (g), output."""

GATE_NAMES = {
    "i": "input gate (输入门)",
    "f": "forget gate (遗忘门)",
    "g": "candidate state (候选状态)",
    "o": "output gate (输出门)",
}


# --------------------------------------------------------------------------------------------
# Validation


def _check_lstm_args(x, prev_h, prev_c, Wx, Wh, b, peep, *, seq: bool):
    """Validate an LSTM call's arrays; return (N, T or None, D, H, dtype)."""
    rank, x_shape = (3, "(N, T, D)") if seq else (2, "(N, D)")
    h_name, c_name = ("h0", "c0") if seq else ("prev_h", "prev_c")
    if not isinstance(x, np.ndarray):
        raise ValueError(f"x: expected a numpy array of shape {x_shape}, got {type(x).__name__}")
    if x.ndim != rank:
        raise ValueError(f"x: expected shape {x_shape} (rank {rank}), got shape {x.shape} (rank {x.ndim})")
    N, D = x.shape[0], x.shape[-1]
    if not isinstance(prev_h, np.ndarray) or prev_h.ndim != 2:
        got = prev_h.shape if isinstance(prev_h, np.ndarray) else type(prev_h).__name__
        raise ValueError(f"{h_name}: expected shape (N, H) with N={N}, got {got}")
    H = prev_h.shape[1]
    check_array(h_name, prev_h, (N, H))
    if prev_c is not None:
        check_array(c_name, prev_c, (N, H))
    for name, arr, shape in (("Wx", Wx, (D, 4 * H)), ("Wh", Wh, (H, 4 * H)), ("b", b, (4 * H,))):
        if not isinstance(arr, np.ndarray) or arr.shape != shape:
            got = arr.shape if isinstance(arr, np.ndarray) else type(arr).__name__
            hint = ""
            if isinstance(arr, np.ndarray) and arr.ndim >= 1 and arr.shape[-1] != 4 * H:
                hint = f" (the last axis stacks the four gates i, f, g, o, so it must be 4H = 4*{H})"
            raise ValueError(f"{name}: expected shape {shape}, got {got}{hint}")
    if peep is not None:
        check_array("peep", peep, (3 * H,))
    dtype = check_float_dtypes(x=x, **{h_name: prev_h, c_name: prev_c}, Wx=Wx, Wh=Wh, b=b, peep=peep)
    return N, (x.shape[1] if seq else None), D, H, dtype


# --------------------------------------------------------------------------------------------
# Each gate on its own (notebooks 03-06 teach them one at a time)


def gate_slice(W, gate: str):
    """The block of a stacked (..., 4H) weight or bias that belongs to one gate ('i', 'f', 'g', 'o')."""
    if gate not in GATE_ORDER or len(gate) != 1:
        raise ValueError(f"gate: expected one of 'i', 'f', 'g', 'o', got {gate!r}")
    W = np.asarray(W)
    if W.shape[-1] % 4:
        raise ValueError(f"W: expected a last axis of 4H (the four gates stacked), got shape {W.shape}")
    H = W.shape[-1] // 4
    k = GATE_ORDER.index(gate)
    return W[..., k * H:(k + 1) * H]


def gate_affine(x, prev_h, Wx, Wh, b, gate):
    """x Wx_gate + h_{t-1} Wh_gate + b_gate, accepting either one gate's weights or all four stacked."""
    H = np.shape(prev_h)[-1]
    width = np.shape(Wx)[-1]
    if width == 4 * H and H != 0:
        Wx, Wh, b = gate_slice(Wx, gate), gate_slice(Wh, gate), gate_slice(b, gate)
    elif width != H:
        raise ValueError(f"Wx: expected last axis H={H} (this gate only) or 4H={4 * H} (all gates), got {width}")
    return x @ Wx + prev_h @ Wh + b


def input_gate(x, prev_h, Wx, Wh, b):
    """i_t = sigmoid(x_t Wx_i + h_{t-1} Wh_i + b_i): how much of the candidate to write (0..1)."""
    return sigmoid(gate_affine(x, prev_h, Wx, Wh, b, "i"))


def forget_gate(x, prev_h, Wx, Wh, b):
    """f_t = sigmoid(x_t Wx_f + h_{t-1} Wh_f + b_f): how much of C_{t-1} to keep (0 = drop, 1 = keep)."""
    return sigmoid(gate_affine(x, prev_h, Wx, Wh, b, "f"))


def candidate(x, prev_h, Wx, Wh, b):
    """g_t (the seed's c~_t) = tanh(x_t Wx_g + h_{t-1} Wh_g + b_g): the new value proposed for the cell."""
    return np.tanh(gate_affine(x, prev_h, Wx, Wh, b, "g"))


def output_gate(x, prev_h, Wx, Wh, b):
    """o_t = sigmoid(x_t Wx_o + h_{t-1} Wh_o + b_o): how much of tanh(C_t) to show as h_t."""
    return sigmoid(gate_affine(x, prev_h, Wx, Wh, b, "o"))


def cell_update(prev_c, f, i, g):
    """C_t = f_t * C_{t-1} + i_t * g_t: keep part of the old memory, add part of the new."""
    return f * prev_c + i * g


def hidden_state(o, next_c):
    """h_t = o_t * tanh(C_t): the part of the memory the cell shows to the next layer and step."""
    return o * np.tanh(next_c)


# --------------------------------------------------------------------------------------------
# One time step


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b, peep=None):
    """One LSTM time step.

    Inputs:
    - x: input at this step, (N, D)
    - prev_h: previous hidden state h_{t-1}, (N, H)
    - prev_c: previous cell state C_{t-1}, (N, H)
    - Wx: input-to-gates weights, (D, 4H), blocks in the order i, f, g, o
    - Wh: hidden-to-gates weights, (H, 4H)
    - b: biases, (4H,)
    - peep: optional peephole weights [p_i, p_f, p_o], (3H,)

    Returns next_h (N, H), next_c (N, H) and a cache for `lstm_step_backward`.
    """
    _, _, _, H, _ = _check_lstm_args(x, prev_h, prev_c, Wx, Wh, b, peep, seq=False)
    a = x @ Wx + prev_h @ Wh + b  # (N, 4H): all four pre-activations in one product
    next_h, next_c, parts = gates_forward(a, prev_c, peep, H)
    cache = dict(x=x, prev_h=prev_h, prev_c=prev_c, Wx=Wx, Wh=Wh, peep=peep, next_c=next_c, **parts)
    return next_h, next_c, cache


def gates_forward(a, prev_c, peep, H):
    """From pre-activations a (N, 4H) and C_{t-1} to h_t and C_t; shared by step and sequence."""
    a_i, a_f, a_g, a_o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
    if peep is not None:
        a_i = a_i + peep[:H] * prev_c
        a_f = a_f + peep[H:2 * H] * prev_c
    i = sigmoid(a_i)
    f = sigmoid(a_f)
    g = np.tanh(a_g)
    next_c = f * prev_c + i * g
    if peep is not None:
        a_o = a_o + peep[2 * H:] * next_c  # the output gate peeks at the new cell state
    o = sigmoid(a_o)
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    return next_h, next_c, dict(i=i, f=f, g=g, o=o, tanh_c=tanh_c)


def gates_backward(dnext_h, dnext_c, i, f, g, o, tanh_c, prev_c, next_c, peep):
    """From dL/dh_t and dL/dC_t back to the pre-activations: returns da (N, 4H), dprev_c, dpeep.

    Each line is one derivative of the forward equations.
    """
    do = dnext_h * tanh_c                                   # h = o * tanh(C)
    da_o = do * dsigmoid_from_output(o)                     # o = sigmoid(a_o)
    dc = dnext_c + dnext_h * o * dtanh_from_output(tanh_c)  # C reaches the loss directly and via h
    if peep is not None:
        H = i.shape[1]
        dc = dc + da_o * peep[2 * H:]                       # a_o = ... + p_o * C_t
    di = dc * g                                             # C = f * C_prev + i * g
    dg = dc * i
    df = dc * prev_c
    dprev_c = dc * f                                        # dC_t/dC_{t-1} = f_t: the highway
    da_i = di * dsigmoid_from_output(i)
    da_f = df * dsigmoid_from_output(f)
    da_g = dg * dtanh_from_output(g)
    dpeep = None
    if peep is not None:
        dprev_c = dprev_c + da_i * peep[:H] + da_f * peep[H:2 * H]
        dpeep = (da_i * prev_c, da_f * prev_c, da_o * next_c)  # per-example; summed by the caller
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (N, 4H), order i, f, g, o
    return da, dprev_c, dpeep


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass of one LSTM step.

    Inputs: dnext_h and dnext_c, the upstream gradients on h_t and C_t (N, H), and the step's cache.
    Returns dx (N, D), dprev_h (N, H), dprev_c (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,), and,
    only if the forward step used peepholes, dpeep (3H,) as a seventh value.
    """
    c = cache
    check_array("dnext_h", dnext_h, c["next_c"].shape)
    check_array("dnext_c", dnext_c, c["next_c"].shape)
    da, dprev_c, dpeep = gates_backward(dnext_h, dnext_c, c["i"], c["f"], c["g"], c["o"], c["tanh_c"],
                                         c["prev_c"], c["next_c"], c["peep"])
    dx = da @ c["Wx"].T
    dprev_h = da @ c["Wh"].T
    dWx = c["x"].T @ da
    dWh = c["prev_h"].T @ da
    db = da.sum(axis=0)
    grads = (dx, dprev_h, dprev_c, dWx, dWh, db)
    if dpeep is not None:
        grads += (np.concatenate([p.sum(axis=0) for p in dpeep]),)
    return grads


# --------------------------------------------------------------------------------------------
# A whole sequence


def lstm_forward(x, h0, Wx, Wh, b, c0=None, peep=None):
    """Run an LSTM over a whole sequence.

    Inputs: x (N, T, D), h0 (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,); optional c0 (N, H), zeros
    if omitted, and optional peephole weights peep (3H,).

    Returns h, the hidden states of every step (N, T, H), and a cache (a dict) for
    `lstm_backward`. The cache also holds every gate's values over time, cache['i'], cache['f'],
    cache['g'], cache['o'] and the cell states cache['c'], each (N, T, H), for plotting.
    """
    N, T, D, H, dtype = _check_lstm_args(x, h0, c0, Wx, Wh, b, peep, seq=True)
    c0 = np.zeros_like(h0) if c0 is None else c0
    xw = x @ Wx + b  # (N, T, 4H): every input projection in one product, outside the loop
    store = {k: np.empty((N, T, H), dtype=dtype) for k in ("h", "c", "i", "f", "g", "o", "tanh_c")}
    prev_h, prev_c = h0, c0
    for t in range(T):
        a = xw[:, t] + prev_h @ Wh  # (N, 4H)
        prev_h, prev_c, parts = gates_forward(a, prev_c, peep, H)
        store["h"][:, t], store["c"][:, t] = prev_h, prev_c
        for k, v in parts.items():
            store[k][:, t] = v
    cache = dict(x=x, h0=h0, c0=c0, Wx=Wx, Wh=Wh, peep=peep, **store)
    return store["h"], cache


def lstm_backward(dh, cache, *, dc_last=None, return_dc0=False):
    """Backpropagation through time for the whole sequence.

    Inputs: dh (N, T, H), the upstream gradient on every hidden state (zeros where a step has no
    loss), and the cache of `lstm_forward`. Optional ``dc_last`` (N, H) is an upstream gradient on
    the final cell state C_T.

    Returns dx (N, T, D), dh0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,); then dpeep (3H,) if the
    forward pass used peepholes; then dc0 (N, H) if ``return_dc0`` is true.
    """
    c = cache
    check_array("dh", dh, c["h"].shape)
    N, T, H = c["h"].shape
    dprev_h = np.zeros_like(c["h0"])
    dprev_c = np.zeros_like(c["c0"]) if dc_last is None else check_array("dc_last", dc_last, (N, H)).copy()
    da = np.empty((N, T, 4 * H), dtype=c["h"].dtype)
    peep = c["peep"]
    dpeep = None if peep is None else [np.zeros(H, dtype=c["h"].dtype) for _ in range(3)]
    for t in reversed(range(T)):
        prev_c = c["c"][:, t - 1] if t > 0 else c["c0"]
        da[:, t], dprev_c, dp = gates_backward(dh[:, t] + dprev_h, dprev_c, c["i"][:, t], c["f"][:, t],
                                                c["g"][:, t], c["o"][:, t], c["tanh_c"][:, t], prev_c,
                                                c["c"][:, t], peep)
        dprev_h = da[:, t] @ c["Wh"].T
        if dp is not None:
            for acc, part in zip(dpeep, dp):
                acc += part.sum(axis=0)
    # Weight gradients are sums over time: one product each, after the loop.
    D = c["x"].shape[-1]
    h_prev = np.concatenate([c["h0"][:, None], c["h"][:, :-1]], axis=1)  # (N, T, H): what each step read
    dx = da @ c["Wx"].T  # (N, T, D)
    dWx = c["x"].reshape(-1, D).T @ da.reshape(-1, 4 * H)
    dWh = h_prev.reshape(-1, H).T @ da.reshape(-1, 4 * H)
    db = da.sum(axis=(0, 1))
    grads = (dx, dprev_h, dWx, dWh, db)
    if dpeep is not None:
        grads += (np.concatenate(dpeep),)
    if return_dc0:
        grads += (dprev_c,)
    return grads


# --------------------------------------------------------------------------------------------
# Parameters and gate orders


def init_lstm_params(D, H, *, rng=None, forget_bias=FORGET_BIAS, peephole=False, dtype=np.float64):
    """Random LSTM parameters: uniform(-1/sqrt(H), 1/sqrt(H)) like PyTorch, forget bias set apart.

    ``forget_bias`` (default `FORGET_BIAS` = 1, see there) starts the forget gate near
    sigmoid(1) = 0.73, so memories are kept by default. Returns a dict with Wx, Wh, b (and
    peep if ``peephole``).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    k = 1.0 / np.sqrt(H)
    params = {
        "Wx": rng.uniform(-k, k, size=(D, 4 * H)),
        "Wh": rng.uniform(-k, k, size=(H, 4 * H)),
        "b": rng.uniform(-k, k, size=(4 * H,)),
    }
    params["b"][H:2 * H] = forget_bias
    if peephole:
        params["peep"] = rng.uniform(-k, k, size=(3 * H,))
    return {name: p.astype(dtype) for name, p in params.items()}


def reorder_gates(W, src: str = "ifgo", dst: str = "ifog", axis: int = -1):
    """Reorder the four gate blocks of a stacked weight or bias from one convention to another.

    Orders are strings of the letters i, f, g, o: PyTorch 'ifgo', CS231n 'ifog', Keras 'ifgo'
    (Keras calls the candidate c). ``axis`` is the stacked axis (-1 for our (D, 4H) layout, 0 for
    PyTorch's (4H, D) weight_ih).
    """
    for name, order in (("src", src), ("dst", dst)):
        if sorted(order) != sorted(GATE_ORDER):
            raise ValueError(f"{name}: expected a permutation of 'ifgo', got {order!r}")
    W = np.asarray(W)
    n = W.shape[axis]
    if n % 4:
        raise ValueError(f"W: expected axis {axis} of length 4H, got shape {W.shape}")
    blocks = np.split(W, 4, axis=axis)
    return np.concatenate([blocks[src.index(k)] for k in dst], axis=axis)
