"""Sphinx configuration of the bayesreg documentation.

Build it with ``make docs`` (HTML in build/html).  The notebooks are not executed here:
the test suite executes each notebook in notebooks/ once and writes the executed copy to
build/notebooks/ (tests/test_notebooks.py); ``make docs`` runs those tests first when a
copy is missing or older than its notebook, and this file copies the executed notebooks
into docs/notebooks/ so that myst-nb renders them with their outputs.
"""

import inspect
import os
import re
import shutil
from pathlib import Path

import nbformat
from sphinx.util import logging

import bayesreg

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
logger = logging.getLogger(__name__)

project = "bayesreg"
author = "the bayesreg developers"
copyright = "the bayesreg developers"
release = bayesreg.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    "matplotlib.sphinxext.plot_directive",
    "sphinx_copybutton",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# -- The API reference -----------------------------------------------------------------
# autosummary writes one stub page per object listed in api/index.rst into api/generated/
# (not under version control).  The class template (_templates/autosummary/class.rst)
# documents the members that bayesreg defines (skip_member below) after a table of the
# methods, so numpydoc must not add member lists of its own.
autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc Parameters sections give the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- Notebooks -------------------------------------------------------------------------
# myst-nb renders the copies already executed by the test suite; it never runs a kernel.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- Figures drawn at build time by matplotlib's plot directive -------------------------
# In a MyST page the directive must sit in an {eval-rst} block (MyST cannot run it
# directly), and each block numbers its figures from 1, so every figure of a MyST page
# needs its own :filename-prefix: (check_plot_names enforces it):
#
#   ```{eval-rst}
#   .. plot::
#      :filename-prefix: lasso-path
#
#      import bayesreg
#      ...
#   ```
plot_formats = [("png", 100)]
plot_html_show_source_link = False
plot_html_show_formats = False
plot_include_source = False
plot_rcparams = {"savefig.bbox": "tight"}

# -- Cross-references to other projects ------------------------------------------------
# Off by default: intersphinx downloads the other projects' inventories, and a build
# with warnings as errors must not depend on the network (CI has none).  Set
# BAYESREG_DOCS_INTERSPHINX=1 to link to them when the network is there.
if os.environ.get("BAYESREG_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "jax": ("https://docs.jax.dev/en/latest", None),
        "numpyro": ("https://num.pyro.ai/en/stable", None),
        "arviz": ("https://python.arviz.org/en/stable", None),
        "xarray": ("https://docs.xarray.dev/en/stable", None),
    }

# -- HTML ------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"bayesreg {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False


def defining_package(member) -> str | None:
    """The top-level package that defines a method, property or other descriptor.

    None for data (numbers, arrays, numpyro constraints...), whose documentation, if
    any, is a ``#:`` comment in bayesreg's source.
    """
    if not (inspect.isroutine(member) or hasattr(type(member), "__get__")):
        return None
    for unwrap in ("fget", "__func__"):
        member = getattr(member, unwrap, None) or member
    owner = getattr(member, "__objclass__", None)  # methods of builtins, e.g. tuple.count
    module = getattr(owner or member, "__module__", None) or type(member).__module__
    return module.split(".")[0]


def inherited_from_elsewhere(cls) -> dict[str, list[str]]:
    """The public members of ``cls`` defined outside bayesreg, by package (not builtins)."""
    packages: dict[str, list[str]] = {}
    for name in dir(cls):
        member = getattr(cls, name, None)
        package = defining_package(member)
        if (
            not name.startswith("_")
            and package not in (None, "bayesreg", "builtins")
            and not is_named_tuple_field(member)
        ):
            packages.setdefault(package, []).append(name)
    return packages


def is_named_tuple_field(member) -> bool:
    """Whether ``member`` is a field of a ``NamedTuple`` (Python's placeholder docstring)."""
    return (getattr(member, "__doc__", None) or "").startswith("Alias for field number")


PACKAGE_NAMES = {"sklearn": "scikit-learn"}


