"""Tests for lstm_helpers.train and lstm_helpers.models: loop, checkpoints, exact resume, presets, CLI.

All on the CPU with the tiny preset and a slice of the offline pystdlib corpus; a few seconds each.
"""

import collections
import math
import os
import random
import subprocess
import sys

import numpy as np
import pytest
from conftest import char_corpus
import torch

from dataclasses import replace

from lstm_helpers import train as T
from lstm_helpers.checkpoint import get_rng_state, read_checkpoint, set_rng_state
from lstm_helpers.models import CharLSTM


@pytest.fixture(autouse=True, scope="module")
def one_thread(one_torch_thread):
    """One torch thread for every test here (tests/conftest.py)."""


@pytest.fixture(scope="module")
def corpus():
    return char_corpus(60_000)


def tiny(**overrides):
    return T.get_preset("tiny", **overrides)


def make_model(vocab, cfg, seed=0):
    torch.manual_seed(seed)
    return CharLSTM(len(vocab), cfg.hidden_size, cfg.num_layers, cfg.emb_size, cfg.dropout, cfg.impl)


def test_loss_decreases(corpus):
    vocab, train_ids, val_ids = corpus
    cfg = tiny()
    hist = T.train(make_model(vocab, cfg), train_ids, val_ids, cfg, progress=False)
    assert hist["step"] == list(range(1, cfg.max_steps + 1))
    assert len(hist["train_loss"]) == len(hist["lr"]) == cfg.max_steps
    assert np.mean(hist["train_loss"][-10:]) < np.mean(hist["train_loss"][:10]) - 1.0
    assert hist["eval_step"] == list(range(cfg.eval_interval, cfg.max_steps + 1, cfg.eval_interval))
    assert hist["eval_loss"][-1] < math.log(len(vocab)) - 1.0  # well below a uniform guess
    assert all(t > 0 for t in hist["tokens_per_sec"]) and hist["elapsed"] == sorted(hist["elapsed"])


@pytest.mark.parametrize("impl", ["cudnn", "scratch"])
def test_both_impls_train(corpus, impl):
    if impl == "scratch":
        pytest.importorskip("lstm_helpers.torch_lstm", reason="lstm_helpers.torch_lstm is not written yet")
    vocab, train_ids, val_ids = corpus
    cfg = tiny(impl=impl, max_steps=40, eval_interval=20, seq_len=16)
    model = make_model(vocab, cfg)
    assert type(model.lstm).__module__ == ("torch.nn.modules.rnn" if impl == "cudnn" else "lstm_helpers.torch_lstm")
    hist = T.train(model, train_ids, val_ids, cfg, progress=False)
    assert np.mean(hist["train_loss"][-5:]) < np.mean(hist["train_loss"][:5]) - 0.5


def test_early_stopping_keeps_best_and_last_checkpoints(corpus, monkeypatch, tmp_path):
    vocab, train_ids, val_ids = corpus
    scripted = iter([3.0, 2.0, 2.5, 2.6, 2.7, 2.8])
    monkeypatch.setattr(T, "evaluate", lambda *a, **k: next(scripted))
    cfg = tiny(max_steps=100, eval_interval=5, patience=2)
    hist = T.train(make_model(vocab, cfg), train_ids, val_ids, cfg, out_dir=tmp_path, progress=False,
                   vocab=vocab)
    assert hist["eval_step"] == [5, 10, 15, 20] and hist["step"][-1] == 20  # stopped 2 evals after the best
    best = T.load_checkpoint(tmp_path / "best.pt")
    assert best["step"] == 10 and best["best_val_loss"] == 2.0
    assert best["history"]["eval_loss"] == [3.0, 2.0]
    last = T.load_checkpoint(tmp_path / "last.pt")  # every evaluation, so nothing after the best is lost
    assert last["step"] == 20 and last["best_step"] == 10 and last["history"]["eval_loss"] == [3.0, 2.0, 2.5, 2.6]


