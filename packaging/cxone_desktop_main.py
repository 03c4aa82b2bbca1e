"""Entry point of the frozen app: the same `main` as the `cxone-desktop` console script."""

import sys

from cxone_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
