"""Numerical gradients by centred differences, to check hand-written backward passes.

The rule: compute in float64, perturb one entry at a time by +-h, and compare with `rel_error`;
a correct backward gives relative errors around 1e-8 or smaller, a wrong one around 1e-2 or larger.
"""

from __future__ import annotations

import numpy as np


def _require_float64(name, x):
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name}: expected a numpy array, got {type(x).__name__}")
    if x.dtype != np.float64:
        raise ValueError(f"{name}: expected dtype float64 (centred differences need it), got {x.dtype}")


def _centred_differences(x, h, evaluate, slope):
    """Nudge each entry x_k of ``x`` by +h and -h in place (restored after), and return slope(pos, neg) per entry.

    ``evaluate()`` reads the function at the current ``x``; both CS231n-style checkers below share this loop.
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = evaluate()
        x[ix] = old - h
        neg = evaluate()
        x[ix] = old
        grad[ix] = slope(pos, neg)
        it.iternext()
    return grad


def eval_numerical_gradient(f, x, h=1e-5):
    """Gradient of a scalar function ``f(x)`` with respect to array ``x``, by centred differences.

    ``x`` is perturbed in place and restored; returns an array shaped like ``x``:
    df/dx_k ~ (f(x + h e_k) - f(x - h e_k)) / (2h).
    """
    _require_float64("x", x)
    return _centred_differences(x, h, lambda: float(f(x)), lambda pos, neg: (pos - neg) / (2 * h))


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Gradient of sum(f(x) * df) with respect to ``x``: an array function against an upstream ``df``.

    This is what a backward pass computes when the layer's output receives gradient ``df``.
    """
    _require_float64("x", x)

    def slope(pos, neg):
        if pos.shape != np.shape(df):
            raise ValueError(f"df: expected the shape of f(x), {pos.shape}, got {np.shape(df)}")
        return np.sum((pos - neg) * df) / (2 * h)

    return _centred_differences(x, h, lambda: np.array(f(x), dtype=np.float64, copy=True), slope)


def rel_error(x, y, eps=1e-12):
    """Largest elementwise relative error: max |x - y| / max(eps, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"y: expected the shape of x, {x.shape}, got {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(eps, np.abs(x) + np.abs(y))))


def check_layer_gradients(forward, backward, inputs: dict, *, seed=0, h=1e-5):
    """Check every gradient of a forward/backward pair against centred differences.

    ``forward(**inputs)`` returns ``(out, cache)`` and ``backward(dout, cache)`` returns the
    gradients in the order of ``inputs``. A random upstream gradient ``dout`` is used. Returns a
    dict name -> relative error, so a notebook can print it as a table.
    """
    for name, arr in inputs.items():
        _require_float64(name, arr)
    rng = np.random.default_rng(seed)
    out, cache = forward(**inputs)
    dout = rng.normal(size=out.shape)
    grads = backward(dout, cache)
    errors = {}
    for (name, arr), analytic in zip(inputs.items(), grads):
        numeric = eval_numerical_gradient_array(lambda v, n=name: forward(**{**inputs, n: v})[0], arr, dout, h=h)
        errors[name] = rel_error(analytic, numeric)
    return errors


def format_error_grid(rows: dict, threshold: float = 1e-7) -> str:
    """A table of several gradient checks: one row per check, one column per gradient.

    ``rows`` maps a label to a dict name -> relative error (as `check_layer_gradients` returns).
    Passes show as "ok" and failures as their order of magnitude, so the text does not change with
    the rounding noise of the machine; a blank cell means that check has no such gradient.
    """
    if not rows:
        raise ValueError("rows: expected at least one check (label -> {gradient: error}), got none")
    cols = list(dict.fromkeys(name for errs in rows.values() for name in errs))
    width = max(len(label) for label in rows)
    lines = [f"{'':<{width}}  " + "  ".join(f"{c:>7}" for c in cols)]
    for label, errs in rows.items():
        cells = ["" if c not in errs else "ok" if errs[c] < threshold else f"{errs[c]:.0e}" for c in cols]
        lines.append(f"{label:<{width}}  " + "  ".join(f"{cell:>7}" for cell in cells))
    lines.append(f"(ok: relative error < 1e{np.log10(threshold):.0f})")
    return "\n".join(lines)
