"""The prepared GPU check (``make gpu-check``): everything that needs CUDA, in one command, on one GPU.

Reports the precision policy chosen for the GPU, then runs the `cuda`-marked tests, the T4's fp16 path
(the t4 preset with fp16 autocast and a loss scaler, forced even on a bf16 GPU), the benchmark's GPU
rows with the gpu preset's 60 s run, and notebook 09. ``--dry-run`` prints the plan and runs nothing.
"""

# Planned on paper for one H100/H200 (NOT yet run on one; no GPU was available when it was written):
#   1. pytest -m cuda                     dtype asserts, tiny training in the device's policy and in
#                                         fp16 + loss scaler, save on GPU / resume on CPU and back       ~1 min
#   2. t4 preset, --amp fp16, 40 s        the T4's precision path on this GPU; its log is kept          ~1.5 min
#   3. bench --full                       cuDNN vs scratch (real dtypes named), train() vs bare loop,
#                                         gpu preset 60 s on tinyshakespeare (target <= 1.38 nats/char)   ~3 min
#   4. notebook 09 executed in place      its GPU cells run, outputs written back                        ~2 min
# Each step has its own timeout; the whole check stops at 10 minutes.

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUDGET_S = 10 * 60
FP16_SECONDS = 40  # training time of stage 2 (evaluation comes on top)


def steps(results_dir: Path, data_dir: str | None, work_dir: Path) -> list[tuple[str, list[str], int, str | None]]:
    """(name, command, timeout in s, log file name or None) of each stage, run from the repository root.

    ``work_dir`` takes the fp16 run's checkpoints (an empty folder); a stage with a log file name has
    its output written to ``results_dir`` under that name as well as printed.
    """
    py = sys.executable
    data = ["--data-dir", str(data_dir)] if data_dir else []
    corpus = ["--corpus", str(Path(data_dir) / "tinyshakespeare.txt")] if data_dir else []
    return [
        ("cuda tests", [py, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", "cuda", "tests/test_models.py",
                        "tests/test_checkpoint.py", "tests/test_train.py"], 100, None),
        (f"t4 preset, fp16 + loss scaler, {FP16_SECONDS} s",
         [py, "-m", "lstm_helpers.train", "--corpus", "tinyshakespeare", *data, "--preset", "t4", "--amp", "fp16",
          "--device", "cuda", "--max-seconds", str(FP16_SECONDS), "--out", str(work_dir / "t4_fp16"),
          "--no-progress", "--sample", "200"], FP16_SECONDS + 50, "gpu_check_t4_fp16.txt"),
        ("bench gpu rows + gpu preset 60 s", [py, "-m", "lstm_helpers.tools.bench", "--full", *corpus,
                                              "--out", str(results_dir / "bench_gpu.txt")], 230, None),
        ("notebook 09", [py, "-m", "lstm_helpers.tools.notebooks", "execute", "notebooks/09_training_on_gpu.ipynb"],
         180, None),
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lstm_helpers.tools.gpu_check", description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results", help="folder for bench_gpu.txt and gpu_check*.txt")
    parser.add_argument("--data-dir", default=None, help="folder holding tinyshakespeare.txt (else downloaded)")
    parser.add_argument("--dry-run", action="store_true", help="print the policy and the plan; run nothing")
    return parser


def describe_gpu() -> tuple[str, str]:
    """(one line naming the GPU, torch and cuDNN; the precision policy line) for CUDA device 0."""
    import torch

    from lstm_helpers.train import precision_policy

    major, minor = torch.cuda.get_device_capability(0)
    head = (f"gpu_check on {torch.cuda.get_device_name(0)} (compute capability {major}.{minor}), torch "
            f"{torch.__version__}, cuDNN {torch.backends.cudnn.version()}")
    return head, f"{precision_policy('cuda')}; the fp16 stage forces fp16 + loss scaler"


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.data_dir and not (Path(args.data_dir) / "tinyshakespeare.txt").is_file():
        parser.error(f"--data-dir: expected a folder holding tinyshakespeare.txt, got {args.data_dir!r}")
    import torch

    results = Path(args.results)
    plan = steps(results, args.data_dir, Path("<temporary folder>"))
    if args.dry_run:
        print(f"gpu_check plan ({BUDGET_S // 60} min budget; nothing is run):")
        for name, cmd, timeout, log in plan:
            shown = " ".join(str(c) for c in cmd).replace(sys.executable, "python")
            print(f"- {name} (at most {timeout} s{', log ' + str(results / log) if log else ''}): {shown}")
        if torch.cuda.is_available():
            print("\n".join(describe_gpu()))
        return 0
    if not torch.cuda.is_available():
        print("gpu_check: no CUDA GPU here (torch.cuda.is_available() is False); nothing was run.", file=sys.stderr)
        return 2
    results.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MPLBACKEND="agg")
    if args.data_dir:
        env["LSTM_DATA_DIR"] = args.data_dir
    lines = list(describe_gpu())
    print("\n".join(lines), flush=True)
    start, failed = time.perf_counter(), False
    with tempfile.TemporaryDirectory(prefix="gpu_check_") as work:
        for name, cmd, timeout, log in steps(results, args.data_dir, Path(work)):
            left = BUDGET_S - (time.perf_counter() - start)
            if left < 10:
                lines.append(f"{name}: not run (the {BUDGET_S // 60} min budget is used up)")
                failed = True
                continue
            t0 = time.perf_counter()
            try:
                if log:  # keep what it printed: the policy line, the losses, the speed
                    proc = subprocess.run(cmd, cwd=ROOT, env=env, timeout=min(timeout, left), capture_output=True,
                                          text=True)
                    (results / log).write_text(f"$ {' '.join(cmd[1:])}\n{proc.stdout}{proc.stderr}")
                    print(proc.stdout + proc.stderr, flush=True)
                else:
                    proc = subprocess.run(cmd, cwd=ROOT, env=env, timeout=min(timeout, left))
                status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
            except subprocess.TimeoutExpired:
                status = f"FAILED (over {min(timeout, left):.0f} s)"
            failed |= status != "ok"
            lines.append(f"{name}: {status} in {time.perf_counter() - t0:.0f} s")
            print(lines[-1], flush=True)
    lines.append(f"total {time.perf_counter() - start:.0f} s")
    (results / "gpu_check.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
