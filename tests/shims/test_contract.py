"""What every framework shim does alike, asserted once for all three."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from arq.connections import RedisSettings

from queue_core import (
    ArqMode,
    EmbeddedArqQueue,
    MockArqQueue,
    RedisArqQueue,
    WorkerSettings,
)
from queue_core.pytest_plugin import InstallMockArqQueue
from tests import workers
from tests.conftest import WorkerProcess
from tests.shims.apps import post_job
from tests.shims.conftest import Shim


async def test_a_handler_enqueues_a_job_on_the_queue_the_app_opened(
    shim: Shim,
) -> None:
    app = shim.make_app(mode=ArqMode.test)
    async with shim.client(app) as client:
        response = await client.post("/jobs", params={"task": "add"}, json=[2, 3])
        queue = app.state.arq_queue
        assert isinstance(queue, MockArqQueue)
        (job,) = queue.jobs(name="add")

    assert response.status_code == 202
    assert response.json() == {"job_id": job.id, "status": "queued"}
    assert job.args == (2, 3)


async def test_the_queue_is_taken_off_app_state_at_shutdown(shim: Shim) -> None:
    app = shim.make_app(mode="test")
    async with shim.client(app):
        assert isinstance(app.state.arq_queue, MockArqQueue)

    assert not hasattr(app.state, "arq_queue")


async def test_handlers_read_metadata_and_results_as_the_mock_moves_a_job_along(
    shim: Shim, mocked_app: Any, mock_arq_queue: MockArqQueue
) -> None:
    async with shim.client(mocked_app) as client:
        job_id = await post_job(client, "echo", "hi")
        queued = await client.get(f"/jobs/{job_id}")
        unfinished = await client.get(f"/jobs/{job_id}/result")
        await mock_arq_queue.set_in_progress(job_id)
        running = await client.get(f"/jobs/{job_id}")
        await mock_arq_queue.set_complete(job_id, result="hi")
        complete = await client.get(f"/jobs/{job_id}")
        result = await client.get(f"/jobs/{job_id}/result")

    assert queued.json() == {
        "id": job_id,
        "name": "echo",
        "args": ["hi"],
        "status": "queued",
    }
    assert unfinished.status_code == 409
    assert running.json()["status"] == "in_progress"
    assert complete.json()["status"] == "complete"
    assert result.json() == {"success": True, "result": "hi"}


async def test_aborting_a_queued_job_completes_it_as_cancelled(
    shim: Shim, mocked_app: Any
) -> None:
    async with shim.client(mocked_app) as client:
        job_id = await post_job(client, "sleep", 10)
        aborted = await client.delete(f"/jobs/{job_id}")
        result = await client.get(f"/jobs/{job_id}/result")
        again = await client.delete(f"/jobs/{job_id}")

    assert aborted.status_code == 204
    assert result.json() == {"success": False, "result": "CancelledError"}
    assert again.status_code == 404


async def test_a_handler_retries_a_failed_job_through_the_apps_queue(
    shim: Shim, mocked_app: Any, mock_arq_queue: MockArqQueue
) -> None:
    async with shim.client(mocked_app) as client:
        job_id = await post_job(client, "fail", "boom")
        unfinished = await client.post(f"/jobs/{job_id}/retry")
        await mock_arq_queue.set_complete(
            job_id, result=workers.TaskFailedError("boom"), success=False
        )
        retried = await client.post(f"/jobs/{job_id}/retry")
        old = await client.get(f"/jobs/{job_id}/result")
        unknown = await client.post("/jobs/no-such-job/retry")

    assert unfinished.status_code == 409
    assert retried.status_code == 202
    new_id = retried.json()["job_id"]
    assert retried.json() == {"job_id": new_id, "retry_of": job_id}
    new = await mock_arq_queue.get_job_metadata(new_id)
    assert (new.name, new.args, new.kwargs) == ("fail", ("boom",), {})
    assert old.json() == {"success": False, "result": "TaskFailedError"}
    assert unknown.status_code == 404


@pytest.mark.redis
@pytest.mark.worker
async def test_production_mode_retries_a_failed_job_on_a_real_worker(
    shim: Shim,
    redis_settings: RedisSettings,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    arq_worker(program="queue-core")
    app = shim.make_app(mode=ArqMode.production, redis_settings=redis_settings)
    async with shim.client(app) as client:
        job_id = await post_job(client, "fail", "boom")
        failed = await client.get(f"/jobs/{job_id}/result", params={"wait": "true"})
        retried = await client.post(f"/jobs/{job_id}/retry")
        new_id = retried.json()["job_id"]
        again = await client.get(f"/jobs/{new_id}/result", params={"wait": "true"})

    assert (
        failed.json()
        == again.json()
        == {
            "success": False,
            "result": "TaskFailedError",
        }
    )
    assert new_id != job_id


async def test_an_unknown_id_or_another_queue_name_is_not_found(
    shim: Shim, mocked_app: Any
) -> None:
    async with shim.client(mocked_app) as client:
        job_id = await post_job(client, "noop", queue_name="reports")
        in_its_queue = await client.get(f"/jobs/{job_id}?queue_name=reports")
        in_default_queue = await client.get(f"/jobs/{job_id}")
        in_other_queue = await client.get(f"/jobs/{job_id}/result?queue_name=other")
        unknown_metadata = await client.get("/jobs/no-such-job")
        unknown_result = await client.get("/jobs/no-such-job/result")
        unknown_abort = await client.delete("/jobs/no-such-job")

    assert in_its_queue.json()["status"] == "queued"
    assert in_default_queue.status_code == 404
    assert in_other_queue.status_code == 404
    assert unknown_metadata.status_code == 404
    assert unknown_result.status_code == 404
    assert unknown_abort.status_code == 404


async def test_a_queue_already_on_app_state_is_used_and_left_open(
    shim: Shim, install_mock_arq_queue: InstallMockArqQueue
) -> None:
    # Production without Redis settings would fail to start: the mock wins.
    app = shim.make_app(mode=ArqMode.production)
    mock = install_mock_arq_queue(app)
    async with shim.client(app) as client:
        await post_job(client, "noop")

    assert app.state.arq_queue is mock
    assert [job.name for job in mock.jobs()] == ["noop"]


async def test_embedded_mode_runs_a_job_to_completion_in_an_in_process_worker(
    shim: Shim,
) -> None:
    settings = WorkerSettings(functions=[workers.add], poll_delay=0.05)
    app = shim.make_app(mode=ArqMode.embedded, worker_settings=settings)
    async with shim.client(app) as client:
        job_id = await post_job(client, "add", 2, 3)
        queue = app.state.arq_queue
        result = await client.get(f"/jobs/{job_id}/result", params={"wait": "true"})

    assert isinstance(queue, EmbeddedArqQueue)
    assert result.json() == {"success": True, "result": 5}
    assert not queue.server.running


@pytest.mark.redis
async def test_production_mode_enqueues_on_the_real_redis(
    shim: Shim, redis_settings: RedisSettings, redis_queue: RedisArqQueue
) -> None:
    app = shim.make_app(mode=ArqMode.production, redis_settings=redis_settings)
    async with shim.client(app) as client:
        job_id = await post_job(client, "echo", "hi")
        metadata = await client.get(f"/jobs/{job_id}")
        assert isinstance(app.state.arq_queue, RedisArqQueue)

    seen_from_outside = await redis_queue.get_job_metadata(job_id)
    assert metadata.json()["status"] == "queued"
    assert (seen_from_outside.name, seen_from_outside.args) == ("echo", ("hi",))


@pytest.mark.redis
@pytest.mark.worker
async def test_production_mode_runs_a_job_on_a_real_arq_worker(
    shim: Shim,
    redis_settings: RedisSettings,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    arq_worker()
    app = shim.make_app(mode=ArqMode.production, redis_settings=redis_settings)
    async with shim.client(app) as client:
        job_id = await post_job(client, "add", 2, 3)
        result = await client.get(f"/jobs/{job_id}/result", params={"wait": "true"})

    assert result.json() == {"success": True, "result": 5}


async def test_production_mode_without_redis_settings_fails_at_startup(
    shim: Shim,
) -> None:
    app = shim.make_app(mode=ArqMode.production)
    # Litestar reports startup errors in an exception group, the others bare.
    expected = pytest.RaisesGroup(
        pytest.RaisesExc(
            RuntimeError,
            match=r"^The redis_settings argument must be set for arq in production\.$",
        ),
        allow_unwrapped=True,
        flatten_subgroups=True,
    )
    with expected:
        async with shim.client(app):
            pass
