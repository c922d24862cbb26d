"""Reliability: Redis outages, failover, load, corrupt data and secrets."""
