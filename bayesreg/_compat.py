"""Work-arounds for third-party import quirks, each applied once at import."""

import sys


def bind_numpyro_submodules() -> None:
    """Re-attach numpyro's submodules to their parent packages.

    arviz_base loads numpyro through ``lazy_loader``; when arviz is imported before
    numpyro, modules such as ``numpyro.distributions.distribution`` end up in
    ``sys.modules`` without being attributes of their parent, and ``numpyro.factor``
    (reached by NUTS with chains in parallel) fails with an AttributeError.
    """
    import numpyro.distributions  # noqa: F401 - make sure the package is loaded

    for name, module in list(sys.modules.items()):
        if not name.startswith("numpyro.") or module is None:
            continue
        parent_name, _, child = name.rpartition(".")
        parent = sys.modules.get(parent_name)
        if parent is not None and not hasattr(parent, child):
            setattr(parent, child, module)
