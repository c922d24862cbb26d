"""queue-core's worker process against arq's, on real Redis."""
