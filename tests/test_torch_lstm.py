"""The from-scratch torch LSTM against torch.nn.LSTM: outputs, gradients, state_dict both ways."""

import pytest
import torch

from lstm_helpers.torch_lstm import LSTM, VARIANTS

CASES = [(1, 1, 1, 1, 1, False), (2, 3, 4, 5, 1, True), (3, 5, 2, 3, 2, False), (1, 7, 6, 4, 3, True),
         (4, 2, 3, 3, 2, True), (2, 10, 1, 8, 1, False), (5, 4, 5, 2, 3, False), (3, 6, 8, 5, 2, True),
         (1, 12, 3, 6, 2, False), (6, 3, 2, 7, 1, True)]


def _compare(ours, ref, N, T, D, batch_first, seed):
    g = torch.Generator().manual_seed(seed)
    L, H = ref.num_layers, ref.hidden_size
    shape = (N, T, D) if batch_first else (T, N, D)
    x = torch.randn(*shape, generator=g, dtype=torch.float64)
    h0 = torch.randn(L, N, H, generator=g, dtype=torch.float64)
    c0 = torch.randn(L, N, H, generator=g, dtype=torch.float64)
    w = torch.randn(*shape[:2], H, generator=g, dtype=torch.float64)
    results = []
    for m in (ours, ref):
        xs, hs, cs = (t.clone().requires_grad_(True) for t in (x, h0, c0))
        m.zero_grad()
        out, (hn, cn) = m(xs, (hs, cs))
        ((out * w).sum() + hn.sum() * 0.3 - cn.sum() * 0.7).backward()
        grads = {n: p.grad.clone() for n, p in m.named_parameters()}
        results.append((out.detach(), hn.detach(), cn.detach(), xs.grad, hs.grad, cs.grad, grads))
    (o1, h1, c1, dx1, dh1, dc1, g1), (o2, h2, c2, dx2, dh2, dc2, g2) = results
    assert (o1 - o2).abs().max() < 1e-10
    assert (h1 - h2).abs().max() < 1e-10 and (c1 - c2).abs().max() < 1e-10
    for a, b in ((dx1, dx2), (dh1, dh2), (dc1, dc2)):
        assert (a - b).abs().max() < 1e-8
    assert g1.keys() == g2.keys()
    for name in g1:
        assert (g1[name] - g2[name]).abs().max() < 1e-8, name


@pytest.mark.parametrize("N,T,D,H,L,batch_first", CASES)
def test_matches_nn_lstm_loading_from_nn(N, T, D, H, L, batch_first):
    torch.manual_seed(N + 10 * T + 100 * D)
    ref = torch.nn.LSTM(D, H, num_layers=L, batch_first=batch_first).double()
    ours = LSTM(D, H, num_layers=L, batch_first=batch_first).double()
    ours.load_state_dict(ref.state_dict())
    _compare(ours, ref, N, T, D, batch_first, seed=T)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("N,T,D,H,L,batch_first", CASES[:5])
def test_matches_nn_lstm_loading_into_nn(N, T, D, H, L, batch_first, fused):
    torch.manual_seed(7 * N + T)
    ours = LSTM(D, H, num_layers=L, batch_first=batch_first, forget_bias=1.0, fused_input=fused).double()
    ref = torch.nn.LSTM(D, H, num_layers=L, batch_first=batch_first).double()
    ref.load_state_dict(ours.state_dict())
    _compare(ours, ref, N, T, D, batch_first, seed=N)


def test_parameter_names_and_shapes_match():
    ref = torch.nn.LSTM(3, 5, num_layers=2)
    ours = LSTM(3, 5, num_layers=2)
    assert {k: tuple(v.shape) for k, v in ref.state_dict().items()} == \
           {k: tuple(v.shape) for k, v in ours.state_dict().items()}


def test_default_state_is_zeros():
    ref = torch.nn.LSTM(2, 3).double()
    ours = LSTM(2, 3).double()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(4, 2, 2, dtype=torch.float64)
    assert (ours(x)[0] - ref(x)[0]).abs().max() < 1e-12


