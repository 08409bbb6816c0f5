"""The long-range experiments at tiny sizes, the results files they write, and the committed results."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_helpers.tools import experiments as ex
from lstm_helpers.data import adding_problem
from lstm_helpers.gradient_flow import torch_input_gradient_norms

ROOT = Path(__file__).resolve().parents[1]


def tiny_adding(**changes):
    cfg = dict(lengths=(4, 6), seeds=(0,), steps=6, n_test=64, eval_every=3, log_every=2, grad_length=6, n_grad=5,
               stop_below=0.0, rnn_check_lrs=(1e-3,), rnn_check_lengths=(4,))
    cfg.update(changes)
    return ex.AddingConfig(**cfg)


def test_matched_sizes_have_similar_parameter_counts():
    budget = ex.count_parameters(ex.AddingModel("lstm", 32))
    for kind in ("rnn", "gru"):
        H = ex.matched_hidden_size(kind, budget)
        n = ex.count_parameters(ex.AddingModel(kind, H))
        assert abs(n - budget) / budget < 0.03, (kind, H, n, budget)
        # one unit more or less is further from the budget
        for other in (H - 1, H + 1):
            assert abs(ex.count_parameters(ex.AddingModel(kind, other)) - budget) >= abs(n - budget)


@pytest.mark.parametrize("kind,variant", [("rnn", "vanilla"), ("lstm", "vanilla"), ("gru", "vanilla"),
                                          ("scratch", "vanilla"), ("scratch", "no_forget_gate"),
                                          ("scratch", "no_output_tanh"), ("scratch", "coupled_gates"),
                                          ("scratch", "no_output_gate")])
def test_adding_model_output_shape(kind, variant):
    model = ex.AddingModel(kind, 3, variant=variant)
    x, _ = adding_problem(5, 7, seed=0)
    assert model(torch.from_numpy(x)).shape == (5,)


def test_adding_model_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind: expected one of"):
        ex.AddingModel("transformer", 3)
    with pytest.raises(ValueError, match="variant: only kind='scratch'"):
        ex.AddingModel("lstm", 3, variant="coupled_gates")
    with pytest.raises(ValueError, match="forget_bias"):
        ex.AddingModel("gru", 3, forget_bias=1.0)


def test_forget_bias_reaches_both_lstm_kinds():
    for kind in ("lstm", "scratch"):
        torch.manual_seed(0)
        plain = ex.AddingModel(kind, 4).rnn.bias_ih_l0.detach().clone()
        torch.manual_seed(0)
        biased = ex.AddingModel(kind, 4, forget_bias=1.0).rnn.bias_ih_l0.detach()
        assert torch.allclose(biased[4:8] - plain[4:8], torch.ones(4))
        assert torch.equal(biased[:4], plain[:4]) and torch.equal(biased[8:], plain[8:])


def test_train_adding_is_seeded_and_records_its_curves():
    a = ex.train_adding("lstm", 5, hidden_size=4, steps=7, n_test=200, eval_every=3, log_every=2, seed=3)
    b = ex.train_adding("lstm", 5, hidden_size=4, steps=7, n_test=200, eval_every=3, log_every=2, seed=3)
    assert a["final_test_mse"] == b["final_test_mse"]
    c = a["curve"]
    assert c["step"] == [2, 4, 6, 7] and len(c["train_loss"]) == 4
    assert c["eval_step"] == [0, 3, 6, 7] and len(c["test_mse"]) == 4
    assert a["final_test_mse"] == c["test_mse"][-1]
    assert a["steps"] == a["max_steps"] == 7 and a["n_params"] == 4 * 4 * (2 + 4 + 2) + 5
    assert abs(a["baseline_mse"] - 1 / 6) < 0.04  # 200 test sequences: the mean predictor's MSE


def test_train_adding_stops_early_when_told():
    run = ex.train_adding("rnn", 5, hidden_size=4, steps=50, n_test=50, eval_every=20, log_every=5, stop_below=1e9)
    assert run["steps"] == 5 and run["max_steps"] == 50
    assert run["curve"]["eval_step"] == [0, 5]


def test_first_below():
    assert ex.first_below([0, 100, 200], [0.2, 0.05, 0.01]) == 200
    assert ex.first_below([0, 100], [0.2, 0.1]) is None


def test_input_gradient_norms_match_the_full_jacobian():
    torch.manual_seed(0)
    x = torch.randn(3, 6, 2, dtype=torch.float64)
    for layer in (torch.nn.RNN(2, 4, batch_first=True), torch.nn.LSTM(2, 4, batch_first=True),
                  torch.nn.GRU(2, 4, batch_first=True)):
        layer = layer.double()
        norms = torch_input_gradient_norms(layer, x)
        want = []
        for n in range(3):
            J = torch.autograd.functional.jacobian(lambda s: layer(s[None])[0][0, -1], x[n])  # (H, T, D)
            want.append(J.pow(2).sum(dim=(0, 2)).sqrt())
        assert norms.shape == (6,)
        np.testing.assert_allclose(norms, torch.stack(want).mean(0).numpy(), rtol=1e-10)


def test_input_gradient_norms_validate_inputs():
    with pytest.raises(ValueError, match="batch_first"):
        torch_input_gradient_norms(torch.nn.RNN(2, 3), np.zeros((1, 4, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r"x: expected .*\(N, T, D\)"):
        torch_input_gradient_norms(torch.nn.RNN(2, 3, batch_first=True), np.zeros((4, 2), dtype=np.float32))


class _ExactAdder(torch.nn.Module):
    """Adds the marked values: the solution, written by hand."""

    def forward(self, x):
        return (x[:, :, 0] * x[:, :, 1]).sum(dim=1)


def test_marked_value_sensitivity_of_an_exact_solution():
    x, _ = adding_problem(20, 9, seed=1)
    first, second = ex.marked_value_sensitivity(_ExactAdder(), x)
    assert first == pytest.approx(1.0) and second == pytest.approx(1.0)


def test_run_adding_records_settings_seeds_and_versions(tmp_path):
    path = tmp_path / "adding.json"
    res = ex.run_adding(tiny_adding(), out_path=path)
    assert res["complete"] and res["experiment"] == "adding_problem"
    assert res["settings"]["seeds"] == (0,) and res["settings"]["steps"] == 6
    assert set(res["versions"]) == {"python", "numpy", "torch"} and res["date"]
    assert len(res["runs"]) == 2 * 3
    assert set(res["gradient_norms"]) == {"rnn", "lstm", "gru"}
    for g in res["gradient_norms"].values():
        assert len(g["init"]) == len(g["trained"]) == 6
    on_disk = ex.load_results(path)  # the last checkpoint is the complete file
    assert on_disk["complete"] and len(on_disk["runs"]) == 6
    assert [p.name for p in tmp_path.iterdir()] == ["adding.json"]  # no temporary files left behind
    (check,) = res["rnn_lr_check"]
    assert check["kind"] == "rnn" and check["lr"] == 1e-3 and check["length"] == 4


def test_results_are_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    ex.save_results({"old": 1}, path)

    def broken_dump(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ex.json, "dump", broken_dump)
    with pytest.raises(RuntimeError):
        ex.save_results({"new": 2}, path)
    assert json.loads(path.read_text()) == {"old": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_run_ablations_tiny():
    cfg = ex.AblationConfig(length=4, variants=("vanilla", "coupled_gates", "gru"), seeds=(0, 1), hidden_size=3,
                            steps=3, n_test=32, eval_every=2, log_every=1)
    res = ex.run_ablations(cfg)
    rows = ex.summarise(res)
    assert [r["ablation"] for r in rows] == ["vanilla", "coupled_gates", "gru"]
    assert all(r["n_seeds"] == 2 for r in rows)
    assert {r["variant"] for r in res["runs"] if r["ablation"] == "coupled_gates"} == {"coupled_gates"}
    assert rows[2]["n_params"] != rows[0]["n_params"] or rows[2]["hidden_size"] != 3


def test_command_line_writes_the_file(tmp_path, capsys):
    out = tmp_path / "a.json"
    assert ex.main(["adding", "--out", str(out), "--steps", "2", "--lengths", "3", "--seeds", "0", "--quiet"]) == 0
    res = json.loads(out.read_text())
    assert res["complete"] and res["command"].endswith(f"adding --out {out} --steps 2 --lengths 3 --seeds 0 --quiet")
    assert res["settings"]["lengths"] == [3] and len(res["runs"]) == 3
    assert "wrote" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------
# The committed results files: structure, and numbers that agree with each other


@pytest.fixture(scope="module", params=["results/adding_problem.json", "results/ablations.json"])
def committed(request):
    path = ROOT / request.param
    assert path.is_file(), f"{request.param} is missing: python -m lstm_helpers.tools.experiments all"
    return json.loads(path.read_text())


def _check_run(run, settings, solved_mse):
    assert run["seed"] in settings["seeds"]
    assert abs(run["baseline_mse"] - 1 / 6) < 0.02  # the mean predictor on 1000 test sequences
    c = run["curve"]
    assert run["final_test_mse"] == c["test_mse"][-1] and c["eval_step"][-1] == run["steps"]
    assert run["steps"] <= settings["steps"] and c["step"][-1] == run["steps"]
    assert run["solved"] == (run["final_test_mse"] < solved_mse)
    assert run["first_solved_step"] == ex.first_below(c["eval_step"], c["test_mse"], solved_mse)
    if run["steps"] < settings["steps"]:  # stopped early: only because the task was long solved
        assert c["train_loss"][-1] < settings["stop_below"] and run["solved"]


def test_committed_results_structure_and_consistency(committed):
    assert committed["complete"] is True
    assert committed["command"].startswith(("python -m lstm_helpers.tools.experiments ", "python -m lstm_helpers.experiments "))
    assert set(committed["versions"]) == {"python", "numpy", "torch"}
    settings = committed["settings"]
    n_seeds = len(settings["seeds"])
    assert len(committed["runs"]) == n_seeds * (len(settings["lengths"]) * len(settings["kinds"])
                                                if committed["experiment"] == "adding_problem"
                                                else len(settings["variants"]))
    for run in committed["runs"]:
        _check_run(run, settings, committed["solved_mse"])


def test_committed_adding_results_compare_models_of_similar_size():
    res = ex.load_results("results/adding_problem.json")
    counts = {r["kind"]: r["n_params"] for r in res["runs"]}
    assert max(counts.values()) / min(counts.values()) < 1.05
    for kind, g in res["gradient_norms"].items():
        assert len(g["trained"]) == len(g["init"]) == res["settings"]["grad_length"]
    s = res["settings"]
    assert len(res["rnn_lr_check"]) == len(s["seeds"]) * len(s["rnn_check_lengths"]) * len(s["rnn_check_lrs"])
    for run in res["rnn_lr_check"]:
        assert run["kind"] == "rnn" and run["lr"] in s["rnn_check_lrs"]
        _check_run(run, s, res["solved_mse"])


def test_committed_results_support_the_notebook_text():
    """Notebook 08 describes these outcomes in words; regenerated results that differ must update its text."""
    res = ex.load_results("results/adding_problem.json")
    rows = {(r["kind"], r["length"]): r for r in ex.summarise(res)}
    lengths = res["settings"]["lengths"]
    assert all(rows["rnn", T]["n_solved"] == 0 for T in lengths if T >= 20)
    assert all(rows["lstm", T]["n_solved"] == 2 for T in lengths if T <= 100)
    assert all(rows["gru", T]["n_solved"] == 2 for T in lengths)
    best = {}  # the RNN's best final MSE over the three learning rates, per (length, seed)
    for r in [r for r in res["runs"] if r["kind"] == "rnn"] + res["rnn_lr_check"]:
        key = (r["length"], r["seed"])
        best[key] = min(best.get(key, 1.0), r["final_test_mse"])
    assert all(v < 0.04 for (T, _), v in best.items() if T <= 25 and T in res["settings"]["rnn_check_lengths"])
    assert all(v > 0.15 for (T, _), v in best.items() if T >= 50)
    abl = ex.load_results("results/ablations.json")
    assert all(r["n_solved"] == r["n_seeds"] for r in ex.summarise(abl))
