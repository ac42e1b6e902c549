"""``python -m polytrain ...``: the same as the ``polytrain`` command."""

import sys

from polytrain.cli import main

sys.exit(main())
