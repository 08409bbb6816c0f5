"""Notebook 10's exercises: other right answers pass, and the references agree with numpy and the package."""

import numpy as np

from lstm_helpers.course import nb10


def test_bracket_depth_reference_and_a_list_answer():
    assert nb10.bracket_depth("f([x])").tolist() == [0, 1, 2, 2, 1, 0]
    assert nb10.check_bracket_depth(lambda text: list(nb10.bracket_depth(text))).passed


def test_bracket_depth_solution_matches_package_feature_on_plain_code():
    from lstm_helpers.interpretability import text_features

    code = "d[k](x, {1: [2]})\nf(a)[0]"  # no strings or comments: the package's feature agrees
    assert np.array_equal(text_features(code)["bracket depth"], nb10.bracket_depth(code))


def test_unit_correlations_reference_and_another_right_answer():
    v = np.random.default_rng(0).normal(size=(30, 3))
    x = v[:, 1] + np.random.default_rng(1).normal(size=30)
    want = [np.corrcoef(v[:, u], x)[0, 1] for u in range(3)]
    assert np.allclose(nb10.unit_correlations(v, x), want, atol=1e-12)
    assert nb10.check_unit_correlations(
        lambda values, feature: np.array([np.corrcoef(values[:, u], feature)[0, 1] for u in range(values.shape[1])])
    ).passed
