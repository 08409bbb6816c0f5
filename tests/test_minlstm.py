"""minLSTM: the parallel log-space scan computes what the step-by-step loop computes, values and gradients."""

import pytest
import torch

from lstm_helpers import minlstm as ml


def pre_activations(N=3, T=40, H=5, scale=3.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [scale * torch.randn(N, T, H, generator=g, dtype=torch.float64) for _ in range(3)]


def test_g_positive_is_positive_continuous_and_log_matches():
    x = torch.linspace(-30, 30, 2001, dtype=torch.float64)
    g = ml.g_positive(x)
    assert bool((g > 0).all())
    zero = torch.tensor([0.0], dtype=torch.float64)
    assert torch.allclose(ml.g_positive(zero), zero + 0.5)
    assert float((g[1:] - g[:-1]).abs().max()) < 0.05  # no jump at 0: sigmoid(0) = 0 + 0.5
    assert torch.allclose(ml.log_g_positive(x), torch.log(g), atol=1e-12)


@pytest.mark.parametrize("T", [1, 7, 200])
def test_parallel_equals_sequential_float64(T):
    k_f, k_i, k_h = pre_activations(T=T)
    h0 = ml.g_positive(torch.randn(3, 5, dtype=torch.float64))
    seq = ml.minlstm_sequential(k_f, k_i, k_h, h0)
    par = ml.minlstm_parallel(k_f, k_i, k_h, h0)
    assert seq.shape == (3, T, 5)
    assert float((seq - par).abs().max()) < 1e-10


def test_parallel_equals_sequential_float32_long():
    k_f, k_i, k_h = (t.float() for t in pre_activations(T=4096, scale=2.0))
    h0 = torch.full((3, 5), 0.5)
    seq = ml.minlstm_sequential(k_f, k_i, k_h, h0)
    par = ml.minlstm_parallel(k_f, k_i, k_h, h0)
    assert float(((seq - par).abs() / seq.abs().clamp_min(1e-3)).max()) < 1e-3


def test_gradients_agree():
    leaves = [t.requires_grad_() for t in pre_activations(T=30)]
    h0 = torch.full((3, 5), 0.5, dtype=torch.float64)
    w = torch.randn(3, 30, 5, dtype=torch.float64)
    g_seq = torch.autograd.grad((ml.minlstm_sequential(*leaves, h0) * w).sum(), leaves)
    g_par = torch.autograd.grad((ml.minlstm_parallel(*leaves, h0) * w).sum(), leaves)
    for a, b in zip(g_seq, g_par):
        assert float((a - b).abs().max()) < 1e-9


def test_scan_parallel_log_is_the_linear_recurrence():
    g = torch.Generator().manual_seed(1)
    a = torch.rand(2, 50, 4, generator=g, dtype=torch.float64) * 0.9 + 0.05
    b = torch.rand(2, 50, 4, generator=g, dtype=torch.float64) + 0.1
    h0 = torch.rand(2, 4, generator=g, dtype=torch.float64) + 0.1
    want = ml.scan_sequential(a, b, h0)
    h, expected = h0, []
    for t in range(50):  # the definition, written out
        h = a[:, t] * h + b[:, t]
        expected.append(h)
    assert torch.allclose(want, torch.stack(expected, 1), atol=1e-14)
    assert float((ml.scan_parallel_log(a.log(), b.log(), h0.log()) - want).abs().max()) < 1e-12


def test_module_modes_agree_and_shapes():
    torch.manual_seed(0)
    layer = ml.MinLSTM(4, 6).double()
    x = torch.randn(2, 33, 4, dtype=torch.float64)
    out_p, out_s = layer(x), layer(x, mode="sequential")
    assert out_p.shape == (2, 33, 6)
    assert float((out_p - out_s).abs().max().detach()) < 1e-12
    assert sum(p.numel() for p in layer.parameters()) == 3 * 6 * (4 + 1)


def test_bad_inputs_raise_clear_errors():
    layer = ml.MinLSTM(4, 6)
    with pytest.raises(ValueError, match="mode"):
        layer(torch.randn(1, 3, 4), mode="fast")
    with pytest.raises(ValueError, match=r"x: expected a tensor of shape \(N, T, 4\)"):
        layer(torch.randn(1, 3, 5))
    k = pre_activations(T=4)
    with pytest.raises(ValueError, match="h0: expected every entry > 0"):
        ml.minlstm_parallel(*k, torch.zeros(3, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="h0: expected shape"):
        ml.minlstm_sequential(*k, torch.zeros(2, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="k_i: expected the shape"):
        ml.minlstm_sequential(k[0], k[1][:, :2], k[2], torch.ones(3, 5, dtype=torch.float64))
