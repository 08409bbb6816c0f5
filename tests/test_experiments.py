"""The long-range experiments: a tiny run of the command, and the committed results against every sentence
that notebooks 01, 05 and 08 state about them."""

import json
from pathlib import Path

import numpy as np
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


def solved(results, setting, length, lr=None):
    return res.solved_count(results, setting, length, lr)


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
    med = {s: float(np.median([r["val_loss"] for r in res.chosen_runs(sweep, s, 100)]))
           for s in ("rnn", "rnn_orth")}
    assert min(med, key=med.get) == "rnn" and res.chosen_runs(sweep, "rnn", 100)[0]["lr"] == 0.001
    assert res.chosen_runs(sweep, "lstm_fb1", 100)[0]["lr"] == 0.03
    # "the slowest solver's median" at T = 100 is 800, so 06's live budget of 3,000 is more than twice it
    assert 2 * res.budget_check(sweep)[100]["median"] <= 3000


def test_recall_sentences(recall):
    """01 section 6, 05 section 7 and 08 section 6 on notebook 01's task."""
    assert (solved(recall, "rnn_orth", 20), solved(recall, "rnn_orth", 60)) == (3, 4)
    assert sum(r["solved"] for r in res.runs_of(recall, "rnn_orth", 20)) == 18  # "18 of its 20 runs"
    fb0 = [r for r in recall["runs"] if r["setting"] == "lstm_fb0"]
    assert len(fb0) == 40 and not any(r["solved"] for r in fb0)  # "none of its 40 runs"
    assert (solved(recall, "lstm_fb1", 20), solved(recall, "lstm_fb1", 60)) == (5, 0)
    assert not any(r["solved"] for r in res.runs_of(recall, "lstm_fb1", 60))  # "and lag 60 not at all"
    # "mostly at the two lower rates (5 of 5 each, 1 of 5 at 0.01, none at 0.03)"
    assert [solved(recall, "lstm_fb1", 20, lr) for lr in (1e-3, 3e-3, 1e-2, 3e-2)] == [5, 5, 1, 0]
    rows = {(r["setting"], r["length"]): r for r in res.summary(recall)}
    assert rows["lstm_fb1", 20]["median_first_solved"] == 2800  # "after a median of 2,800 updates"
    assert res.budget_check(recall)[20] == {"budget": 10000, "slowest": "lstm_fb1", "median": 2800.0, "ok": True}
    assert (solved(recall, "lstm_fb3", 20), solved(recall, "lstm_fb3", 60)) == (5, 5)
    assert sum(r["solved"] for r in res.runs_of(recall, "lstm_fb3", 20)) == 20  # "all 20 runs of the grid at lag 20"
    # 05: "the fifth needed 1,100 in notebook 08's longer run" (forget bias 3, lag 20, the rate 05 uses)
    assert rows["lstm_fb3", 20]["lr"] == 0.03 and rows["lstm_fb3", 20]["max_first_solved"] == 1100
    assert (solved(recall, "irnn", 60), solved(recall, "gru", 20), solved(recall, "gru", 60)) == (5, 5, 3)
    assert all(1450 <= r["n_params"] <= 1550 for r in recall["runs"])  # "about 1,500 weights"


def test_random_lag_control_sentences(recall):
    var = ex.load_results(FILES["recall_var"])
    any_lr = {(s, L, name): sum(r["solved"] for r in res.runs_of(d, s, L))
              for name, d in (("fixed", recall), ("random", var)) for s in ("rnn_orth", "irnn", "lstm_fb3")
              for L in (20, 60)}
    # "10 of its 20 runs at lag 20 (18 at a fixed lag) and 2 of 20 at lag 60 (13 at a fixed lag)"
    assert (any_lr["rnn_orth", 20, "random"], any_lr["rnn_orth", 20, "fixed"]) == (10, 18)
    assert (any_lr["rnn_orth", 60, "random"], any_lr["rnn_orth", 60, "fixed"]) == (2, 13)
    # "The IRNN (9 and 11 of 20 at lag 60) and the LSTM with bias 3 (10 and 13 of 20)"
    assert (any_lr["irnn", 60, "fixed"], any_lr["irnn", 60, "random"]) == (9, 11)
    assert (any_lr["lstm_fb3", 60, "fixed"], any_lr["lstm_fb3", 60, "random"]) == (10, 13)
    # "12 runs solved only the fixed lag of 60 and 1 only the random one: p = 0.0034"
    fixed = {(r["seed"], r["lr"]): r["solved"] for r in res.runs_of(recall, "rnn_orth", 60)}
    rand = {(r["seed"], r["lr"]): r["solved"] for r in res.runs_of(var, "rnn_orth", 60)}
    only_fixed, only_rand = sum(fixed[k] and not rand[k] for k in fixed), sum(rand[k] and not fixed[k] for k in fixed)
    assert (only_fixed, only_rand) == (12, 1) and f"{res.sign_test(12, 1, 'two-sided'):.4f}" == "0.0034"
    # the lags of the control: "between 30 and 60 steps" (01), "[lag/2, lag]" (08)
    assert st.TASKS["recall_var"][0](200, 60, 0)[2].min() - 1 == 30


