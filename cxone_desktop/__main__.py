"""`python -m cxone_desktop` behaves exactly like the `cxone-desktop` script."""

import sys

from cxone_desktop.cli import main

sys.exit(main())
