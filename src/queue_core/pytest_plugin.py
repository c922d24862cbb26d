"""pytest fixtures for apps that use queue-core (loaded automatically)."""
