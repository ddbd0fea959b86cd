"""``python -m gate.window``: the window's command line (``gate.window.command``)."""

import sys

from gate.window.command import main

sys.exit(main())
