"""sLSTM: hand-written backward against centred differences; the stabiliser changes nothing but overflow.

Also: mLSTM's recurrent and parallel forms agree.
"""

import numpy as np
import pytest

from lstm_helpers import xlstm as xl
from lstm_helpers.gradcheck import check_layer_gradients, eval_numerical_gradient_array, rel_error


def params(D=4, H=3, seed=1):
    rng = np.random.default_rng(seed)
    Wx, Wh, _ = xl.init_slstm_params(D, H, seed=seed, scale=1.0)
    return Wx, Wh, rng.normal(size=4 * H)


@pytest.mark.parametrize("forget_gate", ["exp", "sigmoid"])
@pytest.mark.parametrize("shape", [(3, 5, 4, 3), (1, 2, 2, 1), (2, 8, 3, 4)])
def test_sequence_backward_matches_centred_differences(forget_gate, shape):
    N, T, D, H = shape
    rng = np.random.default_rng(sum(shape))
    Wx, Wh, b = params(D, H, seed=T)
    inputs = dict(x=rng.normal(size=(N, T, D)), h0=0.5 * rng.normal(size=(N, H)), Wx=Wx, Wh=Wh)

    def fwd(x, h0, Wx, Wh):
        return xl.slstm_forward(x, h0, Wx, Wh, b, forget_gate=forget_gate)

    def bwd(dh, cache):
        return xl.slstm_backward(dh, cache)[:4]

    errors = check_layer_gradients(fwd, bwd, inputs)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("forget_gate", ["exp", "sigmoid"])
def test_bias_gradient_and_the_input_bias_invariance(forget_gate):
    """db against centred differences; its input-gate block is 0: h only sees ratios of input gates."""
    rng = np.random.default_rng(5)
    N, T, D, H = 2, 6, 3, 2
    Wx, Wh, b = params(D, H, seed=2)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    dh = rng.normal(size=(N, T, H))
    _, cache = xl.slstm_forward(x, h0, Wx, Wh, b, forget_gate=forget_gate)
    db = xl.slstm_backward(dh, cache)[4]
    num = eval_numerical_gradient_array(lambda v: xl.slstm_forward(x, h0, Wx, Wh, v, forget_gate=forget_gate)[0],
                                        b.copy(), dh)
    assert np.max(np.abs(db[:H])) < 1e-12 and np.max(np.abs(num[:H])) < 1e-8
    assert rel_error(db[H:], num[H:]) < 1e-6


def test_backward_without_the_stabiliser():
    rng = np.random.default_rng(7)
    Wx, Wh, b = params(3, 2, seed=3)
    inputs = dict(x=rng.normal(size=(2, 4, 3)), h0=rng.normal(size=(2, 2)), Wx=Wx, Wh=Wh)

    def fwd(x, h0, Wx, Wh):
        return xl.slstm_forward(x, h0, Wx, Wh, b, stabilise=False)

    errors = check_layer_gradients(fwd, lambda dh, cache: xl.slstm_backward(dh, cache)[:4], inputs)
    assert max(errors.values()) < 1e-6, errors


def test_step_backward_including_the_stabiliser():
    rng = np.random.default_rng(3)
    N, D, H = 3, 4, 3
    Wx, Wh, b = params(D, H)
    inputs = dict(x=rng.normal(size=(N, D)), prev_h=rng.normal(size=(N, H)), prev_c=rng.normal(size=(N, H)),
                  prev_n=rng.uniform(1, 2, (N, H)), prev_m=rng.normal(size=(N, H)), Wx=Wx, Wh=Wh, b=b)

    def fwd(**kw):
        h, c, n, m, cache = xl.slstm_step_forward(**kw)
        return np.concatenate([h, c, n, m], axis=1), cache

    def bwd(d, cache):
        return xl.slstm_step_backward(d[:, :H], d[:, H:2 * H], d[:, 2 * H:3 * H], d[:, 3 * H:], cache)

    errors = check_layer_gradients(fwd, bwd, inputs)
    assert max(errors.values()) < 1e-6, errors


def test_stabiliser_changes_nothing_until_overflow_then_saves_it():
    rng = np.random.default_rng(4)
    Wx, Wh, b = params(3, 2)
    x, h0 = rng.normal(size=(2, 10, 3)), np.zeros((2, 2))
    stab, _ = xl.slstm_forward(x, h0, Wx, Wh, b)
    raw, _ = xl.slstm_forward(x, h0, Wx, Wh, b, stabilise=False)
    assert np.max(np.abs(stab - raw)) < 1e-12
    # a forget pre-activation of +1 at every step: f = e, so c and n grow like e^t
    b_big = b.copy()
    b_big[2:4] = 1.0
    x32, h32 = x.astype(np.float32).repeat(20, axis=1), h0.astype(np.float32)  # T = 200 > 88.7 = log(float32 max)
    raw, raw_cache = xl.slstm_forward(x32, h32, *(a.astype(np.float32) for a in (Wx, Wh, b_big)), stabilise=False)
    stab, stab_cache = xl.slstm_forward(x32, h32, *(a.astype(np.float32) for a in (Wx, Wh, b_big)))
    assert not np.all(np.isfinite(raw))
    assert np.all(np.isfinite(stab)) and np.all(stab_cache["i"] <= 1) and np.all(stab_cache["f"] <= 1)


def test_bad_inputs():
    Wx, Wh, b = params(4, 3)
    with pytest.raises(ValueError, match="forget_gate"):
        xl.slstm_forward(np.zeros((1, 2, 4)), np.zeros((1, 3)), Wx, Wh, b, forget_gate="tanh")
    with pytest.raises(ValueError, match="Wx"):
        xl.slstm_forward(np.zeros((1, 2, 5)), np.zeros((1, 3)), Wx, Wh, b)
    with pytest.raises(ValueError, match=r"x: expected a numpy array of shape \(N, T, D\)"):
        xl.slstm_forward(np.zeros((2, 4)), np.zeros((1, 3)), Wx, Wh, b)


def test_mlstm_recurrent_equals_parallel():
    rng = np.random.default_rng(6)
    N, T, d, dv = 2, 9, 4, 3
    q, k, v = rng.normal(size=(N, T, d)), rng.normal(size=(N, T, d)), rng.normal(size=(N, T, dv))
    i_pre, f_pre, o = rng.normal(size=(N, T)), rng.normal(size=(N, T)) + 2, rng.uniform(size=(N, T, dv))
    rec = xl.mlstm_recurrent(q, k, v, i_pre, f_pre, o)
    par = xl.mlstm_parallel(q, k, v, i_pre, f_pre, o)
    assert rec.shape == (N, T, dv)
    assert np.max(np.abs(rec - par)) < 1e-12
    assert np.max(np.abs(rec)) > 0.1  # not trivially zero
