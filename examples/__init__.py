"""Runnable examples of queue-core, tested by the suite."""
