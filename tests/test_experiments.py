"""The long-range experiments: a tiny run of the command, and the committed results against every sentence
that notebooks 01, 05 and 08 state about them."""

import json
from pathlib import Path

import pytest

from lstm_helpers import results as res
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


def test_resume_keeps_what_is_done_and_refuses_another_plan(tmp_path):
    cfg = ex.Config(lengths=(6, 8), settings=("rnn",), seeds=(0, 1), lrs=(1e-3, 1e-2), lstm_hidden=3, steps=3,
                    batch_size=4, eval_every=2, n_val=8, n_test=8, retire=True)
    out = tmp_path / "r.json"
    first = ex.run("sweep", cfg, out_path=out)
    again = ex.run("sweep", cfg, out_path=out, resume=True)  # everything done: nothing retrained
    assert json.dumps(again["runs"]) == json.dumps(first["runs"]) and again["cpu_s"] == first["cpu_s"]
    other = ex.Config(**{**ex.asdict(cfg), "steps": 4})
    fresh = ex.run("sweep", other, out_path=out, resume=True)  # another budget: the old runs are not reused
    assert all(r["max_steps"] == 4 for r in fresh["runs"])


# ----------------------------------------------------------------------------------------------
# The committed results files: how they were made (the standards every comparison must meet)

COMPARISONS = ("sweep", "recall", "recall_var", "ablations")


@pytest.fixture(scope="module", params=sorted(FILES))
def committed(request):
    return ex.load_results(FILES[request.param])


def done_lengths(results):
    """The lengths every setting finished (an unfinished sweep is continued with --resume)."""
    s = results["settings"]
    return [L for L in s["lengths"] if all(res.chosen_runs(results, name, L) for name in s["settings"])]


def test_committed_files_are_reproducible(committed):
    assert committed["complete"] or committed["experiment"] == "sweep"
    assert committed["command"].startswith("python -m lstm_helpers.tools.experiments ")
    assert {"python", "numpy", "torch"} <= set(committed["versions"]) and committed["date"]
    name = committed["experiment"]
    default = ex.asdict(ex.EXPERIMENTS[name][1])
    assert committed["settings"] == json.loads(json.dumps(default)), "file and command defaults disagree"
    assert set(committed["cpu_s"]) >= {f"{s}@{L}" for s in committed["settings"]["settings"]
                                       for L in done_lengths(committed)}


def test_at_least_five_seeds_everywhere(committed):
    s = committed["settings"]
    assert len(s["seeds"]) >= 5
    for setting in s["settings"]:
        for length in done_lengths(committed):
            assert len(res.chosen_runs(committed, setting, length)) == len(s["seeds"]), (setting, length)


def test_selection_never_reads_the_test_set(committed):
    assert committed["selection"]["split"] == "validation"
    assert committed["selection"]["val_seed"] != committed["selection"]["test_seed"]
    for setting in committed["settings"]["settings"]:
        for length in done_lengths(committed):
            runs = [r for r in committed["runs"] if r["setting"] == setting and r["length"] == length]
            assert committed["chosen_lr"][f"{setting}@{length}"] == st.select_lr(runs)
            shuffled = [{**r, "test_loss": -r["test_loss"]} for r in runs]  # the test numbers change nothing
            assert st.select_lr(shuffled) == st.select_lr(runs)


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_share_one_grid_and_run_to_convergence(name):
    """Every model gets the same grid of at least four learning rates across an order of magnitude, and each
    length's budget is at least twice the median updates of the slowest setting that solved it."""
    results = ex.load_results(FILES[name])
    lrs = results["settings"]["lrs"]
    assert len(lrs) >= 4 and max(lrs) / min(lrs) >= 10
    for setting in results["settings"]["settings"]:
        for length in done_lengths(results):
            assert sorted({r["lr"] for r in res.runs_of(results, setting, length)}) == sorted(lrs)
    for length, check in res.budget_check(results).items():
        assert check["ok"], (name, length, check)
    counts = {r["n_params"] for r in results["runs"]}
    assert max(counts) / min(counts) < 1.06  # equal parameter counts, within 6 %


# ----------------------------------------------------------------------------------------------
# Every sentence the notebooks state about the results (01 section 6, 05 section 7, 06 section 7, 08)


def solved(results, setting, length):
    return res.solved_count(results, setting, length)


