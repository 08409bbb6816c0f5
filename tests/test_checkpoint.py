"""Tests for lstm_helpers.checkpoint: safe reading, clear errors, checked resumes, export, random state.

Tiny models on the CPU; the cross-device resume (CUDA -> CPU -> CUDA) carries the `cuda` mark.
"""

import pickle

import pytest
from conftest import char_corpus
import torch

from lstm_helpers import train as T
from lstm_helpers.checkpoint import (CheckpointError, export_model, get_rng_state, read_checkpoint, resume_mismatch,
                                     set_rng_state)
from lstm_helpers.data import CharVocab
from lstm_helpers.models import CharLSTM


@pytest.fixture(autouse=True, scope="module")
def one_thread(one_torch_thread):
    """One torch thread for every test here (tests/conftest.py)."""


@pytest.fixture(scope="module")
def corpus():
    return char_corpus(30_000)


@pytest.fixture(scope="module")
def run_dir(corpus, tmp_path_factory):
    """A finished tiny run: its folder holds last.pt and best.pt."""
    vocab, train_ids, val_ids = corpus
    cfg = T.get_preset("tiny", max_steps=20, eval_interval=10)
    path = tmp_path_factory.mktemp("run")
    torch.manual_seed(0)
    model = CharLSTM(len(vocab), cfg.hidden_size, cfg.num_layers, cfg.emb_size, cfg.dropout, cfg.impl)
    T.train(model, train_ids, val_ids, cfg, out_dir=path, progress=False, vocab=vocab)
    return path


def one_line_without_unsafe_advice(exc_info):
    message = str(exc_info.value)
    assert "\n" not in message and "weights_only" not in message
    return message


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", bytes(range(256)) * 4])
def test_garbage_files_get_one_clear_line(tmp_path, content):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="is not a readable checkpoint") as info:
        read_checkpoint(path)
    assert str(path) in one_line_without_unsafe_advice(info)


def test_truncated_checkpoint(run_dir, tmp_path):
    data = (run_dir / "last.pt").read_bytes()
    path = tmp_path / "cut.pt"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="is not a readable checkpoint") as info:
        read_checkpoint(path)
    one_line_without_unsafe_advice(info)


class Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickled_code_is_refused_not_run(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"format": "lstm_helpers.train/2", "model": Evil()}, path)
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(path)
    one_line_without_unsafe_advice(info)
    assert "must never run" not in capsys.readouterr().out


@pytest.mark.parametrize("obj, expected", [({"weights": torch.zeros(2)}, "no 'format' key"),
                                           ([1, 2, 3], "list"), ({"format": "other/1"}, "other/1")])
def test_foreign_files_are_named_as_such(tmp_path, obj, expected):
    path = tmp_path / "foreign.pt"
    torch.save(obj, path)
    with pytest.raises(CheckpointError, match="is not an lstm_helpers checkpoint") as info:
        read_checkpoint(path)
    assert expected in one_line_without_unsafe_advice(info)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="expected an existing file"):
        read_checkpoint(tmp_path / "nope.pt")


def test_checkpoints_hold_plain_data_only(run_dir):
    for name in ("last.pt", "best.pt"):
        ckpt = torch.load(run_dir / name, weights_only=True)  # would raise on anything but plain data
        assert ckpt["format"] == "lstm_helpers.train/2"
        with pytest.raises(pickle.UnpicklingError):  # and the file really is a zip of tensors + plain data
            pickle.loads((run_dir / name).read_bytes())


@pytest.mark.parametrize("change, named", [
    (dict(max_steps=40), "max_steps (checkpoint 20, now 40)"),
    (dict(hidden_size=32), "hidden_size"),
    (dict(seq_len=16), "seq_len"),
    (dict(lr=3e-3), "lr"),
])
def test_resume_refuses_a_changed_run(corpus, run_dir, change, named):
    vocab, train_ids, val_ids = corpus
    cfg = T.get_preset("tiny", **{"max_steps": 20, "eval_interval": 10, **change})
    model = CharLSTM(len(vocab), cfg.hidden_size, cfg.num_layers, cfg.emb_size, cfg.dropout, cfg.impl)
    before = (run_dir / "last.pt").read_bytes()
    with pytest.raises(CheckpointError, match="comes from a different run") as info:
        T.train(model, train_ids, val_ids, cfg, out_dir=run_dir, resume=True, progress=False, vocab=vocab)
    assert named in one_line_without_unsafe_advice(info)
    assert (run_dir / "last.pt").read_bytes() == before  # nothing was touched


