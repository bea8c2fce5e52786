"""``python -m sage_tui`` runs the command line."""

import sys

from .cli import main

sys.exit(main())