def skip_member(app, what, name, member, skip, options):
    """Document what bayesreg defines, not what its classes inherit from elsewhere.

    The estimators inherit ``get_params``, ``set_params``, ``score`` and the
    metadata-routing methods from scikit-learn, the distributions inherit most of
    numpyro's ``Distribution`` interface, and the result tuples inherit ``count`` and
    ``index`` from ``tuple``: those are documented by their projects (and their
    docstrings refer to labels and directives of those projects' documentation, which do
    not exist here); :func:`name_inherited_members` names them on each class page.  The
    fields of a ``NamedTuple`` carry Python's placeholder docstring "Alias for field
    number k"; the Attributes section of the class docstring documents them.

    autodoc calls this with ``what`` the kind of the class being documented,
    autosummary (for the Methods table) with the kind of the member.
    """
    if what == "module":
        return None
    if defining_package(member) not in (None, "bayesreg") or is_named_tuple_field(member):
        return True
    return None


def name_inherited_members(app, what, name, obj, options, lines):
    """End a class docstring with the names of the members it inherits from elsewhere."""
    if what != "class":
        return
    for package, names in sorted(inherited_from_elsewhere(obj).items()):
        listed = ", ".join(f"``{name}``" for name in names)
        lines += ["", f".. rubric:: Inherited from {PACKAGE_NAMES.get(package, package)}"]
        lines += ["", listed + "."]


PLOT_DIRECTIVE = re.compile(r"^\s*\.\. plot::", re.MULTILINE)
FILENAME_PREFIX = re.compile(r"^\s*:filename-prefix:\s*\S", re.MULTILINE)


def check_plot_names(app, docname, source):
    """Fail the build when figures of one MyST page would overwrite each other.

    Each {eval-rst} block of a MyST page is its own reST document, so the plot directive
    names the figures of every block ``<page>-1.png``, ... and a later block's image
    silently replaces an earlier one's, unless each has a ``:filename-prefix:``.
    """
    if not app.env.doc2path(docname).suffix == ".md":
        return
    plots = len(PLOT_DIRECTIVE.findall(source[0]))
    named = len(FILENAME_PREFIX.findall(source[0]))
    if plots > 1 and named < plots:
        logger.warning(
            "%d of the %d plot directives have no :filename-prefix:; in a MyST page "
            "each needs its own, or their images overwrite each other",
            plots - named,
            plots,
            location=docname,
        )


def setup(app):
    app.connect("source-read", check_plot_names)
    app.connect("autodoc-skip-member", skip_member)
    # After numpydoc (priority 500), which rewrites the docstring into reST.
    app.connect("autodoc-process-docstring", name_inherited_members, priority=600)


def copy_executed_notebooks(source: Path, executed: Path, target: Path) -> None:
    """Copy the executed notebooks into the documentation source, refusing stale ones.

    Every notebook in ``source`` must have an executed copy in ``executed`` that is
    newer than the notebook and whose code cells all ran; copies of notebooks that no
    longer exist are removed from ``target``.  A copy is rewritten only when it changed,
    so that Sphinx does not re-read unchanged pages.
    """
    target.mkdir(exist_ok=True)
    notebooks = sorted(source.glob("*.ipynb"))
    problems = []
    for notebook in notebooks:
        copy = executed / notebook.name
        if not copy.exists():
            problems.append(f"{copy.relative_to(ROOT)} is missing")
        elif copy.stat().st_mtime < notebook.stat().st_mtime:
            problems.append(f"{copy.relative_to(ROOT)} is older than {notebook.relative_to(ROOT)}")
        elif any(
            cell.cell_type == "code" and cell.source.strip() and cell.execution_count is None
            for cell in nbformat.read(copy, as_version=4).cells
        ):
            problems.append(f"{copy.relative_to(ROOT)} has code cells that did not run")
    if problems:
        raise RuntimeError(
            "The documentation shows the notebooks as executed by the test suite, but "
            + "; ".join(problems)
            + ".  Run `make docs` (it executes them first), or execute them with "
            "`python -m pytest -m slow tests/test_notebooks.py`."
        )
    names = {notebook.name for notebook in notebooks}
    for stale in target.glob("*.ipynb"):
        if stale.name not in names:
            stale.unlink()
    for notebook in notebooks:
        copy, destination = executed / notebook.name, target / notebook.name
        if not destination.exists() or destination.read_bytes() != copy.read_bytes():
            shutil.copyfile(copy, destination)


copy_executed_notebooks(ROOT / "notebooks", ROOT / "build" / "notebooks", DOCS / "notebooks")
