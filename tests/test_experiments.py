"""The long-range experiments: a tiny run of the command, and the committed results against every sentence
that notebooks 01, 05 and 08 state about them."""

import json
from pathlib import Path

import pytest

from lstm_helpers import seqtrain as st
from lstm_helpers.tools import experiments as ex

ROOT = Path(__file__).resolve().parents[1]
FILES = {name: path for name, (path, _) in ex.EXPERIMENTS.items()}


def test_tiny_run_writes_a_complete_file(tmp_path):
    cfg = ex.Config(lengths=(6,), settings=("rnn", "lstm_fb1"), seeds=(0, 1), lrs=(1e-3, 1e-2), lstm_hidden=3,
                    steps=3, batch_size=4, eval_every=2, n_val=8, n_test=8)
    out = tmp_path / "r.json"
    res = ex.run("sweep", cfg, out_path=out, command="test")
    saved = json.loads(out.read_text())
    assert saved["complete"] and saved["command"] == "test" and saved["selection"]["split"] == "validation"
    assert len(saved["runs"]) == 2 * 2 * 2
    for setting in ("rnn", "lstm_fb1"):
        chosen = ex.chosen_runs(res, setting, 6)
        assert len(chosen) == 2 and len({r["lr"] for r in chosen}) == 1
        assert chosen[0]["lr"] == st.select_lr([r for r in res["runs"] if r["setting"] == setting])
    rows = ex.summary(res)
    assert {r["setting"] for r in rows} == {"rnn", "lstm_fb1"} and all(r["n_seeds"] == 2 for r in rows)
    assert "setting" in ex.format_summary(res)


def test_run_rejects_unknown_settings():
    with pytest.raises(ValueError, match="settings: expected names from"):
        ex.run("sweep", ex.Config(settings=("transformer",)))


def test_cli_writes_where_asked(tmp_path):
    out = tmp_path / "cli.json"
    assert ex.main(["ablations", "--steps", "2", "--seeds", "0", "--lengths", "6", "--out", str(out), "--quiet"]) == 0
    res = ex.load_results(out)
    assert res["complete"] and res["command"].endswith(f"--out {out} --quiet")
    with pytest.raises(FileNotFoundError, match="no results file"):
        ex.load_results(tmp_path / "missing.json")


# ----------------------------------------------------------------------------------------------
# The committed results files


@pytest.fixture(scope="module", params=sorted(FILES))
def committed(request):
    return ex.load_results(FILES[request.param])


def test_committed_files_are_complete_and_reproducible(committed):
    assert committed["complete"]
    assert committed["command"].startswith("python -m lstm_helpers.tools.experiments ")
    assert {"python", "numpy", "torch"} <= set(committed["versions"]) and committed["date"]
    name = committed["experiment"]
    default = ex.asdict(ex.EXPERIMENTS[name][1])
    assert committed["settings"] == json.loads(json.dumps(default)), "file and command defaults disagree"


def test_at_least_five_seeds_everywhere(committed):
    s = committed["settings"]
    assert len(s["seeds"]) >= 5
    for setting in s["settings"]:
        for length in s["lengths"]:
            assert len(ex.chosen_runs(committed, setting, length)) == len(s["seeds"]), (setting, length)


def test_selection_never_reads_the_test_set(committed):
    assert committed["selection"]["split"] == "validation"
    assert committed["selection"]["val_seed"] != committed["selection"]["test_seed"]
    s = committed["settings"]
    for setting in s["settings"]:
        for length in s["lengths"]:
            runs = [r for r in committed["runs"] if r["setting"] == setting and r["length"] == length]
            assert committed["chosen_lr"][f"{setting}@{length}"] == st.select_lr(runs)
            # the chosen rate is what validation picks, whatever the test numbers say
            shuffled = [{**r, "test_loss": -r["test_loss"]} for r in runs]
            assert st.select_lr(shuffled) == st.select_lr(runs)


def test_main_comparison_is_fair():
    res = ex.load_results(FILES["sweep"])
    s = res["settings"]
    assert {"rnn", "rnn_orth", "irnn", "lstm_fb0", "lstm_fb1", "gru"} <= set(s["settings"])
    assert len(s["lrs"]) >= 2 and s["max_norm"] > 0  # every setting gets the same grid and clipping
    counts = {r["setting"]: r["n_params"] for r in res["runs"]}
    assert max(counts.values()) / min(counts.values()) < 1.06  # equal parameter counts, within 6 %
