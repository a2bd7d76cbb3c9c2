"""`python -m app.cli ...` runs the command as `hybrid-search ...` does."""

import sys

from app.cli import main

sys.exit(main())
