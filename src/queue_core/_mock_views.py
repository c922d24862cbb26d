"""safir's private mock state, ``_job_metadata`` and ``_job_results``, as live views.

safir's `MockArqQueue` offers no public way to list jobs, so apps' tests read
its dicts of queue name -> {job id: model}. These views keep that shape over
the mock's real state, so such tests pass unchanged; new tests use
`MockArqQueue.jobs` and `ArqQueue.list_jobs` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from typing_extensions import override

__all__ = ["JobsByQueue"]

_Model = TypeVar("_Model")


class _QueueJobs(Mapping[str, _Model]):
    """One queue's jobs, by id, read from the mock at each access."""

    __slots__ = ("_queue_name", "_read")

    def __init__(
        self, queue_name: str, read: Callable[[str], dict[str, _Model]]
    ) -> None:
        self._queue_name = queue_name
        self._read = read

    @override
    def __getitem__(self, job_id: str) -> _Model:
        return self._read(self._queue_name)[job_id]

    @override
    def __iter__(self) -> Iterator[str]:
        return iter(self._read(self._queue_name))

    @override
    def __len__(self) -> int:
        return len(self._read(self._queue_name))

    @override
    def __repr__(self) -> str:
        return repr(self._read(self._queue_name))


class JobsByQueue(Mapping[str, Mapping[str, _Model]], Generic[_Model]):
    """Queue name -> {job id: model}, in step with a mock's jobs.

    The queue names are those registered (the default queue, and any name
    given to `setdefault`, which stays listed with no jobs, as in safir's
    mock) followed by every other queue that holds a job. Each queue's
    mapping is live: it sees jobs enqueued or finished after it was taken.

    Args:
        registered: The mock's registered queue names (shared, not copied).
        queue_names: Every queue name that holds a job now.
        read: One queue's models by job id, read now.
    """

    __slots__ = ("_queue_names", "_read", "_registered")

    def __init__(
        self,
        registered: dict[str, None],
        queue_names: Callable[[], Iterable[str]],
        read: Callable[[str], dict[str, _Model]],
    ) -> None:
        self._registered = registered
        self._queue_names = queue_names
        self._read = read

    def _names(self) -> dict[str, None]:
        names = dict(self._registered)
        names.update(dict.fromkeys(self._queue_names()))
        return names

    @override
    def __getitem__(self, queue_name: str) -> Mapping[str, _Model]:
        if queue_name not in self._names():
            raise KeyError(queue_name)
        return _QueueJobs(queue_name, self._read)

    @override
    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    @override
    def __len__(self) -> int:
        return len(self._names())

    @override
    def __repr__(self) -> str:
        return repr({name: dict(self[name]) for name in self})

    def setdefault(
        self, queue_name: str, default: Mapping[str, Any] | None = None
    ) -> Mapping[str, _Model]:
        """Register a queue name (safir's way to use another queue).

        Raises:
            TypeError: ``default`` holds jobs: these views are read-only;
                enqueue jobs instead.
        """
        if default:
            msg = "the mock's job views are read-only: enqueue jobs instead"
            raise TypeError(msg)
        self._registered.setdefault(queue_name)
        return _QueueJobs(queue_name, self._read)
