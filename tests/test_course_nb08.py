"""Notebook 08's exercises: the references agree with the data and with PyTorch's own layers."""

import numpy as np

from lstm_helpers.course import nb08


def test_mean_predictor_mse_is_what_the_data_give():
    from lstm_helpers.data import adding_problem

    _, y = adding_problem(200_000, 20, seed=0)
    assert abs(np.mean((y - 1.0) ** 2) - nb08.mean_predictor_mse(2)) < 2e-3


def test_count_parameters_reference_agrees_with_pytorch():
    import torch

    layers = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
    for kind, layer in layers.items():
        for H, D in ((32, 2), (5, 7), (1, 1)):
            assert nb08.count_parameters(kind, H, D) == sum(p.numel() for p in layer(D, H).parameters())
