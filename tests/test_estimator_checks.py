"""scikit-learn's estimator contract, checked by its own suite on every bayesreg estimator.

``parametrize_with_checks`` turns each of scikit-learn's API checks (cloning, parameter
handling, input validation, fitted attributes, sample-weight equivalence, pickling, ...)
into one test per estimator configuration.  The configurations cover each solver path:
the closed form (Ridge), coordinate descent with the Laplace, elastic-net and
pure-Gaussian (``l1_ratio=0``) priors, the ``positive`` constraint, no intercept and
warm starts.
"""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

import bayesreg

ESTIMATORS = [
    bayesreg.Ridge(),
    bayesreg.Lasso(),
    bayesreg.ElasticNet(),
    bayesreg.Ridge(positive=True),
    bayesreg.Ridge(fit_intercept=False),
    bayesreg.Lasso(positive=True, warm_start=True),
    bayesreg.ElasticNet(l1_ratio=0.0, fit_intercept=False),
    bayesreg.ElasticNet(alpha=0.1, l1_ratio=0.9, positive=True),
]


def _solved_in_closed_form(estimator) -> bool:
    """Whether fit takes the closed form (no L1 part, no sign constraint): no iterations."""
    no_l1 = isinstance(estimator, bayesreg.Ridge) or estimator.alpha == 0
    no_l1 = no_l1 or getattr(estimator, "l1_ratio", None) == 0
    return no_l1 and not estimator.positive


def _expected_failed_checks(estimator) -> dict[str, str]:
    """Checks that cannot apply to a configuration, each with the reason."""
    if _solved_in_closed_form(estimator):
        return {
            # A smooth penalty without a sign constraint is solved exactly by the SVD, not
            # iterated: n_iter_ is 0 and max_iter is unused.  scikit-learn exempts its own
            # Ridge from this check for the same reason ("n_iter_ cannot be easily
            # accessed"; its n_iter_ is None for the svd/cholesky solvers), and its own
            # Lasso reports n_iter_ = 0 too when it starts at the optimum.  Configurations
            # that iterate (an L1 part, or positive=True) run this check and pass it.
            "check_non_transformer_estimators_n_iter": (
                "solved in closed form, not iterated: n_iter_ = 0 (as scikit-learn's Ridge)"
            ),
        }
    return {}


# Each generated test checks that one estimator configuration meets one part of
# scikit-learn's estimator contract (the check's name is in the test id).
@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=_expected_failed_checks, xfail_strict=True
)
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)