def test_checkpoint_is_weights_only_and_rebuilds_model(corpus, tmp_path):
    vocab, train_ids, val_ids = corpus
    cfg = tiny(max_steps=20, eval_interval=10)
    model = make_model(vocab, cfg)
    T.train(model, train_ids, val_ids, cfg, out_dir=tmp_path, progress=False, vocab=vocab)
    path = tmp_path / "best.pt"
    raw = torch.load(path, weights_only=True)
    for key in ("format", "model", "optimizer", "step", "best_val_loss", "best_step", "history", "config", "vocab",
                "rng", "data_sha256"):
        assert key in raw, key
    assert set(raw["rng"]) >= {"torch", "batch"}
    assert raw["config"]["hidden_size"] == cfg.hidden_size
    rebuilt, vocab2, _ = T.load_char_model(path)
    assert vocab2.chars == vocab.chars
    x = train_ids[:50][None]
    model.eval()
    if raw["step"] == cfg.max_steps:  # the last evaluation was the best, so the weights match
        torch.testing.assert_close(rebuilt(x)[0], model(x)[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt", "last.pt"]  # no temporary files left


def test_resume_reproduces_uninterrupted_run(corpus, tmp_path, monkeypatch):
    vocab, train_ids, val_ids = corpus
    # Two layers with dropout, so the torch generator's state matters as well as the batch generator's.
    cfg = tiny(num_layers=2, dropout=0.2, max_steps=30, eval_interval=15, seq_len=16)
    full = T.train(make_model(vocab, cfg), train_ids, val_ids, cfg, progress=False)

    real_get_batch, calls = T.get_batch, []

    def interrupt_after_15(*args, **kwargs):
        calls.append(1)
        if len(calls) > 15:
            raise KeyboardInterrupt
        return real_get_batch(*args, **kwargs)

    monkeypatch.setattr(T, "get_batch", interrupt_after_15)
    part = T.train(make_model(vocab, cfg), train_ids, val_ids, cfg, out_dir=tmp_path, progress=False)
    assert part["step"][-1] == 15 and T.load_checkpoint(tmp_path / "last.pt")["step"] == 15
    monkeypatch.setattr(T, "get_batch", real_get_batch)

    # A "fresh process": different model weights and scrambled global generators before resuming.
    random.seed(123), np.random.seed(123), torch.manual_seed(123)
    resumed = T.train(make_model(vocab, cfg, seed=99), train_ids, val_ids, cfg, out_dir=tmp_path,
                      resume=True, progress=False)
    for key in ("step", "train_loss", "lr", "eval_step", "eval_loss"):
        assert resumed[key] == full[key], key


def test_rng_state_round_trip():
    gen = torch.Generator().manual_seed(5)
    state = get_rng_state(gen)
    a = (torch.rand(1).item(), torch.rand(1, generator=gen).item())
    set_rng_state(state, gen)
    b = (torch.rand(1).item(), torch.rand(1, generator=gen).item())
    assert a == b


def test_lr_at_warmup_cosine_floor():
    args = dict(lr=1.0, warmup_steps=10, max_steps=110, min_lr_ratio=0.1)
    assert T.lr_at(0, **args) == pytest.approx(0.1) and T.lr_at(9, **args) == pytest.approx(1.0)
    assert T.lr_at(10, **args) == pytest.approx(1.0)
    assert T.lr_at(60, **args) == pytest.approx(0.55)
    assert T.lr_at(110, **args) == pytest.approx(0.1) and T.lr_at(500, **args) == pytest.approx(0.1)


def test_time_budget_stops_early_without_reshaping_the_schedule(corpus, monkeypatch):
    vocab, train_ids, val_ids = corpus
    cfg = tiny(max_steps=60, eval_interval=30, log_interval=5)
    full = T.train(make_model(vocab, cfg), train_ids, val_ids, cfg, progress=False)
    clock = iter(range(10**6))  # a fake clock: one "second" per reading
    monkeypatch.setattr(T.time, "perf_counter", lambda: float(next(clock)))
    short = T.train(make_model(vocab, cfg), train_ids, val_ids, replace(cfg, max_seconds=3), progress=False)
    n = len(short["lr"])
    assert 0 < n < cfg.max_steps and short["eval_step"] == [n]  # stopped early, evaluated where it stopped
    assert short["lr"] == full["lr"][:n]  # the same learning rates step by step as the full run


def test_presets_exist_and_validate():
    for name in ("tiny", "cpu", "t4", "gpu"):
        cfg = T.get_preset(name)
        assert isinstance(cfg, T.TrainConfig) and cfg.validate() is cfg
    assert T.get_preset("gpu").max_seconds == 60
    t4 = T.get_preset("t4")  # the shipped model's recipe, stopped after 8 min of training on a slow T4
    assert t4 == replace(T.get_preset("shakespeare"), max_seconds=480) and t4.amp == "auto"
    assert "shakespeare" in T.PRESETS
    cfg = T.get_preset("tiny", max_steps=7)
    assert cfg.max_steps == 7 and T.PRESETS["tiny"].max_steps != 7
    with pytest.raises(ValueError, match="name"):
        T.get_preset("huge")
    with pytest.raises(ValueError, match="hiden_size"):
        T.get_preset("tiny", hiden_size=3)


@pytest.mark.parametrize("field, value", [
    ("hidden_size", 0), ("num_layers", 1.5), ("dropout", 1.0), ("lr", -1e-3), ("batch_size", 0),
    ("max_seconds", 0), ("patience", 0), ("amp", "fp8"), ("impl", "keras"), ("grad_clip", -1.0),
    ("emb_size", 0), ("warmup_steps", -1), ("compile", "yes"),
])
def test_bad_config_values_name_the_field(field, value):
    with pytest.raises(ValueError, match=f"^{field}: expected"):
        T.TrainConfig(**{field: value})


def test_train_validates_inputs(corpus):
    vocab, train_ids, val_ids = corpus
    cfg = tiny()
    model = make_model(vocab, cfg)
    with pytest.raises(ValueError, match="cfg"):
        T.train(model, train_ids, val_ids, {"lr": 1e-3}, progress=False)
    with pytest.raises(ValueError, match="val_data"):
        T.train(model, train_ids, val_ids[:5], cfg, progress=False)
    with pytest.raises(ValueError, match="train_data"):
        T.train(model, train_ids.float(), val_ids, cfg, progress=False)
    with pytest.raises(ValueError, match="out_dir"):
        T.train(model, train_ids, val_ids, cfg, resume=True, progress=False)


def test_generate_shapes_and_determinism(corpus):
    vocab, _, _ = corpus
    model = CharLSTM(len(vocab), 32, emb_size=None)  # one-hot inputs
    prefix = vocab.encode("def ")
    a = model.generate(prefix, 20, generator=torch.Generator().manual_seed(0))
    b = model.generate(prefix, 20, generator=torch.Generator().manual_seed(0))
    assert a.shape == (24,) and a.dtype == np.int64 and (a[:4] == prefix).all()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.generate(prefix, 5, temperature=0), model.generate(prefix, 5, temperature=0))
    assert isinstance(vocab.decode(a), str)
    with pytest.raises(ValueError, match="prefix_ids"):
        model.generate([], 5)


def test_cli_tiny_preset(tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "lstm_helpers.train", "--corpus", "pystdlib", "--preset", "tiny",
                           "--max-steps", "20", "--out", str(out), "--no-progress", "--sample", "20",
                           "--device", "cpu"], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout
    for expected in ("device: cpu", "precision: everything in fp32, no loss scaler (cpu, not a CUDA GPU)", "parameters:", "best validation loss:", "tokens per second:",
                     f"checkpoints: {out / 'last.pt'}, {out / 'best.pt'}", "sample"):
        assert expected in lines, (expected, lines)
    assert (out / "best.pt").is_file()


def test_plot_loss_curves_puts_val_losses_at_their_steps():
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    from lstm_helpers.plots import plot_loss_curves

    hist = T.new_history()
    hist.update(step=[1, 2, 3, 4], train_loss=[4.0, 3.0, 2.5, 2.0], eval_step=[2, 4], eval_loss=[3.1, 2.2])
    ax = plot_loss_curves(hist)
    train_line, val_line = ax.get_lines()
    assert list(train_line.get_xdata()) == [1, 2, 3, 4]
    assert list(val_line.get_xdata()) == [2, 4]  # not the last two training steps
    plt.close(ax.figure)


def test_training_leaves_the_callers_random_state_alone(corpus):
    vocab, train_ids, val_ids = corpus
    cfg = tiny(num_layers=2, dropout=0.2, max_steps=10, eval_interval=5)
    model = make_model(vocab, cfg)
    random.seed(7), np.random.seed(7), torch.manual_seed(7)
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(7), np.random.seed(7), torch.manual_seed(7)
    T.train(model, train_ids, val_ids, cfg, progress=False)  # dropout draws from torch's generator inside
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


# Simulated devices: (device, compute capability, bf16_supported) -> (dtype name, loss scaler).
DEVICES = {
    "H100-like (cc 9.0)": (("cuda", (9, 0), None), ("bf16", False)),
    "A100-like (cc 8.0)": (("cuda", (8, 0), None), ("bf16", False)),
    "T4-like (cc 7.5)": (("cuda", (7, 5), None), ("fp16", True)),
    "V100-like (cc 7.0)": (("cuda", (7, 0), None), ("fp16", True)),
    "P100-like (cc 6.0)": (("cuda", (6, 0), None), ("fp32", False)),
    "K80-like (cc 3.7)": (("cuda", (3, 7), None), ("fp32", False)),
    "CPU": (("cpu", None, None), ("fp32", False)),
    "MPS": (("mps", None, None), ("fp32", False)),
}


@pytest.mark.parametrize("name", DEVICES)
def test_precision_policy_picks_what_the_device_supports(name):
    args, (dtype_name, scaler) = DEVICES[name]
    policy = T.precision_policy(*args)  # a simulated GPU asks nothing of CUDA (there is none here)
    assert (policy.name, policy.use_scaler) == (dtype_name, scaler)
    assert policy.dtype == {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}[dtype_name]
    line = str(policy)
    assert line.startswith("precision: ") and "\n" not in line and policy.reason in line


def test_precision_policy_trusts_a_reported_bf16_and_ignores_emulation():
    assert T.precision_policy("cuda", (7, 5), bf16_supported=True).name == "bf16"  # e.g. ROCm says so
    assert T.precision_policy("cuda", (9, 0), bf16_supported=False).name == "fp16"


@pytest.mark.parametrize("amp", T.AMP_MODES)
@pytest.mark.parametrize("name", DEVICES)
def test_a_loss_scaler_exactly_when_fp16(name, amp):
    try:
        policy = T.precision_policy(*DEVICES[name][0], amp=amp)
    except ValueError as exc:  # asked for a dtype the device lacks
        assert str(exc).startswith("amp: ") and amp in ("bf16", "fp16")
        return
    assert policy.use_scaler == (policy.dtype == torch.float16)
    if amp != "auto":
        assert policy.name == amp


def test_precision_policy_overrides_and_bad_arguments():
    assert T.precision_policy("cuda", (9, 0), amp="fp16").use_scaler  # what make gpu-check runs on an H100
    assert T.precision_policy("cuda", (9, 0), amp="fp32").dtype is None
    assert T.precision_policy("cpu", amp="bf16").dtype == torch.bfloat16
    with pytest.raises(ValueError, match="^amp: 'bf16' is not supported on device cuda"):
        T.precision_policy("cuda", (7, 5), amp="bf16")
    with pytest.raises(ValueError, match="^amp: 'fp16' is not supported on device mps"):
        T.precision_policy("mps", amp="fp16")
    with pytest.raises(ValueError, match="^amp: expected one of"):
        T.precision_policy("cpu", amp="fp8")
    for bad in ((7,), "7.5", (7, 5.0), (-1, 0)):
        with pytest.raises(ValueError, match="^capability: expected"):
            T.precision_policy("cuda", bad)
    with pytest.raises(ValueError, match="^bf16_supported: expected"):
        T.precision_policy("cuda", (8, 0), bf16_supported="yes")


class SpyScaler(torch.amp.GradScaler):
    """The real GradScaler, counting its calls and whether scale() changed the loss."""

    made = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls, self.changed = collections.Counter(), []
        SpyScaler.made.append(self)

    def scale(self, outputs):
        self.calls["scale"] += 1
        scaled = super().scale(outputs)
        self.changed.append(scaled is not outputs)
        return scaled

    def unscale_(self, optimizer):
        self.calls["unscale_"] += 1
        return super().unscale_(optimizer)

    def step(self, optimizer, *args, **kwargs):
        self.calls["step"] += 1
        return super().step(optimizer, *args, **kwargs)


@pytest.mark.parametrize("name", ["H100-like (cc 9.0)", "T4-like (cc 7.5)", "P100-like (cc 6.0)", "CPU"])
def test_train_scales_the_loss_exactly_under_fp16(corpus, monkeypatch, capsys, name):
    """train() on the CPU with a simulated device's policy: the loss is scaled in every step exactly when
    the output layer runs in fp16, the LSTM stays fp32, and the policy is printed in one line."""
    args, _ = DEVICES[name]
    policy = T.precision_policy(*args)
    monkeypatch.setattr(T, "precision_policy", lambda device, amp="auto": policy)
    monkeypatch.setattr(torch.amp, "GradScaler", SpyScaler)
    SpyScaler.made.clear()
    vocab, train_ids, val_ids = corpus
    cfg = tiny(max_steps=12, eval_interval=6)
    model = make_model(vocab, cfg)
    lstm_dtypes, head_dtypes = set(), set()
    model.lstm.register_forward_hook(lambda mod, inp, out: lstm_dtypes.add(out[0].dtype))
    model.head.register_forward_hook(lambda mod, inp, out: head_dtypes.add(out.dtype))
    hist = T.train(model, train_ids, val_ids, cfg, progress=True, device="cpu")
    (scaler,) = SpyScaler.made
    fp16 = policy.dtype == torch.float16
    assert head_dtypes == {policy.dtype or torch.float32} and lstm_dtypes == {torch.float32}
    assert scaler.is_enabled() == fp16 and scaler.changed == [fp16] * cfg.max_steps
    assert scaler.calls == {"scale": cfg.max_steps, "unscale_": cfg.max_steps, "step": cfg.max_steps}
    assert np.isfinite(hist["eval_loss"]).all()
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("precision:")]
    assert printed == [str(policy)]


