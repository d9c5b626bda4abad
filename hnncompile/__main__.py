"""`python -m hnncompile` is the `hnncompile` command."""

import sys

from .cli import main

sys.exit(main())
