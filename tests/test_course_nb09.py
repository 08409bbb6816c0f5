"""Notebook 09's exercises: the references agree with torch.softmax and with train.lr_at."""

import numpy as np

from lstm_helpers.course import nb09


def test_temperature_probs_is_what_generate_samples_from():
    import torch

    logits = np.random.default_rng(0).normal(size=(4, 9))
    for T in (0.5, 1.0, 1.7):
        want = torch.softmax(torch.from_numpy(logits) / T, dim=-1).numpy()
        assert np.allclose(nb09.temperature_probs(logits, T), want, atol=1e-12)


def test_lr_at_matches_train_schedule_and_a_none_is_named():
    from lstm_helpers import train

    for step in range(60):
        assert abs(nb09.lr_at(step, 3e-3, 7, 50, 0.1) - train.lr_at(step, 3e-3, 7, 50, 0.1)) < 1e-15
    r = nb09.check_lr_at(lambda *a: None)
    assert not r.passed and "return" in r.message


def test_a_global_max_softmax_is_named_and_nan_is_never_measured_as_a_difference():
    """Issue 21: a softmax shifted by the array's maximum got "differs by up to 1.71" (nan mapped to -1)."""
    def global_max(logits, temperature):
        z = logits / temperature
        e = np.exp(z - z.max())
        return e / e.sum(axis=-1, keepdims=True)

    with np.errstate(all="ignore"):
        r = nb09.check_temperature_probs(global_max)
        assert not r.passed and "whole array, not of each row" in r.message and "differs" not in r.message

        def overflows(logits, temperature):
            e = np.exp(logits / temperature)
            return e / e.sum(axis=-1, keepdims=True)

        r = nb09.check_temperature_probs(overflows)
        assert not r.passed and "overflows" in r.message
        r = nb09.check_temperature_probs(lambda z, T: np.where(z < -1.0, np.nan, nb09.temperature_probs(z, T)))
        assert not r.passed and "nan or inf in" in r.message and "differs" not in r.message


def test_forward_flops_count_the_gate_and_output_products():
    from lstm_helpers.train import get_preset

    t4 = get_preset("t4")
    assert nb09.forward_flops_per_token(t4, 65) == 8 * 512 * (64 + 512) + 2 * 512 * 65
    two = get_preset("tiny", num_layers=2, emb_size=None, hidden_size=10)  # one-hot inputs: D = V
    assert nb09.forward_flops_per_token(two, 7) == 8 * 10 * (7 + 10) + 8 * 10 * (10 + 10) + 2 * 10 * 7


def test_estimate_seconds_is_operations_over_the_assumed_speed():
    from lstm_helpers.train import get_preset

    cfg = get_preset("t4")
    gpu = nb09.GPUAssumption("test", fp32_tflops=10.0, efficiency=0.5, step_overhead_s=0.001)
    est = nb09.estimate_seconds(cfg, 65, 100, eval_tokens=1000, evals=3, gpu=gpu)
    f = nb09.forward_flops_per_token(cfg, 65)
    assert np.isclose(est["update_s"], 3 * f * cfg.batch_size * cfg.seq_len / 5e12 + 0.001)
    assert np.isclose(est["train_s"], 100 * est["update_s"]) and np.isclose(est["eval_s"], 3 * f * 1000 / 5e12)
    assert np.isclose(est["total_s"], est["train_s"] + est["eval_s"])


def _fake_history(losses):
    steps = [200 * (k + 1) for k in range(len(losses))]
    return {"eval_step": steps, "eval_loss": losses, "tokens_per_sec": [5000.0] * len(losses)}


def test_t4_estimate_takes_the_first_evaluation_below_the_target():
    from lstm_helpers.train import get_preset

    cfg = get_preset("t4")
    est = nb09.t4_preset_estimate(_fake_history([2.0, 1.7, 1.59, 1.55]), cfg, 65)
    assert (est["updates"], est["loss"]) == (600, 1.59)
    assert np.isclose(est["to_target"]["train_s"], 600 * est["to_target"]["update_s"])
    assert np.isclose(est["to_target"]["eval_s"], 3 * nb09.forward_flops_per_token(cfg, 65) * 111_540
                      / nb09.T4_ASSUMPTION.flops_per_s)
    assert est["whole_run"]["train_s"] > est["to_target"]["train_s"]
    assert nb09.t4_preset_estimate(_fake_history([2.0, 1.7]), cfg, 65)["to_target"] is None


def test_the_t4_preset_is_the_measured_shipped_recipe_and_fits_ten_minutes():
    """The t4 preset's updates are the shipped model's (measured); change either and this fails."""
    from dataclasses import asdict

    from lstm_helpers.checkpoint import read_checkpoint
    from lstm_helpers.train import get_preset
    from lstm_helpers.utils import PROJECT_ROOT

    ckpt = read_checkpoint(PROJECT_ROOT / "models" / "charlstm_shakespeare" / "model.pt")
    t4 = get_preset("t4")
    assert {**ckpt["config"], "max_seconds": t4.max_seconds} == asdict(t4)
    assert "tinyshakespeare" in ckpt["extra"]["command"]
    est = nb09.t4_preset_estimate(ckpt["history"], t4, len(ckpt["vocab"]["chars"]))
    assert est["updates"] is not None and est["to_target"]["total_s"] < nb09.T4_LIMIT_S
    slower = nb09.GPUAssumption("slow T4", 8.1, nb09.T4_ASSUMPTION.efficiency / 4, 0.005)
    assert nb09.t4_preset_estimate(ckpt["history"], t4, 65, gpu=slower)["to_target"]["total_s"] < nb09.T4_LIMIT_S
