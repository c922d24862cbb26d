"""The typed-tasks page's examples run and say what the page says they do."""

from __future__ import annotations

from tests.conftest import run_python


def test_the_typed_tasks_example_runs_its_jobs_on_an_embedded_worker() -> None:
    done = run_python("docs/examples/typed_tasks.py")

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "build_report -> Report(month='2026-11', pages=2)",
        "refused a second send-2026-11",
        "reports.send (send-2026-11) -> 2026-11 sent to ops@example.test",
        "batch -> ['build_report', 'build_report', 'reports.send']",
    ]


def test_the_typed_tasks_testing_example_passes_under_pytest() -> None:
    done = run_python(
        "-m",
        "pytest",
        "docs/examples/test_typed_tasks.py",
        "-q",
        "-p",
        "no:cacheprovider",
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_the_string_form_and_a_typed_task_enqueue_the_same_job() -> None:
    done = run_python("docs/examples/string_names.py")

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "r-1 build_report ('2026-11',)",
        "r-2 build_report ('2026-11',)",
    ]
