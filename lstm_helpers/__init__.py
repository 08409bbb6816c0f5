"""LSTM, gate by gate: the shared implementations behind the notebook series.

Importing the package changes nothing (no seeding, no rcParams, no prints); import the submodule
that holds the concept you need, e.g. ``from lstm_helpers.numpy_lstm import lstm_forward``.
"""

__version__ = "0.1.0"
