import sys

from redistrict.cli import main

sys.exit(main())
