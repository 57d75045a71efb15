"""The ``bayesreg`` command line.

* ``bayesreg fit data.csv --target y --prior laplace --alpha 0.1 [--sample]``: the MAP
  (and the posterior) of a model of the columns of a CSV file, printed and written to an
  output folder (:mod:`bayesreg.cli.fit`);
* ``bayesreg demo``: ridge and the lasso on the diabetes data, three ways
  (:mod:`bayesreg.cli.demo`).

Exit status: 0 on success, 1 on an error reported as one line ``bayesreg: error: ...``
on stderr, 2 on a wrong command line (argparse), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence

import bayesreg
from bayesreg.cli import demo, fit
from bayesreg.cli._common import CLIError
from bayesreg.cli.demo import _write_figure  # noqa: F401 - kept for existing callers

__all__ = ["CLIError", "main"]


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bayesreg",
        description="A penalty is a prior: exact penalized fits and their posteriors.",
        epilog=(
            "exit status: 0 success, 1 an error reported on one line 'bayesreg: error: ...', "
            "2 a wrong command line, 130 interrupted.  'bayesreg COMMAND --help' documents "
            "each command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {bayesreg.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    fit.add_parser(sub)
    demo.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bayesreg`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 on success, 1 on an error reported on stderr as one line
        ``bayesreg: error: ...``, 130 when interrupted.  A wrong command line exits
        with status 2 through :mod:`argparse` (``SystemExit``).

    Notes
    -----
    Sampling asks JAX for one CPU device per chain (``jax_num_cpu_devices``) so that
    the chains run in parallel; this is a process-wide setting and only takes effect
    when nothing in the process has used JAX yet.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _build_parser().parse_args(argv)
    args.command_line = shlex.join(["bayesreg", *argv])
    try:
        args.run(args)
    except CLIError as err:
        print(f"bayesreg: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bayesreg: interrupted", file=sys.stderr)
        return 130
    return 0
