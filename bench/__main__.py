"""`python -m bench`: run the benchmarks and write bench/results.json."""

import sys

from bench.runner import main

sys.exit(main())
