"""Tests for lstm_helpers.train_cli: each bad argument, folder, corpus or checkpoint gives one line before any work.

Most run ``main(argv)`` in-process (fast); one runs the real command to check what a shell user sees.
"""

import os
import subprocess
import sys

import pytest
import torch

from lstm_helpers import train_cli
from lstm_helpers.checkpoint import read_checkpoint

PROG = "python -m lstm_helpers.train: error: "


@pytest.fixture(autouse=True, scope="module")
def one_thread(one_torch_thread):
    """One torch thread for every test here (tests/conftest.py)."""


@pytest.fixture
def no_training(monkeypatch):
    """Fails the test if training starts: every error must come before it."""
    def refuse(*args, **kwargs):
        raise AssertionError("training started before the error was reported")
    monkeypatch.setattr(train_cli, "train", refuse)


def error_line(capsys, argv) -> str:
    with pytest.raises(SystemExit) as info:
        train_cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(PROG) and "Traceback" not in err, err
    return err[len(PROG):].strip()


TINY = ["--preset", "tiny", "--device", "cpu", "--no-progress", "--sample", "0"]


@pytest.mark.parametrize("args, expected", [
    (["--sample", "-5"], "argument --sample: expected an int >= 0, got -5"),
    (["--max-steps", "0"], "argument --max-steps: expected an int >= 1, got 0"),
    (["--max-steps", "ten"], "argument --max-steps: expected an int >= 1, got 'ten'"),
    (["--max-seconds", "-1"], "argument --max-seconds: expected a number > 0, got -1"),
    (["--preset", "huge"], "argument --preset: invalid choice: 'huge'"),
    (["--amp", "fp8"], "argument --amp: invalid choice: 'fp8'"),
])
def test_bad_arguments(capsys, no_training, args, expected):
    assert error_line(capsys, args) .startswith(expected)


def test_unwritable_out_folder(capsys, no_training, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")  # a folder cannot be made under a file, even as root
    line = error_line(capsys, TINY + ["--out", str(blocker / "run")])
    assert line.startswith(f"cannot write to folder {str(blocker / 'run')!r}")


def test_unwritable_export_folder(capsys, no_training, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    line = error_line(capsys, TINY + ["--out", str(tmp_path / "run"), "--export", str(blocker / "m" / "model.pt")])
    assert line.startswith("cannot write to folder")


def test_binary_corpus(capsys, no_training, tmp_path):
    blob = tmp_path / "weights.bin"
    blob.write_bytes(bytes(range(256)) * 10)
    line = error_line(capsys, TINY + ["--corpus", str(blob), "--out", str(tmp_path / "run")])
    assert line.startswith(f"corpus: expected a UTF-8 text file, got {str(blob)!r}")


def test_unknown_corpus(capsys, no_training, tmp_path):
    line = error_line(capsys, TINY + ["--corpus", "shakespeare_typo", "--out", str(tmp_path / "run")])
    assert line.startswith("name_or_path: expected one of 'pystdlib', 'tinyshakespeare'")


def test_corrupt_checkpoint_on_resume(capsys, no_training, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "last.pt").write_bytes(b"\x00garbage")
    line = error_line(capsys, TINY + ["--out", str(tmp_path / "run"), "--resume"])
    assert "is not a readable checkpoint" in line and "weights_only" not in line


def test_changed_schedule_on_resume_then_a_real_resume(capsys, tmp_path):
    out = str(tmp_path / "run")
    train_cli.main(TINY + ["--max-steps", "10", "--out", out])
    capsys.readouterr()
    line = error_line(capsys, TINY + ["--max-steps", "20", "--out", out, "--resume"])
    assert "comes from a different run: max_steps (checkpoint 10, now 20)" in line
    line = error_line(capsys, TINY + ["--max-steps", "10", "--out", out])  # no --resume: never overwrite a run
    assert line == f"--out: {out!r} already holds a run (last.pt); pass --resume to continue it, or choose another folder"
    hist = train_cli.main(TINY + ["--max-steps", "10", "--out", out, "--resume"])  # same settings: fine
    assert hist["step"][-1] == 10 and read_checkpoint(tmp_path / "run" / "last.pt")["step"] == 10


def test_export_writes_model_and_history(capsys, tmp_path):
    dest = tmp_path / "shipped" / "model.pt"
    train_cli.main(TINY + ["--max-steps", "20", "--out", str(tmp_path / "run"), "--export", str(dest)])
    out = capsys.readouterr().out
    assert f"exported: {dest}" in out and (dest.parent / "history.json").is_file()
    raw = torch.load(dest, weights_only=True)
    assert raw["extra"]["command"].startswith("python -m lstm_helpers.train --preset tiny")


def test_the_real_command_prints_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "lstm_helpers.train", "--sample", "-5"], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == PROG + "argument --sample: expected an int >= 0, got -5\n"


def test_torchrun_two_gloo_processes_match_one_process(tmp_path):
    """DDP on the CPU: 2 processes with half the batch each follow the one-process run to float tolerance."""
    common = [*TINY, "--max-steps", "20", "--corpus", "pystdlib"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    one = subprocess.run([sys.executable, "-m", "lstm_helpers.train", *common, "--out", str(tmp_path / "one")],
                         capture_output=True, text=True, timeout=300, env=env)
    assert one.returncode == 0, one.stderr
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                          "-m", "lstm_helpers.train", *common, "--out", str(tmp_path / "two")],
                         capture_output=True, text=True, timeout=300, env=env)
    assert two.returncode == 0, two.stderr
    assert "device: cpu x 2 processes" in two.stdout
    h1 = read_checkpoint(tmp_path / "one" / "last.pt")["history"]
    h2 = read_checkpoint(tmp_path / "two" / "last.pt")["history"]
    assert h1["step"] == h2["step"] and h1["eval_step"] == h2["eval_step"]
    torch.testing.assert_close(torch.tensor(h2["train_loss"]), torch.tensor(h1["train_loss"]), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(torch.tensor(h2["eval_loss"]), torch.tensor(h1["eval_loss"]), rtol=1e-4, atol=1e-4)
