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

# =================================================================================================
# 05_cell_update

# =================================================================================================
# 06_output_gate

# =================================================================================================
# 07_lstm_from_scratch

# =================================================================================================
# 08_rnn_vs_lstm_long_range
