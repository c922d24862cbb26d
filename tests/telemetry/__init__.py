"""Telemetry tests: spans and metrics through the OpenTelemetry SDK."""
