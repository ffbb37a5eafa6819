"""``python -m gwsim``: the command line (see :mod:`gwsim.cli`)."""

import sys

from gwsim.cli import main

if __name__ == "__main__":
    sys.exit(main())
