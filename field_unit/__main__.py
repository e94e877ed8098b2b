"""``python -m field_unit`` runs the CLI."""

import sys

from field_unit.cli import main

sys.exit(main())
