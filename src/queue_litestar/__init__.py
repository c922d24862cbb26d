"""Litestar integration: a plugin that opens the arq queue for the app."""

from ._plugin import ArqConfig, ArqPlugin

__all__ = ["ArqConfig", "ArqPlugin"]
