"""The shipped prostate data reproduce ESL's Table 3.2 (least squares on the 67 training rows)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from bayesreg.datasets import PROSTATE_FEATURES, load_prostate

# Hastie, Tibshirani & Friedman, ESL 2nd ed., Table 3.2: coefficients of the standardized
# predictors (printed to two decimals) and the test error of Table 3.3.
ESL_TABLE_3_2 = {
    "intercept": 2.46,
    "lcavol": 0.68,
    "lweight": 0.26,
    "age": -0.14,
    "lbph": 0.21,
    "svi": 0.31,
    "lcp": -0.29,
    "gleason": -0.02,
    "pgg45": 0.27,
}
ESL_LS_TEST_ERROR = 0.521


def test_prostate_reproduces_esl_least_squares():
    data = load_prostate()
    assert data.data.shape == (97, 8)
    assert int(data.train.sum()) == 67
    X_train, y_train = data.data[data.train], data.target[data.train]
    # ESL standardizes with the mean and sd (ddof=1) of all 97 rows.
    mean, sd = data.data.mean(axis=0), data.data.std(axis=0, ddof=1)
    fit = LinearRegression().fit((X_train - mean) / sd, y_train)
    ours = dict(zip(PROSTATE_FEATURES, fit.coef_, strict=True)) | {"intercept": fit.intercept_}
    for name, printed in ESL_TABLE_3_2.items():
        # Printed to two decimals: the exact value lies within half a unit of the last digit.
        assert abs(ours[name] - printed) <= 0.005 + 1e-12, name
    X_test, y_test = data.data[~data.train], data.target[~data.train]
    test_error = np.mean((fit.predict((X_test - mean) / sd) - y_test) ** 2)
    assert test_error == pytest.approx(ESL_LS_TEST_ERROR, abs=0.0005)


def test_prostate_as_frame_and_return_X_y():
    X, y = load_prostate(return_X_y=True, as_frame=True)
    assert isinstance(X, pd.DataFrame)
    assert list(X.columns) == list(PROSTATE_FEATURES)
    assert y.name == "lpsa"
    bunch = load_prostate(as_frame=True)
    assert bunch.train.dtype == bool
    np.testing.assert_array_equal(bunch.frame["lpsa"].to_numpy(), load_prostate().target)
