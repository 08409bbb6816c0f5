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
