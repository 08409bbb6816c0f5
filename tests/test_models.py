"""Tests for lstm_helpers.models: the precision policy (the LSTM always receives float32) on CPU and CUDA.

The CUDA tests carry the `cuda` mark and are skipped without a CUDA GPU; `make gpu-check` runs them.
"""

import pytest
import torch

from lstm_helpers.models import LSTM_DTYPE, CharLSTM, SequenceRegressor, recurrence_dtypes, run_lstm

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def recurrence_dtypes_under(fn, device_type: str, dtype=torch.bfloat16, stop=False):
    with torch.autocast(device_type, dtype=dtype):
        return recurrence_dtypes(fn, stop=stop)


def test_policy_is_float32():
    assert LSTM_DTYPE == torch.float32


def test_cpu_autocast_would_run_a_bare_lstm_in_bf16():
    """Why the policy exists: autocast does cast a bare nn.LSTM (here on the CPU, to bf16)."""
    lstm = torch.nn.LSTM(8, 16, batch_first=True)
    x = torch.randn(2, 5, 8)
    # stop=True: a CPU without bf16 LSTM kernels (AVX2 only) could not run it, but autocast's cast shows
    assert recurrence_dtypes_under(lambda: lstm(x), "cpu", stop=True) == {torch.bfloat16}


def test_char_lstm_feeds_its_lstm_float32_under_cpu_autocast():
    torch.manual_seed(0)
    model = CharLSTM(20, 16, num_layers=2, emb_size=8)
    x = torch.randint(20, (3, 7))
    assert recurrence_dtypes_under(lambda: model(x), "cpu") == {torch.float32}
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits, (h, c) = model(x)
    assert logits.dtype == torch.bfloat16  # the output layer does run in bf16
    assert h.dtype == c.dtype == torch.float32


def test_run_lstm_casts_a_half_input_and_state():
    lstm = torch.nn.LSTM(4, 6, batch_first=True)
    x = torch.randn(2, 3, 4, dtype=torch.bfloat16)
    state = (torch.zeros(1, 2, 6, dtype=torch.bfloat16), torch.zeros(1, 2, 6, dtype=torch.bfloat16))
    out, (h, c) = run_lstm(lstm, x, state)
    assert out.dtype == h.dtype == c.dtype == torch.float32


def test_regressor_feeds_its_lstm_float32():
    model = SequenceRegressor(hidden_size=8)
    x = torch.randn(2, 5, 1)
    assert recurrence_dtypes_under(lambda: model(x), "cpu") == {torch.float32}


@pytest.mark.cuda
@needs_cuda
def test_cuda_bare_lstm_under_bf16_autocast_gets_fp16():
    """The hazard on CUDA: cuDNN's autocast wrapper casts to fp16 whatever autocast's dtype."""
    lstm = torch.nn.LSTM(8, 16, batch_first=True).cuda()
    x = torch.randn(2, 5, 8, device="cuda")
    assert torch.float16 in recurrence_dtypes_under(lambda: lstm(x), "cuda")


@pytest.mark.cuda
@needs_cuda
def test_cuda_char_lstm_feeds_cudnn_float32():
    torch.manual_seed(0)
    model = CharLSTM(20, 16, num_layers=2, emb_size=8).cuda()
    x = torch.randint(20, (3, 7), device="cuda")
    dtypes = recurrence_dtypes_under(lambda: model(x)[0].float().sum().backward(), "cuda")
    assert dtypes == {torch.float32}
