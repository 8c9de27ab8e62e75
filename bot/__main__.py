"""``python -m bot`` runs the ``praatmee`` command line."""

import sys

from bot.cli import main

sys.exit(main())
