"""``python -m command_center`` runs the CLI."""

import sys

from command_center.cli import main

sys.exit(main())
