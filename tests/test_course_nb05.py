"""Notebook 05's exercises: a wrong number of outputs is named, and the reference matches a finite difference."""

import numpy as np

from lstm_helpers.course import nb05


def test_cell_update_backward_names_a_missing_output():
    r = nb05.check_cell_update_backward(lambda d, c, f, i, g: (d * f, d * c))
    assert not r.passed and "returned 2 value(s)" in r.message


def test_cell_update_backward_matches_a_finite_difference():
    rng = np.random.default_rng(0)
    args = [rng.normal(size=(2, 3)) for _ in range(4)]
    dnext = rng.normal(size=(2, 3))
    grads = nb05.cell_update_backward(dnext, *args)
    eps = 1e-6
    for k in range(4):
        num = np.zeros_like(args[k])
        for idx in np.ndindex(args[k].shape):
            plus = [a.copy() for a in args]
            minus = [a.copy() for a in args]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            num[idx] = np.sum(dnext * (nb05.cell_update(*plus) - nb05.cell_update(*minus))) / (2 * eps)
        assert np.abs(num - grads[k]).max() < 1e-8


def test_cell_jacobian_reference_matches_the_measured_jacobian():
    import numpy as np

    rng = np.random.default_rng(1)
    case = nb05._jacobian_case(rng, 3, 5)
    assert np.abs(nb05.cell_jacobian_h(*case) - nb05.measured_cell_jacobian(*case)).max() < 1e-7


def test_missing_transposes_and_a_wrong_block_order_get_their_own_diagnosis():
    """Issue 21: these got only the generic "differs by up to" message."""
    mistakes = {m.message: m for m in nb05.MISTAKES["cell_jacobian_h"]}
    for slip, words in ((dict(block_T=False), "not transposed"), (dict(order="ifog"), "CS231n's order"),
                        (dict(order="figo"), "input and forget gates are swapped")):
        r = nb05.check_cell_jacobian_h(nb05._jac(**slip))
        assert r.mistake in mistakes and words in r.message, (slip, r.message)
