"""The lstm_today command at tiny sizes, and the committed results that notebook 11 quotes."""

import json
from pathlib import Path

import numpy as np
import pytest

from lstm_helpers.tools import lstm_today as lt

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "results" / "lstm_today_bench.json"
STATE = ROOT / "results" / "state_tracking.json"


def test_bench_tiny_writes_a_complete_file(tmp_path):
    out = tmp_path / "bench.json"
    res = lt.run_bench(lt.BenchConfig(lengths=(8, 16), batch_size=2, input_size=3, hidden_size=4, repeats=2),
                       command="test", out_path=out)
    on_disk = json.loads(out.read_text())
    assert on_disk["complete"] and res["complete"]
    assert [r["T"] for r in on_disk["rows"]] == [8, 16]
    for row in on_disk["rows"]:
        for m in lt.METHODS:
            assert 0 < row[m] <= row[m + "_median"] and row[m + "_wall"] > 0
    assert {"command", "versions", "date", "platform", "note"} <= set(on_disk)
    assert "shared" in on_disk["note"]
    assert len(lt.bench_table(on_disk).splitlines()) == 3


def test_state_tracking_tiny_writes_runs_and_summary(tmp_path):
    out = tmp_path / "state.json"
    cfg = lt.StateConfig(steps=3, seeds=(0, 1), lrs=(1e-2, 3e-2), test_lengths=(4, 8), n_test=20)
    res = lt.run_state_tracking(cfg, command="test", out_path=out)
    on_disk = json.loads(out.read_text())
    assert on_disk["complete"] and len(on_disk["runs"]) == 2 * 2 * 3
    for kind, s in res["summary"].items():
        assert s["lr"] in (1e-2, 3e-2) and s["n_seeds"] == 2
        assert set(s["test"]) == {"4", "8"}
    assert all(len(r["by_position"]) == 64 for r in on_disk["runs"])


def test_growth_exponent():
    T = np.array([64, 128, 256, 512])
    assert abs(lt.growth_exponent(T, 3e-5 * T) - 1.0) < 1e-9
    assert abs(lt.growth_exponent(T, 1e-7 * T ** 2) - 2.0) < 1e-9
    with pytest.raises(ValueError, match="lengths"):
        lt.growth_exponent([64], [1.0])


def test_load_results_missing_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        lt.load_results(tmp_path / "nope.json")
