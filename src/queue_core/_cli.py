"""The queue-core command line."""


def main() -> None:
    """Run the command line."""
