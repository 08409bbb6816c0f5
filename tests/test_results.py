"""lstm_helpers.results: the readers and the exact tests the notebooks state their claims with."""

import itertools
import math

import numpy as np
import pytest

from lstm_helpers import results as res


def _run(setting, length, seed, lr, solved, first=None, chosen=True, budget=100):
    return {"setting": setting, "length": length, "seed": seed, "lr": lr, "chosen": chosen, "solved": solved,
            "first_solved_step": first, "hidden": 4, "n_params": 10, "test_loss": 0.1, "test_acc": 0.5,
            "max_steps": budget, "val_loss": 0.1}


def _results(runs, lengths=(5,), settings=("a", "b")):
    return {"settings": {"lengths": list(lengths), "settings": list(settings)}, "runs": runs}


def test_sign_test_is_the_exact_binomial_tail():
    assert res.sign_test(5, 0) == 1 / 32
    assert res.sign_test(0, 0) == 1.0
    assert res.sign_test(4, 1) == pytest.approx(6 / 32)
    assert res.sign_test(20, 0, "two-sided") == pytest.approx(2 / 2 ** 20)
    assert res.sign_test(3, 3, "two-sided") == 1.0


def test_signed_rank_test_counts_every_sign_pattern():
    x, y = [250, 300, 250, 250, 250], [850, 850, 800, 500, 650]
    assert res.signed_rank_test(x, y, "less") == 1 / 32  # every pair favours x: the most extreme of 32 patterns
    assert res.signed_rank_test(x, y, "two-sided") == 2 / 32
    assert res.signed_rank_test(y, x, "greater") == 1 / 32
    # brute force on a small case with a tie in |d| and a zero difference
    x2, y2 = [1, 5, 3, 7], [2, 3, 3, 9]  # d = -1, 2, 0 (dropped), -2
    ranks = [1, 2.5, 2.5]
    observed = 2.5
    stats = [sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product((0, 1), repeat=3)]
    assert res.signed_rank_test(x2, y2, "less") == pytest.approx(np.mean([t <= observed for t in stats]))


def test_holm_is_monotone_and_bounded():
    assert res.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert res.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


@pytest.mark.parametrize("call,match", [
    (lambda: res.sign_test(-1, 2), "wins: expected an int >= 0"),
    (lambda: res.sign_test(1, 2, "less"), "alternative: expected"),
    (lambda: res.signed_rank_test([1, 2], [1]), "x, y: expected two 1-d sequences"),
])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_paired_outcomes_pair_by_seed_and_length():
    runs = [_run("a", 5, s, 0.1, s < 3) for s in range(5)] + [_run("b", 5, s, 0.1, s == 0) for s in range(5)]
    runs += [_run("a", 5, s, 0.2, True, chosen=False) for s in range(5)]  # not chosen: ignored
    assert res.paired_outcomes(_results(runs), "a", "b") == (2, 0, 3)


def test_summary_budget_check_and_table():
    runs = [_run("a", 5, s, 0.1, True, first=10 * (s + 1)) for s in range(5)]
    runs += [_run("b", 5, s, 0.1, False) for s in range(5)]
    r = _results(runs)
    rows = {row["setting"]: row for row in res.summary(r)}
    assert rows["a"]["median_first_solved"] == 30 and (rows["a"]["min_first_solved"], rows["a"]["max_first_solved"]) == (10, 50)
    assert rows["b"]["median_first_solved"] is None and rows["b"]["n_solved"] == 0
    assert res.budget_check(r) == {5: {"budget": 100, "slowest": "a", "median": 30.0, "ok": True}}
    short = _results([{**x, "max_steps": 50} for x in runs])
    assert not res.budget_check(short)[5]["ok"]  # 50 < 2 x 30
    table = res.format_summary(r)
    assert "30 (10-50)" in table and " 5/5 " in table and " 0/5 " in table


def test_solved_count_with_and_without_lr():
    runs = [_run("a", 5, s, 0.1, s < 2) for s in range(5)] + [_run("a", 5, s, 0.3, True, chosen=False) for s in range(5)]
    r = _results(runs, settings=("a",))
    assert res.solved_count(r, "a", 5) == 2 and res.solved_count(r, "a", 5, lr=0.3) == 5
    assert [x["seed"] for x in res.runs_of(r, "a", 5, 0.3)] == list(range(5))


def test_missing_file_says_which_command_writes_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results file here; `make it` writes it"):
        res.load_results(tmp_path / "none.json", command="make it")


def test_wilson_matches_its_formula():
    lo, hi = res.wilson_interval(5, 5)
    assert lo == pytest.approx(0.5655, abs=1e-4) and hi == 1.0
    assert math.isclose(sum(res.wilson_interval(0, 5)), 0.4345, abs_tol=1e-4)
