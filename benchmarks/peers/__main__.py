"""Run the comparison: ``uv run --group bench python -m benchmarks.peers [--quick]``."""

import sys

from benchmarks.peers.cli import main

sys.exit(main())
