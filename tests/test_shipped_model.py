"""Tests for the shipped model, models/charlstm_shakespeare: size, safe loading, its log and its command.

If a copy of tinyshakespeare is cached, its validation score is recomputed and compared with the log.
"""

import json
import shlex
from pathlib import Path

import pytest
import torch

from lstm_helpers import train as T
from lstm_helpers.checkpoint import EXPORT_FORMAT
from lstm_helpers.data import cache_dir, load_corpus, train_val_split

FOLDER = Path(__file__).resolve().parents[1] / "models" / "charlstm_shakespeare"
MODEL = FOLDER / "model.pt"


@pytest.fixture(scope="module")
def raw():
    return torch.load(MODEL, weights_only=True)  # plain data only: would raise otherwise


def test_small_fp16_and_rebuilds_as_fp32(raw):
    assert MODEL.stat().st_size <= 5_000_000
    assert raw["format"] == EXPORT_FORMAT and raw["weights_dtype"] == "float16"
    model, vocab, _ = T.load_char_model(MODEL)
    assert model.head.weight.dtype == torch.float32 and len(vocab) == raw["model_args"]["vocab_size"] == 65


def test_log_matches_the_checkpoint_and_meets_the_target(raw):
    log = json.loads((FOLDER / "history.json").read_text())
    assert log["history"] == raw["history"] and log["best_val_loss"] == raw["best_val_loss"]
    hist = raw["history"]
    assert raw["best_val_loss"] == min(hist["eval_loss"]) <= 1.60
    assert hist["eval_step"][hist["eval_loss"].index(raw["best_val_loss"])] == raw["best_step"]
    assert abs(raw["extra"]["eval_loss_exported"] - raw["best_val_loss"]) < 0.01  # fp16 rounding costs little


def test_the_committed_command_is_the_one_recorded_and_still_means_the_same(raw):
    script = (FOLDER / "command.sh").read_text()
    recorded = raw["extra"]["command"].split()
    assert recorded[:3] == ["python", "-m", "lstm_helpers.train"]
    assert " ".join(recorded[3:]) in " ".join(shlex.split(script.replace("\\\n", " ")))
    preset = recorded[recorded.index("--preset") + 1]
    cfg = T.get_preset(preset).__dict__
    saved = raw["config"]
    for key, value in saved.items():  # the preset today still describes the shipped run (max_seconds aside)
        if key != "max_seconds":
            assert cfg[key] == value, key


@pytest.mark.skipif(not (cache_dir() / "tinyshakespeare.txt").is_file(), reason="tinyshakespeare is not cached")
def test_recomputed_validation_loss(raw):
    model, vocab, _ = T.load_char_model(MODEL)
    val = train_val_split(torch.from_numpy(vocab.encode(load_corpus("tinyshakespeare"))))[1]
    loss = T.evaluate(model, val, seq_len=raw["config"]["seq_len"], batch_size=64)
    assert abs(loss - raw["extra"]["eval_loss_exported"]) < 1e-3


def test_readme_quotes_the_files(raw):
    readme = (FOLDER / "README.md").read_text()
    hist = raw["history"]
    assert f"({raw['best_val_loss']:.4f}) at the last step, {raw['best_step']}" in readme
    assert raw["best_step"] == hist["step"][-1]
    assert f"step {raw['best_step']} of {hist['step'][-1]}" in readme
    n_params = sum(v.numel() for v in raw["model"].values())
    assert f"{n_params:,} parameters" in readme
    assert f"{hist['elapsed'][-1] / 60:.0f} minutes of training" in readme
