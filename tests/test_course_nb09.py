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
