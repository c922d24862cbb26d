"""Benchmarks: queue-core against a safir-style baseline, raw arq and Redis."""
