"""The pytest plugin, as a project that installs queue-core sees it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = textwrap.dedent(
    """
    from litestar import Litestar
    from starlette.applications import Starlette
    from asgi_lifespan import LifespanManager

    from queue_core import ArqMode, MockArqQueue
    from queue_litestar import ArqConfig, ArqPlugin
    from queue_starlette import arq_lifespan


    def test_mock_arq_queue_is_a_fresh_mock(mock_arq_queue):
        assert isinstance(mock_arq_queue, MockArqQueue)
        assert mock_arq_queue.jobs() == []


    async def test_the_installed_mock_replaces_the_configured_queue(
        install_mock_arq_queue, mock_arq_queue
    ):
        app = Starlette(lifespan=arq_lifespan(mode=ArqMode.production))
        installed = install_mock_arq_queue(app)
        async with LifespanManager(app):
            await app.state.arq_queue.enqueue("noop")
        assert installed is mock_arq_queue
        assert [job.name for job in mock_arq_queue.jobs()] == ["noop"]


    def test_install_takes_a_state_key(install_mock_arq_queue):
        app = Litestar(plugins=[ArqPlugin(ArqConfig(mode="test", state_key="q"))])
        mock = install_mock_arq_queue(app, state_key="q")
        assert app.state.q is mock


    async def shout(ctx, text):
        return text.upper()


    class WorkerSettings:
        functions = [shout]


    async def test_run_arq_jobs_runs_the_test_mocks_jobs(
        run_arq_jobs, mock_arq_queue
    ):
        job = await mock_arq_queue.enqueue("shout", "hi")
        assert await run_arq_jobs(WorkerSettings) == 1
        assert (await mock_arq_queue.get_job_result(job.id)).result == "HI"
    """
)


def test_the_fixtures_work_in_a_fresh_pytest_session(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        """
        [pytest]
        asyncio_mode = auto
        asyncio_default_fixture_loop_scope = function
        filterwarnings = error
        """
    )
    pytester.makepyfile(test_user_app=USER_TESTS)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=4)


def test_each_test_gets_its_own_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_isolation="""
        import asyncio

        def test_first(mock_arq_queue):
            asyncio.run(mock_arq_queue.enqueue("noop"))
            assert len(mock_arq_queue.jobs()) == 1

        def test_second(mock_arq_queue):
            assert mock_arq_queue.jobs() == []
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)


def test_loading_the_plugin_imports_no_web_framework_nor_the_redis_client() -> None:
    frameworks = ("starlette", "fastapi", "litestar", "pytest_asyncio", "arq", "redis")
    code = (
        "import sys, queue_core.pytest_plugin; "
        f"print(sorted(m for m in {frameworks!r} if m in sys.modules))"
    )

    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    assert output.strip() == "[]"
