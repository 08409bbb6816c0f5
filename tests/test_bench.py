"""Tests for lstm_helpers.tools.bench: the --quick CPU table comes out with its rows and columns.

No timing assertions: speed is what the benchmark reports, not what a test can promise.
"""

import os
import subprocess
import sys

from lstm_helpers.tools import bench


def test_format_table_aligns_columns():
    rows = [dict(section="(a)", case="numpy forward", ms=1234.5, ratio="2.00x"), dict(section="(b)", case="x")]
    lines = bench.format_table(rows).splitlines()
    assert lines[0].split() == list(bench.COLUMNS)
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].index("1,234") == lines[0].index("ms")  # values start under their header
    assert len(lines) == 4


def test_quick_cpu_benchmark_table(tmp_path):
    out = tmp_path / "bench.txt"
    # One thread each for torch and numpy: steady on a shared two-core test machine.
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "lstm_helpers.tools.bench", "--quick", "--device", "cpu",
                           "--repeats", "1", "--out", str(out)], capture_output=True, text=True, timeout=120,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    head = next(line for line in lines if line.startswith("section"))
    assert head.split() == list(bench.COLUMNS)
    for n, t, d in ((4, 8, 16), (8, 16, 32)):
        shape = f"N={n} T={t} D={d} H={d}"
        for case in ("numpy forward ", "torch forward ", "numpy forward+backward", "torch forward+backward"):
            row = [line for line in lines if case in line and shape in line]
            assert len(row) == 1, (case, shape, proc.stdout)
            assert "x torch" in row[0] or "1.00x" in row[0]
    assert sum("numpy <= 1.5x torch:" in line for line in lines) == 2
    for section in ("(b) gpu train step", "(c) gpu loop", "(d) gpu preset"):
        assert any(line.startswith(section) and "skipped" in line for line in lines), section
    written = out.read_text()
    assert head in written and written.strip() in proc.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["bench.txt"]