def test_forget_bias_and_variants():
    m = LSTM(2, 4, forget_bias=1.0)
    torch.manual_seed(0)
    plain = LSTM(2, 4)
    assert (m.bias_ih_l0[4:8] > 0.4).all() and (m.bias_ih_l0[4:8] < 1.6).all()
    x = torch.randn(6, 3, 2)
    for v in VARIANTS:
        out, (h, c) = LSTM(2, 4, variant=v)(x)
        assert out.shape == (6, 3, 4) and torch.isfinite(out).all()
    # With no forget gate, the cell never decays: zero input weights and bias make g = 0 and c constant.
    nf = LSTM(1, 1, variant="no_forget_gate")
    with torch.no_grad():
        for p in nf.parameters():
            p.zero_()
    c0 = torch.full((1, 1, 1), 0.5)
    _, (_, c) = nf(torch.zeros(20, 1, 1), (torch.zeros(1, 1, 1), c0))
    assert c.item() == 0.5
    del plain


@pytest.mark.parametrize("kwargs,match", [
    (dict(input_size=0, hidden_size=3), "input_size: expected an int >= 1, got 0"),
    (dict(input_size=2, hidden_size=2.5), "hidden_size: expected an int >= 1, got 2.5"),
    (dict(input_size=2, hidden_size=3, variant="peephole"), "variant: expected one of"),
    (dict(input_size=2, hidden_size=3, dropout=1.0), r"dropout: expected a number in \[0, 1\)"),
])
def test_bad_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LSTM(**kwargs)


def test_bad_forward_input():
    m = LSTM(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"input: expected a 3-D tensor \(N, T, D\), got \(5, 3\)"):
        m(torch.zeros(5, 3))
    with pytest.raises(ValueError, match="input: expected last dimension input_size=3"):
        m(torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match=r"hx: expected h0 of shape \(1, 2, 4\), got \(2, 4\)"):
        m(torch.zeros(2, 5, 3), (torch.zeros(2, 4), torch.zeros(2, 4)))


@pytest.mark.parametrize("fused", [True, False])
def test_backward_never_builds_full_size_tensors_per_step(fused):
    # Indexing xw[t] (or x[t]) inside the time loop made autograd write a (T, N, 4H) (or (T, N, D))
    # gradient of zeros at every step, quadratic in T; after unbind, a constant number of ops do.
    from torch.utils._python_dispatch import TorchDispatchMode

    class BigOutputs(TorchDispatchMode):
        def __init__(self, numel):
            super().__init__()
            self.numel, self.count = numel, 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if isinstance(out, torch.Tensor) and not func.is_view and out.numel() >= self.numel:
                self.count += 1
            return out

    N, T, H = 2, 24, 3
    m = LSTM(H, H, fused_input=fused)
    x = torch.randn(T, N, H, requires_grad=True)
    out, _ = m(x)
    mode = BigOutputs(T * N * H)  # D = H: as big as the whole input
    with mode:
        out.sum().backward()
    assert mode.count <= 4, mode.count


def test_run_layer_is_one_layer_of_forward_and_forget_bias_defaults_to_the_constant():
    from lstm_helpers.numpy_lstm import FORGET_BIAS
    from lstm_helpers.torch_lstm import LSTM

    torch.manual_seed(0)
    m = LSTM(3, 4)
    x = torch.randn(5, 2, 3)
    out, (h, c) = m(x)
    zeros = torch.zeros(2, 4)
    b = m.bias_ih_l0 + m.bias_hh_l0
    out2, (h2, c2) = m.run_layer(x, zeros, zeros, m.weight_ih_l0, m.weight_hh_l0, b)
    assert torch.equal(out, out2) and torch.equal(h[0], h2) and torch.equal(c[0], c2)
    base = LSTM(3, 4, forget_bias=0.0)
    assert m.forget_bias == FORGET_BIAS == 1.0 and base.forget_bias == 0.0
