"""Small public datasets that ship with bayesreg, for examples, notebooks and the docs.

The diabetes data of Efron et al. (2004) ship with scikit-learn
(:func:`sklearn.datasets.load_diabetes`); this module adds the others.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_prostate"]

PROSTATE_FEATURES = ("lcavol", "lweight", "age", "lbph", "svi", "lcp", "gleason", "pgg45")

_PROSTATE_DESCR = """\
Prostate cancer data (Stamey et al., 1989)
==========================================

97 men about to undergo a radical prostatectomy.  The target ``lpsa`` is the log of the
prostate-specific antigen; the eight features are the log cancer volume ``lcavol``, log
prostate weight ``lweight``, ``age``, log benign prostatic hyperplasia ``lbph``, seminal
vesicle invasion ``svi`` (0/1), log capsular penetration ``lcp``, the Gleason score
``gleason`` and the percentage of Gleason scores 4 or 5 ``pgg45``.  ``train`` marks the
67 rows of the training set used by Hastie, Tibshirani & Friedman, *The Elements of
Statistical Learning* (2nd ed.), section 3.4 (Tables 3.1-3.3).  This is the corrected
version of the data (row 32: lweight = 3.804438).
"""


def load_prostate(*, return_X_y: bool = False, as_frame: bool = False):
    """Load the prostate cancer data of Stamey et al. (1989), as used in ESL section 3.4.

    Parameters
    ----------
    return_X_y : bool, default False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default False
        Return ``data`` as a pandas DataFrame and ``target`` and ``train`` as Series
        (needs pandas), as :func:`sklearn.datasets.load_diabetes` does.

    Returns
    -------
    sklearn.utils.Bunch or tuple
        ``data`` (97, 8) with columns ``feature_names``; ``target``, the log PSA (97,);
        ``train``, a boolean mask of the 67 training rows of ESL; ``frame`` (when
        ``as_frame``) with all ten columns; ``DESCR``.  With ``return_X_y``, the tuple
        ``(data, target)``.

    Examples
    --------
    >>> from bayesreg.datasets import load_prostate
    >>> prostate = load_prostate()
    >>> prostate.data.shape, int(prostate.train.sum())
    ((97, 8), 67)
    """
    for name, flag in (("return_X_y", return_X_y), ("as_frame", as_frame)):
        if not isinstance(flag, bool | np.bool_):
            raise TypeError(f"{name} must be True or False, got {flag!r}.")
    table = resources.files("bayesreg.data").joinpath("prostate.data").read_text()
    lines = table.splitlines()
    header = lines[0].split()
    rows = np.array([line.split()[1:] for line in lines[1:] if line.strip()], dtype=np.float64)
    columns = dict(zip(header, rows.T, strict=True))
    data = np.column_stack([columns[name] for name in PROSTATE_FEATURES])
    target = columns["lpsa"]
    train = columns["train"] == 1.0
    frame = None
    if as_frame:
        import pandas as pd

        frame = pd.DataFrame(data, columns=list(PROSTATE_FEATURES))
        frame["lpsa"] = target
        frame["train"] = train
        data = frame[list(PROSTATE_FEATURES)]
        target = frame["lpsa"]
        train = frame["train"]
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        train=train,
        frame=frame,
        feature_names=list(PROSTATE_FEATURES),
        target_names=["lpsa"],
        DESCR=_PROSTATE_DESCR,
    )
