"""Notebook 00 (start here): the series' checker machinery shown once, on notebook 03's first exercise.

Notebook 00 has no exercise of its own; it demonstrates `check_forget_gate` and `show_solution`.
"""

from .checking import hint, show_solution
from .nb03 import check_forget_gate

__all__ = ["check_forget_gate", "hint", "show_solution"]
