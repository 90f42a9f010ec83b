import sys

from wcount.cli import main

sys.exit(main())
