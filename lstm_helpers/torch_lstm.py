"""An LSTM written from torch tensor operations, interchangeable with `torch.nn.LSTM`.

Its parameters carry `nn.LSTM`'s names and shapes (weight_ih_l0 (4H, D), weight_hh_l0 (4H, H),
bias_ih_l0, bias_hh_l0, ...), so `load_state_dict` moves weights either way; autograd does the
backward. Switches turn it into the ablations of Greff et al. 2017 (notebook 08).

Equations per layer and step, gate order i, f, g, o as in PyTorch::

    [a_i, a_f, a_g, a_o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
    i = sigmoid(a_i),  f = sigmoid(a_f),  g = tanh(a_g),  o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .numpy_lstm import FORGET_BIAS
from .utils import check_int

VARIANTS = {
    "vanilla": "the standard LSTM above",
    "no_forget_gate": "f fixed at 1: the cell only accumulates (the 1997 LSTM before Gers et al. 2000)",
    "no_output_tanh": "h_t = o * c_t: no squashing of the cell state on the way out",
    "coupled_gates": "i = 1 - f: one gate decides both what to forget and what to write (as in the GRU)",
    "no_output_gate": "o fixed at 1: h_t = tanh(c_t)",
}


class LSTM(nn.Module):
    """Multi-layer LSTM from tensor operations, with `nn.LSTM`'s constructor, forward and names.

    Arguments as `nn.LSTM`: input_size, hidden_size, num_layers, bias, batch_first, dropout
    (between layers, in training mode). Extra:

    - variant: one of `VARIANTS` (default 'vanilla').
    - forget_bias: added to the forget block of bias_ih at initialisation; default
      `numpy_lstm.FORGET_BIAS` (1.0, the series' one default, see there); 0.0 gives `nn.LSTM`'s init.
    - fused_input: if True (default), every time step's input projection x_t W_ih^T is computed
      in one matrix product before the time loop; if False, once per step (the naive version).

    forward(input, hx=None) -> output, (h_n, c_n), shapes exactly as `nn.LSTM`:
    input (T, N, D) or (N, T, D) with batch_first; h_n, c_n (num_layers, N, H).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 *, variant="vanilla", forget_bias=FORGET_BIAS, fused_input=True):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            check_int(name, value, 1)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout: expected a number in [0, 1), got {dropout!r}")
        if variant not in VARIANTS:
            raise ValueError(f"variant: expected one of {sorted(VARIANTS)}, got {variant!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.variant, self.forget_bias, self.fused_input = variant, float(forget_bias), fused_input
        H = hidden_size
        for layer in range(num_layers):
            d_in = input_size if layer == 0 else H
            self.register_parameter(f"weight_ih_l{layer}", nn.Parameter(torch.empty(4 * H, d_in)))
            self.register_parameter(f"weight_hh_l{layer}", nn.Parameter(torch.empty(4 * H, H)))
            if bias:
                self.register_parameter(f"bias_ih_l{layer}", nn.Parameter(torch.empty(4 * H)))
                self.register_parameter(f"bias_hh_l{layer}", nn.Parameter(torch.empty(4 * H)))
        self.reset_parameters()

    def reset_parameters(self):
        """Uniform(-1/sqrt(H), 1/sqrt(H)) for every parameter, as `nn.LSTM`; then the forget bias."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -k, k)
        if self.bias and self.forget_bias:
            H = self.hidden_size
            with torch.no_grad():
                for layer in range(self.num_layers):
                    getattr(self, f"bias_ih_l{layer}")[H:2 * H] += self.forget_bias

    def extra_repr(self):
        extra = f", variant={self.variant!r}" if self.variant != "vanilla" else ""
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"batch_first={self.batch_first}{extra}")

    def _layer_params(self, layer):
        w_ih = getattr(self, f"weight_ih_l{layer}")
        w_hh = getattr(self, f"weight_hh_l{layer}")
        b = None
        if self.bias:
            b = getattr(self, f"bias_ih_l{layer}") + getattr(self, f"bias_hh_l{layer}")  # (4H,)
        return w_ih, w_hh, b

    def forward(self, input, hx=None):
        if not isinstance(input, torch.Tensor) or input.dim() != 3:
            shape = tuple(input.shape) if isinstance(input, torch.Tensor) else type(input).__name__
            want = "(N, T, D)" if self.batch_first else "(T, N, D)"
            raise ValueError(f"input: expected a 3-D tensor {want}, got {shape}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"input: expected last dimension input_size={self.input_size}, got {tuple(input.shape)}")
        x = input.transpose(0, 1) if self.batch_first else input  # (T, N, D)
        T, N, _ = x.shape
        L, H = self.num_layers, self.hidden_size
        if hx is None:
            zeros = x.new_zeros(L, N, H)
            h0, c0 = zeros, zeros
        else:
            h0, c0 = hx
            for name, t in (("h0", h0), ("c0", c0)):
                if tuple(t.shape) != (L, N, H):
                    raise ValueError(f"hx: expected {name} of shape {(L, N, H)}, got {tuple(t.shape)}")
        h_n, c_n = [], []
        for layer in range(L):
            w_ih, w_hh, b = self._layer_params(layer)
            x, (h, c) = self.run_layer(x, h0[layer], c0[layer], w_ih, w_hh, b)
            h_n.append(h)
            c_n.append(c)
            if self.dropout and self.training and layer < L - 1:
                x = nn.functional.dropout(x, self.dropout, training=True)
        out = x.transpose(0, 1) if self.batch_first else x
        return out, (torch.stack(h_n), torch.stack(c_n))

    def run_layer(self, x, h, c, w_ih, w_hh, b):
        """One layer over all time steps: x (T, N, D) -> outputs (T, N, H), (h_T, c_T).

        ``h``, ``c`` (N, H) are the layer's initial states; ``w_ih`` (4H, D), ``w_hh`` (4H, H) and
        ``b`` (4H,) or None its weights (`forward` passes bias_ih + bias_hh as ``b``). The time loop
        is here: one matrix product per step for the recurrence, the gates in the order i, f, g, o.
        """
        H = self.hidden_size
        if self.fused_input:
            xw = x @ w_ih.T  # (T, N, 4H): every input projection in one product
            if b is not None:
                xw = xw + b
        # One unbind, not xw[t] in the loop: autograd's backward of each xw[t] writes a full
        # (T, N, 4H) tensor of zeros, which made the backward pass quadratic in T.
        steps = (xw if self.fused_input else x).unbind(0)  # T tensors, (N, 4H) or (N, D)
        outputs = []
        for t in range(x.shape[0]):
            if self.fused_input:
                a = steps[t] + h @ w_hh.T  # (N, 4H)
            else:
                a = steps[t] @ w_ih.T + h @ w_hh.T
                if b is not None:
                    a = a + b
            a_i, a_f, a_g, a_o = a.split(H, dim=1)
            f = torch.sigmoid(a_f)
            if self.variant == "no_forget_gate":
                f = torch.ones_like(f)
            i = 1.0 - f if self.variant == "coupled_gates" else torch.sigmoid(a_i)
            g = torch.tanh(a_g)
            o = torch.ones_like(a_o) if self.variant == "no_output_gate" else torch.sigmoid(a_o)
            c = f * c + i * g
            h = o * (c if self.variant == "no_output_tanh" else torch.tanh(c))
            outputs.append(h)
        return torch.stack(outputs), (h, c)


# ------------------------------------------------------------------------------------------------
# Moving weights between nn.LSTM (or our LSTM) and the numpy layout of `numpy_lstm`


def _torch_layer(module, layer):
    if not hasattr(module, f"weight_ih_l{layer}"):
        raise ValueError(f"layer: expected an index below num_layers={getattr(module, 'num_layers', '?')}, got {layer}")
    if getattr(module, "bidirectional", False) or getattr(module, "proj_size", 0):
        raise ValueError("module: expected a unidirectional LSTM without projections")
    return module


def to_numpy_params(module, layer=0):
    """(Wx, Wh, b) in numpy layout from an `nn.LSTM` (or `LSTM`) layer.

    The mapping, once: Wx = weight_ih^T (D, 4H); Wh = weight_hh^T (H, 4H);
    b = bias_ih + bias_hh (4H,). Both libraries stack gates as i, f, g, o, so no block moves.
    """
    m = _torch_layer(module, layer)
    with torch.no_grad():
        Wx = getattr(m, f"weight_ih_l{layer}").detach().cpu().numpy().T.copy()
        Wh = getattr(m, f"weight_hh_l{layer}").detach().cpu().numpy().T.copy()
        if getattr(m, "bias", True) and hasattr(m, f"bias_ih_l{layer}"):
            b = (getattr(m, f"bias_ih_l{layer}") + getattr(m, f"bias_hh_l{layer}")).detach().cpu().numpy().copy()
        else:
            b = np.zeros(Wx.shape[1], dtype=Wx.dtype)
    return Wx, Wh, b


def load_numpy_params(module, Wx, Wh, b, layer=0):
    """Copy numpy (Wx, Wh, b) into an `nn.LSTM` (or `LSTM`) layer: the inverse of `to_numpy_params`.

    bias_ih receives b and bias_hh is set to zero (only their sum matters).
    """
    m = _torch_layer(module, layer)
    w_ih = getattr(m, f"weight_ih_l{layer}")
    w_hh = getattr(m, f"weight_hh_l{layer}")
    for name, arr, want in (("Wx", Wx, tuple(w_ih.shape[::-1])), ("Wh", Wh, tuple(w_hh.shape[::-1])),
                            ("b", b, (w_ih.shape[0],))):
        if not isinstance(arr, np.ndarray) or arr.shape != want:
            got = arr.shape if isinstance(arr, np.ndarray) else type(arr).__name__
            raise ValueError(f"{name}: expected shape {want}, got {got}")
    with torch.no_grad():
        w_ih.copy_(torch.from_numpy(np.ascontiguousarray(Wx.T)))
        w_hh.copy_(torch.from_numpy(np.ascontiguousarray(Wh.T)))
        if hasattr(m, f"bias_ih_l{layer}"):
            getattr(m, f"bias_ih_l{layer}").copy_(torch.from_numpy(b))
            getattr(m, f"bias_hh_l{layer}").zero_()
    return module
