"""``python -m polytrain ...``: the same as the ``polytrain`` command."""

import sys

from polytrain.commands import main

if __name__ == "__main__":  # importing the module (e.g. pkgutil.walk_packages) must not run the CLI
    sys.exit(main())
