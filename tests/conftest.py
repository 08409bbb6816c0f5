import os

import pytest

os.environ.setdefault("MPLBACKEND", "agg")


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(1234)
