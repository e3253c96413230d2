"""`python -m learning.content.factbase check DIR [--seeds DIR]`."""

import sys

from learning.content.factbase.cli import main

sys.exit(main(sys.argv[1:]))
