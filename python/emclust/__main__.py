"""``python -m emclust``: the emclust command line."""

import sys

from .cli import main

sys.exit(main())
