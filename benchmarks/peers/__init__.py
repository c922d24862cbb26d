"""queue-core's worker against arq, streaq, saq and taskiq, in one run.

Only the standard library is imported here and in `jobs` and `client`: the
peers' workers and clients import them from their own virtualenvs.
"""
