"""The ``queue-core`` command line: look at and operate arq queues, or run the demo.

One module per concern: `_app` holds the group, the shared options and how
a command runs and fails; `_output` how results are printed; the others
hold commands, which register on the group when imported here. A command
that prints a result takes `_json_option`; the group refuses ``--json``
(or any shared option) before a command that does not take it.
"""

from __future__ import annotations

from queue_core._cli import (
    _browse_command,
    _demo_command,
    _job_commands,
    _stats_command,
    _worker_command,
    _workers_command,
)
from queue_core._cli._app import PASSWORD_ENV, SERIALIZER_ENV, URL_ENV, cli
from queue_core._exceptions import ExitCode

__all__ = ["PASSWORD_ENV", "SERIALIZER_ENV", "URL_ENV", "ExitCode", "cli", "main"]

_COMMANDS: tuple[object, ...] = (
    _browse_command,
    _demo_command,
    _job_commands,
    _stats_command,
    _worker_command,
    _workers_command,
)
"""Modules imported for the commands they register on `cli`."""


def main() -> None:
    """Run the command line (the ``queue-core`` console script)."""
    cli(prog_name="queue-core")