@pytest.fixture(scope="module")
def sweep():
    return ex.load_results(FILES["sweep"])


@pytest.fixture(scope="module")
def recall():
    return ex.load_results(FILES["recall"])


def test_08_sweep_sentences(sweep):
    lengths = done_lengths(sweep)
    assert lengths[:3] == [50, 100, 200]
    # "not one of its 120 runs (2 initialisations x 4 learning rates x 5 seeds x 3 lengths)"
    tanh = [r for r in sweep["runs"] if r["setting"] in ("rnn", "rnn_orth") and r["length"] in lengths]
    assert len(tanh) == 40 * len(lengths) and not any(r["solved"] for r in tanh)
    # "at T = 100 and 200 every chosen run ended at the mean predictor's level (test MSE 0.164 to 0.173)"
    losses = [r["test_loss"] for s in ("rnn", "rnn_orth") for L in (100, 200) for r in res.chosen_runs(sweep, s, L)]
    assert round(min(losses), 3) == 0.164 and round(max(losses), 3) == 0.173
    # "at T = 50 one seed of the PyTorch-initialised RNN had started down (0.067)"
    below = [r["test_loss"] for r in res.chosen_runs(sweep, "rnn", 50) if r["test_loss"] < 0.12]
    assert [round(v, 3) for v in below] == [0.067]
    assert all(r["test_loss"] > 0.12 for r in res.chosen_runs(sweep, "rnn_orth", 50))
    # "The LSTM learned every length with every seed ... the learning rate 0.03 chosen on validation each time"
    for s in ("lstm_fb0", "lstm_fb1"):
        for L in lengths:
            assert solved(sweep, s, L) == 5 and res.chosen_runs(sweep, s, L)[0]["lr"] == 0.03
    rows = {(r["setting"], r["length"]): r for r in res.summary(sweep)}
    # "with forget bias 1 a median of 700 at T = 50, 600 at T = 100 and 1,200 at T = 200"
    assert [rows["lstm_fb1", L]["median_first_solved"] for L in (50, 100, 200)] == [700, 600, 1200]
    # paired: "the LSTM alone solved 15 and the tanh RNN alone none ... p = 3.1e-5, 1.2e-4 after Holm"
    pairs = [res.paired_outcomes(sweep, a, b, [50, 100, 200]) for a in ("lstm_fb0", "lstm_fb1") for b in ("rnn", "rnn_orth")]
    assert all(p == (15, 0, 0) for p in pairs)
    p = res.sign_test(15, 0)
    assert f"{p:.1e}" == "3.1e-05" and f"{res.holm([p] * 4)[0]:.1e}" == "1.2e-04"
    # "The GRU solved every seed at every length ... a median of 200 updates at each length"
    assert all(solved(sweep, "gru", L) == 5 and rows["gru", L]["median_first_solved"] == 200 for L in (50, 100, 200))
    # "The IRNN ... solved T = 50 and 100 with every seed and T = 200 with 4 of 5"
    assert [solved(sweep, "irnn", L) for L in (50, 100, 200)] == [5, 5, 4]
    # "at T = 200, 6,000 updates against the LSTM's 1,700"
    check = res.budget_check(sweep)
    assert check[200] == {"budget": 6000, "slowest": "lstm_fb0", "median": 1700.0, "ok": True}
    # 08 section 2: the hidden sizes and "about 1,230 weights" (06)
    assert sweep["hidden_sizes"] == {"rnn": 33, "rnn_orth": 33, "irnn": 33, "lstm_fb0": 16, "lstm_fb1": 16, "gru": 19}


def test_06_reads_its_rates_from_the_sweep(sweep):
    # 06 trains the better-tuned tanh RNN (by validation loss) and lstm_fb1 with the rates chosen here
    med = {s: float(__import__("numpy").median([r["val_loss"] for r in res.chosen_runs(sweep, s, 100)]))
           for s in ("rnn", "rnn_orth")}
    assert min(med, key=med.get) == "rnn" and res.chosen_runs(sweep, "rnn", 100)[0]["lr"] == 0.001
    assert res.chosen_runs(sweep, "lstm_fb1", 100)[0]["lr"] == 0.03
    # "the slowest solver's median" at T = 100 is 800, so 06's live budget of 3,000 is more than twice it
    assert 2 * res.budget_check(sweep)[100]["median"] <= 3000
