"""`python -m bots` runs the supportbot CLI."""

from __future__ import annotations

import sys

from bots.cli import main

sys.exit(main())
