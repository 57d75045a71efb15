"""``python -m bayesreg.cli``: the ``bayesreg`` command."""

import sys

from bayesreg.cli import main

sys.exit(main())
