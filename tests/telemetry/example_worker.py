"""The FastAPI example's worker, exporting its spans to a file for the tests.

Run as ``python -m arq tests.telemetry.example_worker.WorkerSettings`` with
the example's ``APP_*`` variables and ``$QUEUE_CORE_TEST_SPANS``.
"""

from tests.telemetry.spans import export_spans_to_file

export_spans_to_file("arq-worker")

from examples.fastapi_app.worker.main import WorkerSettings  # noqa: E402

__all__ = ["WorkerSettings"]
