"""The example service's arq worker, and the tasks it runs."""
