import sys

from jobs.main import main

sys.exit(main())
