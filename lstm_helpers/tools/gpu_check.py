"""The prepared GPU check (``make gpu-check``): everything that needs CUDA, in one command, on one GPU.

Runs the `cuda`-marked tests, the benchmark's GPU rows with the gpu preset's 60 s run, and notebook 09.
"""

# Planned on paper for one H100/H200 (NOT yet run on one; no GPU was available when it was written):
#   1. pytest -m cuda                     dtype asserts, tiny training, save on GPU / resume on CPU and back  ~1 min
#   2. bench --full                       cuDNN vs scratch (real dtypes named), train() vs bare loop,
#                                         gpu preset 60 s on tinyshakespeare (target <= 1.38 nats/char)     ~3 min
#   3. notebook 09 executed in place      its GPU cells run, outputs written back                          ~2 min
# Each step has its own timeout; the whole check stops at 8 minutes.

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUDGET_S = 8 * 60


def steps(results_dir: Path, data_dir: str | None) -> list[tuple[str, list[str], int]]:
    """(name, command, timeout in s) of each stage, run from the repository root."""
    py = sys.executable
    corpus = ["--corpus", str(Path(data_dir) / "tinyshakespeare.txt")] if data_dir else []
    return [
        ("cuda tests", [py, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", "cuda", "tests/test_models.py",
                        "tests/test_checkpoint.py", "tests/test_train.py"], 120),
        ("bench gpu rows + gpu preset 60 s", [py, "-m", "lstm_helpers.tools.bench", "--full", *corpus,
                                              "--out", str(results_dir / "bench_gpu.txt")], 240),
        ("notebook 09", [py, "-m", "lstm_helpers.tools.notebooks", "execute", "notebooks/09_training_on_gpu.ipynb"],
         180),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_helpers.tools.gpu_check", description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results", help="folder for bench_gpu.txt and gpu_check.txt")
    parser.add_argument("--data-dir", default=None, help="folder holding tinyshakespeare.txt (else downloaded)")
    args = parser.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("gpu_check: no CUDA GPU here (torch.cuda.is_available() is False); nothing was run.", file=sys.stderr)
        return 2
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MPLBACKEND="agg")
    if args.data_dir:
        env["LSTM_DATA_DIR"] = args.data_dir
    lines = [f"gpu_check on {torch.cuda.get_device_name(0)}, torch {torch.__version__}, "
             f"cuDNN {torch.backends.cudnn.version()}"]
    start, failed = time.perf_counter(), False
    for name, cmd, timeout in steps(results, args.data_dir):
        left = BUDGET_S - (time.perf_counter() - start)
        if left < 10:
            lines.append(f"{name}: not run (the {BUDGET_S // 60} min budget is used up)")
            failed = True
            continue
        t0 = time.perf_counter()
        try:
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