def test_resume_refuses_other_data_with_the_same_vocabulary(corpus, run_dir):
    vocab, train_ids, val_ids = corpus
    cfg = T.get_preset("tiny", max_steps=20, eval_interval=10)
    model = CharLSTM(len(vocab), cfg.hidden_size, cfg.num_layers, cfg.emb_size, cfg.dropout, cfg.impl)
    with pytest.raises(CheckpointError, match="training data") as info:
        T.train(model, train_ids.flip(0), val_ids, cfg, out_dir=run_dir, resume=True, progress=False, vocab=vocab)
    one_line_without_unsafe_advice(info)
    ckpt = read_checkpoint(run_dir / "last.pt")
    other_vocab = CharVocab("".join(vocab.chars) + "\u00e9")
    assert resume_mismatch(ckpt, ckpt["config"], other_vocab.to_dict(), None) == "vocabulary (a different character set)"


def test_export_is_small_fp16_and_loads_as_fp32(corpus, run_dir, tmp_path):
    vocab, _, val_ids = corpus
    dest = export_model(run_dir / "best.pt", tmp_path / "model.pt", extra={"command": "python -m ..."})
    raw = torch.load(dest, weights_only=True)
    assert raw["weights_dtype"] == "float16" and raw["extra"]["command"] == "python -m ..."
    assert all(v.dtype == torch.float16 for v in raw["model"].values() if v.is_floating_point())
    assert dest.stat().st_size < (run_dir / "best.pt").stat().st_size / 3  # no optimizer, half the bytes
    full, _, _ = T.load_char_model(run_dir / "best.pt")
    small, vocab2, _ = T.load_char_model(dest)
    assert vocab2.chars == vocab.chars and small.head.weight.dtype == torch.float32
    a = T.evaluate(full, val_ids, seq_len=32, batch_size=16)
    b = T.evaluate(small, val_ids, seq_len=32, batch_size=16)
    assert abs(a - b) < 1e-2  # rounding the weights to fp16 barely moves the loss


def test_rng_state_keeps_the_batch_generator_on_the_cpu():
    gen = torch.Generator().manual_seed(3)
    state = get_rng_state(gen, device="cpu")
    assert set(state) == {"torch", "batch"} and state["batch"].device.type == "cpu"
    a = torch.rand(2, generator=gen)
    set_rng_state(state, gen, device="cpu")
    assert torch.equal(a, torch.rand(2, generator=gen))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_run_resumes_on_cpu_and_back(corpus, tmp_path, monkeypatch):
    """Saved on the GPU, resumed on the CPU, finished on the GPU: the batches are the same throughout."""
    vocab, train_ids, val_ids = corpus
    cfg = T.get_preset("tiny", max_steps=30, eval_interval=10)

    def model():
        torch.manual_seed(0)
        return CharLSTM(len(vocab), cfg.hidden_size, cfg.num_layers, cfg.emb_size, cfg.dropout, cfg.impl)

    full = T.train(model(), train_ids, val_ids, cfg, progress=False, device="cuda")
    real_get_batch = T.get_batch

    def stop_after(n):
        calls = []

        def get_batch(*args, **kwargs):
            calls.append(1)
            if len(calls) > n:
                raise KeyboardInterrupt
            return real_get_batch(*args, **kwargs)
        return get_batch

    monkeypatch.setattr(T, "get_batch", stop_after(10))
    T.train(model(), train_ids, val_ids, cfg, out_dir=tmp_path, progress=False, vocab=vocab, device="cuda")
    ckpt = read_checkpoint(tmp_path / "last.pt")
    assert ckpt["step"] == 10 and "cuda" in ckpt["rng"] and ckpt["rng"]["batch"].device.type == "cpu"
    monkeypatch.setattr(T, "get_batch", stop_after(10))
    T.train(model(), train_ids, val_ids, cfg, out_dir=tmp_path, resume=True, progress=False, vocab=vocab,
            device="cpu")
    assert read_checkpoint(tmp_path / "last.pt")["step"] == 20
    monkeypatch.setattr(T, "get_batch", real_get_batch)
    hist = T.train(model(), train_ids, val_ids, cfg, out_dir=tmp_path, resume=True, progress=False, vocab=vocab,
                   device="cuda")
    assert hist["step"] == full["step"] and hist["eval_step"] == full["eval_step"]
    # dropout is off in the tiny preset, so only float rounding separates CPU and GPU steps
    assert hist["eval_loss"][-1] == pytest.approx(full["eval_loss"][-1], abs=0.05)
