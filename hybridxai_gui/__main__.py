"""`python -m hybridxai_gui`: the desktop app."""

import sys

from .app import main

sys.exit(main())
