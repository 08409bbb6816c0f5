"""Tests for lstm_helpers.tools.gpu_check on the CPU: its arguments, its refusal without CUDA, and what it
would run (each stage's command parses with the command it calls). The check itself needs a CUDA GPU."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lstm_helpers import train_cli
from lstm_helpers.tools import gpu_check
from lstm_helpers.train import get_preset, precision_policy

ROOT = Path(__file__).resolve().parents[1]


def stages(data_dir=None):
    return {name: (cmd, timeout, log) for name, cmd, timeout, log in
            gpu_check.steps(Path("results"), data_dir, Path("/tmp/work"))}


def test_the_stages_fit_the_budget_and_name_real_files():
    plan = stages()
    assert sum(timeout for _, timeout, _ in plan.values()) <= gpu_check.BUDGET_S
    pytest_cmd = plan["cuda tests"][0]
    for path in (arg for arg in pytest_cmd if arg.startswith("tests/")):
        assert (ROOT / path).is_file(), path
    assert (ROOT / plan["notebook 09"][0][-1]).is_file()


def test_the_fp16_stage_runs_the_t4_preset_with_a_loss_scaler_on_any_gpu():
    (name,) = [n for n in stages() if n.startswith("t4 preset")]
    cmd, timeout, log = stages("/data")[name]
    assert cmd[1:3] == ["-m", "lstm_helpers.train"] and log == "gpu_check_t4_fp16.txt"
    args = train_cli.build_parser().parse_args(cmd[3:])  # what the train command will read
    assert (args.preset, args.amp, args.device, args.data_dir) == ("t4", "fp16", "cuda", "/data")
    assert args.max_seconds + 30 <= timeout and args.out == "/tmp/work/t4_fp16"
    cfg = get_preset(args.preset, amp=args.amp)
    for capability in ((9, 0), (8, 0), (7, 5)):  # bf16 GPUs too: fp16 is forced, so the scaler is used
        policy = precision_policy("cuda", capability, amp=cfg.amp)
        assert policy.dtype == torch.float16 and policy.use_scaler


def test_the_cuda_tests_include_the_fp16_test():
    text = (ROOT / "tests" / "test_train.py").read_text()
    assert "@pytest.mark.cuda" in text and "def test_cuda_fp16_with_loss_scaler_trains" in text


def test_dry_run_prints_the_plan_and_runs_nothing(capsys, monkeypatch):
    monkeypatch.setattr(gpu_check.subprocess, "run", lambda *a, **k: pytest.fail("dry run ran a stage"))
    assert gpu_check.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("gpu_check plan (10 min budget; nothing is run):")
    for name in stages():
        assert f"- {name} (at most" in out
    assert "--preset t4 --amp fp16" in out and "log results/gpu_check_t4_fp16.txt" in out


def test_without_cuda_it_refuses_and_runs_nothing(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(gpu_check.subprocess, "run", lambda *a, **k: pytest.fail("a stage ran without CUDA"))
    assert gpu_check.main(["--results", str(tmp_path / "r")]) == 2
    assert "no CUDA GPU here" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_bad_arguments_exit_2_before_any_work(tmp_path):
    for argv in (["--bogus"], ["--data-dir", str(tmp_path)]):
        proc = subprocess.run([sys.executable, "-m", "lstm_helpers.tools.gpu_check", *argv], capture_output=True,
                              text=True, cwd=ROOT, timeout=60)
        assert proc.returncode == 2 and proc.stdout == "", proc
    assert "--data-dir: expected a folder holding tinyshakespeare.txt" in proc.stderr
