"""Which bayesreg estimator a ``bayesreg fit`` command line asks for, and what it minimises.

Four families cover every ``--prior`` / ``--likelihood`` pair that exists:

* ``penalized``: the normal likelihood with the gaussian, laplace or elastic-net prior
  and ``--alpha``: scikit-learn's Ridge, Lasso and ElasticNet, whose noise-scaled prior
  has scikit-learn's solution as its mode (:mod:`bayesreg.estimators`);
* ``logistic``: two classes, scikit-learn's LogisticRegression (``--C``, or ``--alpha``
  with ``C = 1 / (n alpha)``);
* ``poisson``: counts, scikit-learn's PoissonRegressor (``--alpha``);
* ``written``: a prior used as written, in the units of the weights, with the normal,
  Student-t or Laplace likelihood (:class:`bayesreg.LinearRegression`); its MAP is the
  joint mode of the weights, the intercept and the noise scale.

:func:`choose_model` turns the parsed options into a :class:`Model` or a
:class:`UsageError` that says which combinations exist; it never looks at the data.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import bayesreg

__all__ = [
    "LIKELIHOODS",
    "MODELS_HELP",
    "PARAMETER_DEFAULTS",
    "PARAMETER_OPTIONS",
    "PRIORS",
    "Model",
    "UsageError",
    "choose_model",
]

PRIORS = (
    "gaussian",
    "laplace",
    "elastic-net",
    "flat",
    "student-t",
    "cauchy",
    "bridge",
    "horseshoe",
    "regularized-horseshoe",
    "bayesian-lasso",
)
LIKELIHOODS = ("normal", "student-t", "laplace", "logistic", "poisson")
#: Priors without a finite posterior mode: they are only sampled (``--sample``).
NO_MAP_PRIORS = frozenset({"horseshoe", "regularized-horseshoe", "bayesian-lasso"})

#: The model parameters: argparse destination -> option.
PARAMETER_OPTIONS = {
    "alpha": "--alpha",
    "C": "--C",
    "l1_ratio": "--l1-ratio",
    "scale": "--scale",
    "df": "--df",
    "power": "--power",
    "slab_scale": "--slab-scale",
    "slab_df": "--slab-df",
    "lambda_shape": "--lambda-shape",
    "lambda_rate": "--lambda-rate",
    "likelihood_df": "--likelihood-df",
}
#: The value of a parameter that applies but was not given (``--power`` has none).
PARAMETER_DEFAULTS = {
    "alpha": 1.0,
    "C": 1.0,
    "l1_ratio": 0.5,
    "scale": 1.0,
    "df": 3.0,
    "slab_scale": 2.0,
    "slab_df": 4.0,
    "lambda_shape": 1.0,
    "lambda_rate": 1.0,
    "likelihood_df": 4.0,
}
#: Parameters of each prior used as written (the ``written`` family).
_WRITTEN_PARAMETERS = {
    "gaussian": ("scale",),
    "laplace": ("scale",),
    "flat": (),
    "student-t": ("df", "scale"),
    "cauchy": ("scale",),
    "bridge": ("power", "scale"),
    "horseshoe": ("scale",),
    "regularized-horseshoe": ("scale", "slab_scale", "slab_df"),
    "bayesian-lasso": ("lambda_shape", "lambda_rate"),
}
#: The Laplace likelihood's MAP is a linear program, which exists for these priors only.
_LAPLACE_LIKELIHOOD_MAP_PRIORS = frozenset({"laplace", "flat"})

MODELS_HELP = """\
models (the MAP is what is minimised; n is the number of rows used):

  --likelihood normal (default), --prior gaussian | laplace | elastic-net with --alpha A:
  scikit-learn's estimators, whose prior carries the noise sigma so that the MAP is
  scikit-learn's solution whatever sigma is (p(sigma) propto 1/sigma, b flat):
    gaussian      Ridge       ||y - Xw - b||^2 + A ||w||^2
                              w_j | sigma ~ N(0, sigma^2 / A)
    laplace       Lasso       (1/2n) ||y - Xw - b||^2 + A ||w||_1
                              w_j | sigma ~ Laplace(0, sigma^2 / (n A))
    elastic-net   ElasticNet  (1/2n) ||y - Xw - b||^2 + A R ||w||_1 + (A (1 - R) / 2) ||w||^2
                  (--l1-ratio R, default 0.5)
                              p(w_j | sigma) propto
                                exp(-(n A / sigma^2) (R |w_j| + (1 - R) w_j^2 / 2))
  A defaults to 1.0, scikit-learn's default.

  --likelihood normal | student-t | laplace with a prior used as written, in the units
  of the weights (bayesreg.LinearRegression): y_i ~ N(b + x_i'w, sigma^2),
  t_D(b + x_i'w, sigma) (--likelihood-df D, default 4) or Laplace(b + x_i'w, sigma);
  b flat, p(sigma) propto 1/sigma; the MAP is the joint mode of (w, b, sigma):
    flat                      least squares (scikit-learn's LinearRegression) with normal
    gaussian --scale S        w_j ~ N(0, S^2)
    laplace --scale S         w_j ~ Laplace(0, S)
    student-t --df D --scale S
                              w_j ~ t_D(0, S)                  (D default 3)
    cauchy --scale S          w_j ~ Cauchy(0, S)
    bridge --power P --scale S
                              p(w_j) propto exp(-(|w_j| / S)^P)   (--power required)
    horseshoe --scale S       w_j ~ N(0, lambda_j^2 tau^2), lambda_j ~ C+(0, 1), tau ~ C+(0, S)
    regularized-horseshoe --scale S --slab-scale Q --slab-df V
                              the horseshoe with a t_V(0, Q) slab (Q default 2, V 4)
    bayesian-lasso --lambda-shape R --lambda-rate D
                              w_j ~ Laplace(0, sigma / lambda), lambda^2 ~ Gamma(R, D)
  S defaults to 1.0 (in the units of the weights: rescale the columns, or set S).
  The laplace likelihood has a MAP (a linear program) with --prior flat or laplace only.
  horseshoe, regularized-horseshoe and bayesian-lasso have no finite mode (no MAP):
  they need --sample.

  --likelihood logistic (a target of two classes, any labels),
  --prior gaussian | laplace | elastic-net | flat: scikit-learn's LogisticRegression,
    C sum_i logloss_i + r(w),  r(w) = ||w||^2 / 2, ||w||_1, R ||w||_1 + (1 - R) ||w||^2 / 2
    or 0 (flat); w_j ~ N(0, C), Laplace(0, C), their elastic-net mix, or flat.
  Give --C (default 1.0, scikit-learn's), or --alpha A for glmnet's scaling,
    (1/n) sum_i logloss_i + A r(w),  i.e. C = 1 / (n A).

  --likelihood poisson (a target of counts >= 0), --prior gaussian | flat:
  scikit-learn's PoissonRegressor,
    (1/2n) sum_i d(y_i, exp(b + x_i'w)) + (A / 2) ||w||^2,   w_j ~ N(0, 1 / (n A))
  with the unit deviance d(y, mu) = 2 (y log(y / mu) - y + mu); flat is A = 0.
"""


class UsageError(Exception):
    """The options ask for a model that does not exist; the message says which ones do."""


@dataclasses.dataclass(frozen=True)
class Model:
    """A model chosen on the command line, before it has seen the data.

    Attributes
    ----------
    prior, likelihood : str
        As given (``--prior``, ``--likelihood``).
    family : {"penalized", "logistic", "poisson", "written"}
    parameters : dict of str to float
        Every parameter that applies, given or defaulted.
    fit_intercept : bool
    """

    prior: str
    likelihood: str
    family: str
    parameters: Mapping[str, float]
    fit_intercept: bool = True

    @property
    def has_map(self) -> bool:
        """Whether the posterior has a finite mode that the fit computes."""
        return self.prior not in NO_MAP_PRIORS

    @property
    def has_sigma(self) -> bool:
        """Whether the model has a noise scale ``sigma`` (not logistic, not Poisson)."""
        return self.family in ("penalized", "written")

    @property
    def labels(self) -> bool:
        """Whether the target holds class labels rather than numbers."""
        return self.family == "logistic"

    def C(self, n_rows: int) -> float:
        """Logistic regression's ``C``: given, or ``1 / (n alpha)`` from ``--alpha``."""
        if self.prior == "flat":
            return math.inf
        if "alpha" in self.parameters:
            alpha = self.parameters["alpha"]
            return math.inf if alpha == 0 else 1.0 / (n_rows * alpha)
        return self.parameters["C"]

    def build(self, n_rows: int):
        """The unfitted bayesreg estimator, for ``n_rows`` rows of data."""
        p, intercept = self.parameters, self.fit_intercept
        if self.family == "penalized":
            if self.prior == "gaussian":
                return bayesreg.Ridge(alpha=p["alpha"], fit_intercept=intercept)
            if self.prior == "laplace":
                return bayesreg.Lasso(alpha=p["alpha"], fit_intercept=intercept)
            return bayesreg.ElasticNet(
                alpha=p["alpha"], l1_ratio=p["l1_ratio"], fit_intercept=intercept
            )
        if self.family == "logistic":
            l1_ratio = {"gaussian": 0.0, "laplace": 1.0, "flat": 0.0}.get(
                self.prior, p.get("l1_ratio")
            )
            return bayesreg.LogisticRegression(
                C=self.C(n_rows), l1_ratio=l1_ratio, fit_intercept=intercept
            )
        if self.family == "poisson":
            alpha = 0.0 if self.prior == "flat" else p["alpha"]
            return bayesreg.PoissonRegressor(alpha=alpha, fit_intercept=intercept)
        return bayesreg.LinearRegression(
            prior=self._written_prior(),
            likelihood=self.likelihood.replace("-", "_"),
            df=p.get("likelihood_df", PARAMETER_DEFAULTS["likelihood_df"]),
            fit_intercept=intercept,
        )

    def _written_prior(self):
        p = self.parameters
        match self.prior:
            case "flat":
                return None
            case "gaussian":
                return bayesreg.Gaussian(p["scale"])
            case "laplace":
                return bayesreg.Laplace(p["scale"])
            case "student-t":
                return bayesreg.StudentT(p["df"], p["scale"])
            case "cauchy":
                return bayesreg.Cauchy(p["scale"])
            case "bridge":
                return bayesreg.Bridge(p["power"], p["scale"])
            case "horseshoe":
                return bayesreg.Horseshoe(p["scale"])
            case "regularized-horseshoe":
                return bayesreg.RegularizedHorseshoe(p["scale"], p["slab_scale"], p["slab_df"])
            case "bayesian-lasso":
                return bayesreg.BayesianLasso(p["lambda_shape"], p["lambda_rate"])
        raise AssertionError(self.prior)  # pragma: no cover - choose_model checked it

    def label(self, n_rows: int) -> str:
        """The estimator as a call, e.g. ``Lasso(alpha=0.1)``."""
        p = self.parameters
        intercept = "" if self.fit_intercept else ", fit_intercept=False"
        if self.family == "penalized":
            name = {"gaussian": "Ridge", "laplace": "Lasso", "elastic-net": "ElasticNet"}
            ratio = f", l1_ratio={p['l1_ratio']:g}" if self.prior == "elastic-net" else ""
            return f"{name[self.prior]}(alpha={p['alpha']:g}{ratio}{intercept})"
        if self.family == "logistic":
            ratio = {"gaussian": 0.0, "laplace": 1.0, "flat": 0.0}.get(self.prior)
            ratio = p["l1_ratio"] if ratio is None else ratio
            return f"LogisticRegression(C={self.C(n_rows):.6g}, l1_ratio={ratio:g}{intercept})"
        if self.family == "poisson":
            alpha = 0.0 if self.prior == "flat" else p["alpha"]
            return f"PoissonRegressor(alpha={alpha:g}{intercept})"
        prior = self._written_prior()
        written = "None" if prior is None else _call(prior)
        likelihood = self.likelihood.replace("-", "_")
        df = f", df={p['likelihood_df']:g}" if likelihood == "student_t" else ""
        return f"LinearRegression(prior={written}, likelihood={likelihood!r}{df}{intercept})"

    def describe(self, n_rows: int) -> list[str]:
        """The objective the MAP minimises and the prior it is the mode of, one per line."""
        p = self.parameters
        flat_b = "b flat" if self.fit_intercept else "no intercept"
        if self.family == "penalized":
            a = p["alpha"]
            if self.prior == "gaussian":
                objective = f"||y - Xw - b||^2 + {a:g} ||w||^2"
                prior = f"w_j | sigma ~ N(0, sigma^2 / {a:g})"
            elif self.prior == "laplace":
                objective = f"(1/2n) ||y - Xw - b||^2 + {a:g} ||w||_1"
                prior = f"w_j | sigma ~ Laplace(0, sigma^2 / (n {a:g}))"
            else:
                r = p["l1_ratio"]
                objective = (
                    f"(1/2n) ||y - Xw - b||^2 + {a * r:g} ||w||_1 + {a * (1 - r) / 2:g} ||w||^2"
                )
                prior = (
                    f"p(w_j | sigma) propto exp(-(n {a:g} / sigma^2) ({r:g} |w_j| "
                    f"+ {1 - r:g} w_j^2 / 2))"
                )
            return [
                f"MAP minimises {objective}  (n = {n_rows})",
                f"prior: {prior}; {flat_b}; p(sigma) propto 1/sigma",
            ]
        if self.family == "logistic":
            C = self.C(n_rows)
            penalty, prior = {
                "gaussian": ("||w||^2 / 2", f"w_j ~ N(0, {C:.6g})"),
                "laplace": ("||w||_1", f"w_j ~ Laplace(0, {C:.6g})"),
                "flat": ("0", "w flat"),
            }.get(self.prior, (None, None))
            if penalty is None:
                r = p["l1_ratio"]
                penalty = f"{r:g} ||w||_1 + {(1 - r) / 2:g} ||w||^2"
                prior = f"p(w_j) propto exp(-({r:g} |w_j| + {1 - r:g} w_j^2 / 2) / {C:.6g})"
            objective = (
                "sum_i logloss_i" if math.isinf(C) else f"{C:.6g} sum_i logloss_i + {penalty}"
            )
            lines = [f"MAP minimises {objective}", f"prior: {prior}; {flat_b}"]
            if "alpha" in p and self.prior != "flat":
                lines.append(f"C = 1 / (n alpha) with alpha = {p['alpha']:g}, n = {n_rows}")
            return lines
        if self.family == "poisson":
            alpha = 0.0 if self.prior == "flat" else p["alpha"]
            prior = "w flat" if alpha == 0 else f"w_j ~ N(0, 1 / (n {alpha:g}))"
            return [
                f"MAP minimises (1/2n) sum_i d(y_i, exp(b + x_i'w)) + {alpha / 2:g} ||w||^2"
                f"  (n = {n_rows})",
                f"prior: {prior}; {flat_b}",
            ]
        likelihood = {
            "normal": "N(b + x_i'w, sigma^2)",
            "student-t": f"t_{p.get('likelihood_df', 4.0):g}(b + x_i'w, sigma)",
            "laplace": "Laplace(b + x_i'w, sigma)",
        }[self.likelihood]
        mode = (
            "the MAP is the joint mode of (w, b, sigma)"
            if self.has_map
            else "no finite mode: the posterior is sampled, there is no MAP"
        )
        return [
            f"y_i ~ {likelihood}; {_prior_text(self.prior, p)}; {flat_b}; p(sigma) propto 1/sigma",
            mode,
        ]


def _call(prior) -> str:
    fields = ", ".join(
        f"{f.name}={getattr(prior, f.name):g}" for f in dataclasses.fields(prior) if f.init
    )
    return f"{type(prior).__name__}({fields})"


def _prior_text(prior: str, p: Mapping[str, float]) -> str:
    match prior:
        case "flat":
            return "w flat"
        case "gaussian":
            return f"w_j ~ N(0, {p['scale']:g}^2)"
        case "laplace":
            return f"w_j ~ Laplace(0, {p['scale']:g})"
        case "student-t":
            return f"w_j ~ t_{p['df']:g}(0, {p['scale']:g})"
        case "cauchy":
            return f"w_j ~ Cauchy(0, {p['scale']:g})"
        case "bridge":
            return f"p(w_j) propto exp(-(|w_j| / {p['scale']:g})^{p['power']:g})"
        case "horseshoe":
            return f"w_j ~ N(0, lambda_j^2 tau^2), lambda_j ~ C+(0, 1), tau ~ C+(0, {p['scale']:g})"
        case "regularized-horseshoe":
            return (
                f"w_j ~ regularized horseshoe, tau ~ C+(0, {p['scale']:g}), "
                f"slab t_{p['slab_df']:g}(0, {p['slab_scale']:g})"
            )
        case "bayesian-lasso":
            return (
                f"w_j ~ Laplace(0, sigma / lambda), lambda^2 ~ Gamma({p['lambda_shape']:g}, "
                f"{p['lambda_rate']:g})"
            )
    raise AssertionError(prior)  # pragma: no cover


def _family(prior: str, likelihood: str, given: Mapping[str, float]) -> str:
    """The family of ``prior`` with ``likelihood``, or a UsageError saying what exists."""
    if likelihood == "logistic":
        if prior not in ("gaussian", "laplace", "elastic-net", "flat"):
            raise UsageError(
                f"--likelihood logistic takes --prior gaussian, laplace, elastic-net or flat "
                f"(scikit-learn's LogisticRegression penalties), not {prior}"
            )
        return "logistic"
    if likelihood == "poisson":
        if prior not in ("gaussian", "flat"):
            raise UsageError(
                f"--likelihood poisson takes --prior gaussian or flat (scikit-learn's "
                f"PoissonRegressor), not {prior}"
            )
        return "poisson"
    if prior == "elastic-net":
        if likelihood != "normal":
            raise UsageError(
                f"--prior elastic-net takes --likelihood normal (ElasticNet) or logistic, "
                f"not {likelihood}"
            )
        return "penalized"
    if prior in ("gaussian", "laplace") and likelihood == "normal":
        if "alpha" in given and "scale" in given:
            raise UsageError(
                f"--alpha and --scale are two ways to set the {prior} prior (scikit-learn's "
                "penalty, or the prior as written): give one"
            )
        return "written" if "scale" in given else "penalized"
    if likelihood == "laplace" and prior not in _LAPLACE_LIKELIHOOD_MAP_PRIORS | NO_MAP_PRIORS:
        raise UsageError(
            f"--likelihood laplace has a MAP (a linear program) only with --prior flat or "
            f"laplace (or no MAP, with horseshoe, regularized-horseshoe or bayesian-lasso "
            f"and --sample); for --prior {prior} use --likelihood normal or student-t"
        )
    return "written"


def _accepted(family: str, prior: str, likelihood: str) -> tuple[str, ...]:
    if family == "penalized":
        return ("alpha", "l1_ratio") if prior == "elastic-net" else ("alpha",)
    if family == "logistic":
        if prior == "flat":
            return ()
        return ("alpha", "C", "l1_ratio") if prior == "elastic-net" else ("alpha", "C")
    if family == "poisson":
        return () if prior == "flat" else ("alpha",)
    extra = ("likelihood_df",) if likelihood == "student-t" else ()
    return _WRITTEN_PARAMETERS[prior] + extra


def _check_value(name: str, value: float) -> None:
    option = PARAMETER_OPTIONS[name]
    if name == "alpha":
        ok, rule = math.isfinite(value) and value >= 0, "a finite number >= 0"
    elif name == "C":
        ok, rule = value > 0, "a number > 0 (inf for no penalty)"
    elif name == "l1_ratio":
        ok, rule = 0 <= value <= 1, "in [0, 1]"
    else:
        ok, rule = math.isfinite(value) and value > 0, "a finite number > 0"
    if not ok:
        raise UsageError(f"{option} must be {rule}, got {value:g}")


def choose_model(
    prior: str,
    likelihood: str,
    given: Mapping[str, float],
    *,
    fit_intercept: bool = True,
    sample: bool = False,
) -> Model:
    """The model that ``--prior``, ``--likelihood`` and the given parameters ask for.

    Parameters
    ----------
    prior, likelihood : str
        One of :data:`PRIORS` and :data:`LIKELIHOODS`.
    given : mapping of str to float
        The parameters given on the command line (keys of :data:`PARAMETER_OPTIONS`);
        those that apply and are not given take :data:`PARAMETER_DEFAULTS`.
    fit_intercept : bool, default True
    sample : bool, default False
        Whether the posterior will be sampled; priors without a MAP need it.

    Raises
    ------
    UsageError
        For a pair that does not exist, a parameter that does not apply to the model or
        is out of range, both ``--alpha`` and ``--C`` (or ``--scale``), a bridge prior
        without ``--power``, or a prior without a finite mode and no ``--sample``.
    """
    family = _family(prior, likelihood, given)
    accepted = _accepted(family, prior, likelihood)
    for name in given:
        if name not in accepted:
            takes = ", ".join(PARAMETER_OPTIONS[a] for a in accepted) or "no parameter"
            raise UsageError(
                f"{PARAMETER_OPTIONS[name]} does not apply to --prior {prior} "
                f"--likelihood {likelihood}, which takes {takes} (see bayesreg fit --help)"
            )
    for name, value in given.items():
        _check_value(name, value)
    if family == "logistic" and "alpha" in given and "C" in given:
        raise UsageError(
            "--alpha and --C both set the logistic penalty (C = 1 / (n alpha)): give one"
        )
    if prior == "bridge" and "power" not in given:
        raise UsageError("--prior bridge needs --power P, the exponent of |w_j|^P (P > 0)")
    if prior in NO_MAP_PRIORS and not sample:
        raise UsageError(
            f"--prior {prior} has no finite posterior mode, so no MAP to fit: add --sample "
            "to draw its posterior"
        )
    parameters = {
        name: given.get(name, PARAMETER_DEFAULTS.get(name))
        for name in accepted
        if name in given or name in PARAMETER_DEFAULTS
    }
    if family == "logistic" and "alpha" not in given:
        parameters.pop("alpha", None)
    if family == "logistic" and "alpha" in given:
        parameters.pop("C", None)
    return Model(prior, likelihood, family, parameters, fit_intercept)
