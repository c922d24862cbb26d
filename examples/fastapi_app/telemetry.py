"""Queue metrics for Prometheus, from the app and from its worker.

queue-core reports through the OpenTelemetry metrics API; OpenTelemetry's
Prometheus exporter turns that into prometheus_client's registry, which the
app serves at ``/metrics`` and the worker on a port of its own.
"""

from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import make_asgi_app, start_http_server
from starlette.types import ASGIApp

__all__ = ["export_metrics_to_prometheus", "metrics_app", "serve_metrics"]


def export_metrics_to_prometheus() -> None:
    """Route this process's OpenTelemetry metrics to Prometheus's registry."""
    metrics.set_meter_provider(MeterProvider(metric_readers=[PrometheusMetricReader()]))


def metrics_app() -> ASGIApp:
    """The ``/metrics`` endpoint, to mount in the web app."""
    app: ASGIApp = make_asgi_app()
    return app


def serve_metrics(port: int) -> None:
    """Serve ``/metrics`` from a worker process, on loopback at ``port``."""
    export_metrics_to_prometheus()
    start_http_server(port, addr="127.0.0.1")
