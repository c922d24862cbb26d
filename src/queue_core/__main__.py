"""``python -m queue_core``: the ``queue-core`` command line."""

from queue_core._cli import main

main()
