"""The sigmoid that makes the LSTM's gates, written so it never overflows, and both squashings' slopes.

`sigmoid` squashes to (0, 1) and makes gates; numpy's own `np.tanh` (already stable) squashes values to (-1, 1).
"""

import numpy as np


def sigmoid(x):
    """Numerically stable logistic sigmoid, 1 / (1 + exp(-x)), keeping the input's dtype.

    The naive formula overflows in ``exp(-x)`` for x below about -710 (float64) or -89 (float32).
    Here ``exp`` only ever sees ``-|x|``, which lies in (0, 1]:
    for x >= 0, sigmoid(x) = 1 / (1 + e^{-x}); for x < 0, sigmoid(x) = e^{x} / (1 + e^{x}).
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)  # sigmoid(1) must be 0.73, not an integer 0
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(x.dtype, copy=False)


def dsigmoid_from_output(s):
    """Derivative of the sigmoid written in terms of its output s = sigmoid(x): s (1 - s)."""
    return s * (1.0 - s)


def dtanh_from_output(t):
    """Derivative of tanh written in terms of its output t = tanh(x): 1 - t^2."""
    return 1.0 - t * t
