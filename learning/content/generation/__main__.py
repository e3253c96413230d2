"""`python -m learning.content.generation preview|stats`."""

import sys

from learning.content.generation.cli import main

sys.exit(main(sys.argv[1:]))
