"""``python -m polytrain.inspect``: the same as ``polytrain inspect``."""

import sys

from polytrain.inspect.command import main

if __name__ == "__main__":
    sys.exit(main())
