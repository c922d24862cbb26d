"""The tasks the worker runs: typed tasks, each taking arq's ``ctx`` first."""

from .check_url import check_url
from .count_words import count_words

__all__ = ["check_url", "count_words"]
