"""``python -m streams`` runs the ``dafnck`` command."""

from __future__ import annotations

import sys

from streams.tooling.cli.main import main

sys.exit(main())
