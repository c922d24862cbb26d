"""The README shows the two commands and an example that really runs."""

from __future__ import annotations

import re

from queue_core import JobStatus
from queue_core.pytest_plugin import InstallMockArqQueue
from tests.conftest import REPO_ROOT, asgi_client, load_example
from tests.sync_docs import code_blocks, shown_text

README = (REPO_ROOT / "README.md").read_text()


def test_the_readme_example_is_the_tested_file_verbatim() -> None:
    [example] = [
        block
        for block in code_blocks(REPO_ROOT / "README.md")
        if block.lang == "python"
    ]

    assert example.title == "docs/examples/readme_app.py"
    assert example.body == shown_text(example.title)


def test_the_readme_shows_exactly_the_demo_and_the_test_command() -> None:
    shell_blocks = re.findall(r"```sh\n(.*?)```", README, re.DOTALL)
    commands = [
        line.split("#")[0].strip()
        for block in shell_blocks
        for line in block.splitlines()
        if line.startswith("uv ")
    ]

    assert commands == ["uv run queue-core demo", "uv run pytest"]


async def test_the_readme_app_queues_a_report_and_serves_its_result(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = load_example("readme_app").app
    mock = install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        created = await client.post("/reports", params={"period": "2026-Q3"})
        job_id = created.json()["job_id"]
        queued = (await client.get(f"/reports/{job_id}")).json()
        await mock.set_complete(job_id, result={"rows": 3})
        done = (await client.get(f"/reports/{job_id}")).json()
        missing = await client.get("/reports/nope")

    assert created.status_code == 202
    assert [job.args for job in mock.jobs(name="build_report")] == [("2026-Q3",)]
    assert queued == {"status": JobStatus.queued}
    assert done == {"status": "complete", "success": True, "report": {"rows": 3}}
    assert missing.status_code == 404