def test_readme_headline_matches_the_sweep(sweep):
    text = (ROOT / "README.md").read_text()
    assert "did not learn $T$ = 50, 100 or 200 in any of its\n120 runs" in text
    lengths = [50, 100, 200]
    assert done_lengths(sweep)[:3] == lengths
    tanh = [r for r in sweep["runs"] if r["setting"] in ("rnn", "rnn_orth") and r["length"] in lengths]
    assert len(tanh) == 120 and not any(r["solved"] for r in tanh)
    assert "budgets of 3,000 to 6,000 updates" in text
    assert [res.budget_check(sweep)[L]["budget"] for L in lengths] == [3000, 4000, 6000]
    assert all(res.budget_check(sweep)[L]["ok"] for L in lengths)
    assert all(solved(sweep, s, L) == 5 for s in ("lstm_fb0", "lstm_fb1") for L in lengths)  # "every seed"
    assert all(solved(sweep, "gru", L) == 5 for L in lengths)  # "A GRU did too"
    assert sum(solved(sweep, "irnn", L) for L in lengths) == 14  # "an IRNN ... solved 14 of its 15 seeds"


def test_ablation_sentences():
    abl = ex.load_results(FILES["ablations"])
    rows = {r["setting"]: r for r in res.summary(abl)}
    counts = {s: r["n_solved"] for s, r in rows.items()}
    assert counts == {"lstm_fb0": 5, "lstm_fb1": 5, "lstm_no_forget_gate": 4, "lstm_no_output_tanh": 5,
                      "lstm_coupled_gates": 5, "lstm_no_output_gate": 5}
    assert all(r["ci_high"] >= rows["lstm_fb0"]["ci_low"] for r in rows.values())  # "every interval overlaps"
    assert res.budget_check(abl)[50] == {"budget": 3000, "slowest": "lstm_fb0", "median": 800.0, "ok": True}
    first = {s: [r["first_solved_step"] for r in res.chosen_runs(abl, s, 50)] for s in rows}
    assert (min(first["lstm_coupled_gates"]), max(first["lstm_coupled_gates"])) == (150, 200)
    assert (min(first["lstm_fb0"]), max(first["lstm_fb0"])) == (500, 900)
    assert all(a < b for a, b in zip(first["lstm_coupled_gates"], first["lstm_fb0"]))  # faster with every seed
    assert all(a < b for a, b in zip(first["lstm_no_output_tanh"], first["lstm_fb0"]))
    p = res.signed_rank_test(first["lstm_coupled_gates"], first["lstm_fb0"], "two-sided")
    assert f"{p:.3f}" == "0.062" and f"{min(1.0, 5 * p):.2f}" == "0.31"  # Holm's first step: 5 x p
    any_lr = {s: sum(r["solved"] for r in res.runs_of(abl, s, 50)) for s in rows}
    assert any_lr["lstm_no_forget_gate"] == 14 == min(any_lr.values()) and any_lr["lstm_fb0"] == 17
    assert len(abl["runs"]) == 120  # "We ran 120"
    assert round(1 / 252, 3) == 0.004  # the unpaired count the section warns about: C(10, 5) = 252


@pytest.mark.parametrize("name,n_params,wrong", [("card16", 1233, (2145, 2184)), ("card", 117, (2145, 2184))])
def test_card_sentences(name, n_params, wrong):
    """08 section 5: online, 100,000 sequences, no run met the 1997 rule, every run on the mean predictor's plateau."""
    card = ex.load_results(FILES[name])
    s = card["settings"]
    assert s["batch_size"] == 1 and s["steps"] == 100_000 and len(s["seeds"]) >= 5  # "one sequence per update"
    runs = res.runs_of(card, "lstm_fb1", 100)
    assert len(runs) == 10 and runs[0]["n_params"] == n_params  # "any of the 10 runs"
    assert not any(r["solved"] for r in runs) and all(r["steps"] == 100_000 for r in runs)
    counts = sorted(round((1 - r["test_acc"]) * 2560) for r in runs)
    assert (counts[0], counts[-1]) == wrong
    for r in runs:  # "sat on the mean predictor's plateau (validation MSE about 0.039) from its first evaluation to its last"
        assert all(0.0385 <= round(v, 4) <= 0.044 for v in r["history"]["eval_loss"])
    from lstm_helpers.data import adding_problem_1997

    _, y, _ = adding_problem_1997(2560, 100, seed=st.TEST_SEED)
    assert int(np.sum(np.abs(y - 0.5) >= 0.04)) == 2161  # "against 2,161 for always answering 0.5"


def test_one_irnn_seed_diverged_at_200(sweep):
    # 08 section 4: "One IRNN seed at T = 200 diverged instead: its loss leaves the top of the plot"
    runs = res.chosen_runs(sweep, "irnn", 200)
    assert [r["seed"] for r in runs if r["val_loss"] > 1] == [0] and runs[0]["val_loss"] > 1e30