def test_fp16_checkpoint_keeps_the_loss_scale(corpus, monkeypatch, tmp_path):
    vocab, train_ids, val_ids = corpus
    cfg = tiny(max_steps=10, eval_interval=5)
    monkeypatch.setattr(T, "precision_policy", lambda device, amp="auto": T.Policy(torch.float16, True, "test"))
    T.train(make_model(vocab, cfg), train_ids, val_ids, cfg, out_dir=tmp_path / "fp16", progress=False)
    saved = read_checkpoint(tmp_path / "fp16" / "last.pt")["scaler"]
    assert saved["scale"] > 0
    monkeypatch.undo()
    T.train(make_model(vocab, cfg), train_ids, val_ids, cfg, out_dir=tmp_path / "fp32", progress=False)
    assert read_checkpoint(tmp_path / "fp32" / "last.pt")["scaler"] is None


def test_bf16_training_on_cpu_keeps_the_lstm_float32(corpus):
    vocab, train_ids, val_ids = corpus
    cfg = tiny(amp="bf16", max_steps=20, eval_interval=10)
    model = make_model(vocab, cfg)
    seen = []
    model.lstm.register_forward_hook(lambda mod, inp, out: seen.append((inp[0].dtype, out[0].dtype)))
    hist = T.train(model, train_ids, val_ids, cfg, progress=False)
    assert set(seen) == {(torch.float32, torch.float32)} and np.isfinite(hist["eval_loss"]).all()


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_tiny_training_policy_head_fp32_lstm(corpus):
    vocab, train_ids, val_ids = corpus
    cfg = tiny(max_steps=60, eval_interval=30)
    assert T.precision_policy("cuda") == T.precision_policy("cuda", torch.cuda.get_device_capability())
    model = make_model(vocab, cfg).cuda()
    seen = []
    model.lstm.register_forward_hook(lambda mod, inp, out: seen.append(out[0].dtype))
    hist = T.train(model, train_ids, val_ids, cfg, progress=False, device="cuda")
    assert set(seen) == {torch.float32}
    assert np.mean(hist["train_loss"][-10:]) < np.mean(hist["train_loss"][:10]) - 0.5


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fp16_with_loss_scaler_trains(corpus, monkeypatch):
    """The T4's path (fp16 head, loss scaler, fp32 LSTM) on whatever CUDA GPU runs make gpu-check."""
    monkeypatch.setattr(torch.amp, "GradScaler", SpyScaler)
    SpyScaler.made.clear()
    vocab, train_ids, val_ids = corpus
    cfg = tiny(amp="fp16", max_steps=60, eval_interval=30)
    model = make_model(vocab, cfg).cuda()
    lstm_dtypes, head_dtypes = set(), set()
    model.lstm.register_forward_hook(lambda mod, inp, out: lstm_dtypes.add(out[0].dtype))
    model.head.register_forward_hook(lambda mod, inp, out: head_dtypes.add(out.dtype))
    hist = T.train(model, train_ids, val_ids, cfg, progress=False, device="cuda")
    (scaler,) = SpyScaler.made
    assert scaler.is_enabled() and all(scaler.changed) and head_dtypes == {torch.float16}
    assert lstm_dtypes == {torch.float32}
    assert np.mean(hist["train_loss"][-10:]) < np.mean(hist["train_loss"][:10]) - 0.5
