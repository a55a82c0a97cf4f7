"""`python -m app`: the same as the `clinic-clerk` command."""

import sys

from app.cli import main

sys.exit(main())
