"""Reference solutions of the exercises, kept out of sight until a learner asks for one.

In a notebook: `show_solution("forget_gate")` displays the source of the solution below.
"""

from __future__ import annotations

import inspect

import numpy as np

from .activations import sigmoid


def show_solution(name: str):
    """Display the reference solution of exercise ``name`` (a function in this module)."""
    fn = globals().get(name)
    if not callable(fn) or name.startswith("_") or name == "show_solution":
        names = ", ".join(sorted(k for k, v in globals().items() if inspect.isfunction(v)
                                 and v.__module__ == __name__ and not k.startswith("_") and k != "show_solution"))
        raise ValueError(f"name: expected one of the exercises ({names}), got {name!r}")
    from .utils import show_source

    return show_source(fn)


# =================================================================================================
# 01_rnn_vanishing_gradients

# =================================================================================================
# 02_cell_state

# =================================================================================================
# 03_forget_gate

def forget_gate(x, prev_h, W_f, U_f, b_f):
    """f_t = sigmoid(x_t W_f + h_{t-1} U_f + b_f), with W_f (D, H), U_f (H, H), b_f (H,)."""
    return sigmoid(x @ W_f + prev_h @ U_f + b_f)

# =================================================================================================
# 04_input_gate

def input_gate(x, prev_h, W_i, U_i, b_i):
    """i_t = sigmoid(x_t W_i + h_{t-1} U_i + b_i), with W_i (D, H), U_i (H, H), b_i (H,)."""
    return sigmoid(x @ W_i + prev_h @ U_i + b_i)


def candidate_state(x, prev_h, W_c, U_c, b_c):
    """c~_t = tanh(x_t W_c + h_{t-1} U_c + b_c), with W_c (D, H), U_c (H, H), b_c (H,)."""
    return np.tanh(x @ W_c + prev_h @ U_c + b_c)


# =================================================================================================
# 05_cell_update

def cell_update(prev_c, f, i, g):
    """C_t = f_t * C_{t-1} + i_t * c~_t, all of shape (N, H)."""
    return f * prev_c + i * g


def cell_update_backward(dnext_c, prev_c, f, i, g):
    """Gradients of C_t = f * C_{t-1} + i * g, given dL/dC_t; returned in the forward order.

    Returns dprev_c, df, di, dg, each (N, H).
    """
    dprev_c = dnext_c * f  # dC_t/dC_{t-1} = f_t
    df = dnext_c * prev_c
    di = dnext_c * g
    dg = dnext_c * i
    return dprev_c, df, di, dg


# =================================================================================================
# 06_output_gate

# =================================================================================================
# 07_lstm_from_scratch

# =================================================================================================
# 08_rnn_vs_lstm_long_range
