"""Typed tasks: arq worker functions that carry their argument and result types."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Concatenate, Generic, ParamSpec, cast, overload

import arq.worker
from arq.typing import SecondsTimedelta, WorkerCoroutine
from arq.worker import Function, func
from typing_extensions import TypeVar

from ._jobs import JobSpec

__all__ = ["Task", "TaskOptions", "task"]

P = ParamSpec("P")
R = TypeVar("R")

# arq annotates Function.coroutine with a name it imports only for type
# checkers; without it in arq.worker, typing.get_type_hints fails on Function
# and so on Task (FastAPI, Litestar and our tests evaluate hints at runtime).
vars(arq.worker).setdefault("WorkerCoroutine", WorkerCoroutine)


class Task(Function, Generic[P, R]):
    """An arq worker function that knows its arguments and its result type.

    Made by `task`. It is an `arq.worker.Function`, so arq's worker registers
    it as it is (under `name`), and it stays callable as the function it
    wraps: ``await build_report(ctx, "2026-11")``. `ArqQueue.enqueue` takes
    it in place of the name, and type checkers then check the arguments
    (``P``, the function's parameters after ``ctx``) and type the result
    (``R``).
    """

    __name__: str
    """The function's name (its ``__qualname__`` too, and more, is copied)."""

    def __call__(
        self, ctx: dict[Any, Any], /, *args: P.args, **kwargs: P.kwargs
    ) -> Coroutine[Any, Any, R]:
        """Call the function itself, as arq's worker does (for unit tests)."""
        return cast(Coroutine[Any, Any, R], self.coroutine(ctx, *args, **kwargs))

    def options(
        self,
        *,
        job_id: str | None = None,
        queue_name: str | None = None,
        defer_until: datetime | None = None,
        defer_by: SecondsTimedelta | None = None,
        expires: SecondsTimedelta | None = None,
        job_try: int | None = None,
    ) -> TaskOptions[P, R]:
        """This task with `ArqQueue.enqueue`'s options, for `enqueue` or `spec`.

        Each option means what the underscored one of `ArqQueue.enqueue`
        means: ``queue.enqueue(build_report.options(job_id="r-1"), "2026-11")``.
        They are checked when the job is enqueued.
        """
        return TaskOptions(
            self,
            job_id=job_id,
            queue_name=queue_name,
            defer_until=defer_until,
            defer_by=defer_by,
            expires=expires,
            job_try=job_try,
        )

    def spec(self, *args: P.args, **kwargs: P.kwargs) -> JobSpec:
        """A job of this task for `ArqQueue.enqueue_many`, its arguments checked."""
        return JobSpec(self.name, args, kwargs)


@dataclass(frozen=True, slots=True)
class TaskOptions(Generic[P, R]):
    """A task with enqueue options, made by `Task.options`."""

    task: Task[P, R]
    """The task to run."""

    job_id: str | None = None
    """As ``_job_id``: a fixed id, so a second job with it is refused."""

    queue_name: str | None = None
    """As ``_queue_name``; `None` means the queue's default queue."""

    defer_until: datetime | None = None
    """As ``_defer_until``: do not run before this time."""

    defer_by: SecondsTimedelta | None = None
    """As ``_defer_by``: do not run for this many seconds."""

    expires: SecondsTimedelta | None = None
    """As ``_expires``: do not start or retry the job after this long."""

    job_try: int | None = None
    """As ``_job_try``: the try number to record, when re-enqueueing."""

    def spec(self, *args: P.args, **kwargs: P.kwargs) -> JobSpec:
        """A job of the task with these options, for `ArqQueue.enqueue_many`."""
        return JobSpec(
            self.task.name,
            args,
            kwargs,
            job_id=self.job_id,
            queue_name=self.queue_name,
            defer_until=self.defer_until,
            defer_by=self.defer_by,
            expires=self.expires,
            job_try=self.job_try,
        )


TaskFunction = Callable[Concatenate[dict[Any, Any], P], Coroutine[Any, Any, R]]
"""What `task` decorates: ``async def f(ctx, ...) -> R``."""


@overload
def task(coroutine: TaskFunction[P, R], /) -> Task[P, R]: ...


@overload
def task(
    *,
    name: str | None = None,
    timeout: SecondsTimedelta | None = None,
    keep_result: SecondsTimedelta | None = None,
    keep_result_forever: bool | None = None,
    max_tries: int | None = None,
) -> Callable[[TaskFunction[P, R]], Task[P, R]]: ...


def task(
    coroutine: TaskFunction[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    timeout: SecondsTimedelta | None = None,
    keep_result: SecondsTimedelta | None = None,
    keep_result_forever: bool | None = None,
    max_tries: int | None = None,
) -> Task[P, R] | Callable[[TaskFunction[P, R]], Task[P, R]]:
    """Make an arq worker coroutine a `Task`, bare (``@task``) or with options.

    The options are `arq.worker.func`'s, converted as it converts them: the
    name to register (default: the function's ``__qualname__``), the longest
    a job may run, how long its result is kept (0: not kept), whether it is
    kept forever, and the most tries (each default: the worker's).

    Raises:
        TypeError: The decorated object is not an ``async def`` function, or
            is a task already.
    """

    def decorate(coroutine: TaskFunction[P, R]) -> Task[P, R]:
        if isinstance(coroutine, Task):
            msg = f"{coroutine.name!r} is a task already"
            raise TypeError(msg)
        try:
            # arq's own wrapper, so name and durations are what arq makes them.
            wrapped = func(
                cast(WorkerCoroutine, coroutine),
                name=name,
                keep_result=keep_result,
                timeout=timeout,
                keep_result_forever=keep_result_forever,
                max_tries=max_tries,
            )
        except RuntimeError as exc:
            raise TypeError(str(exc)) from None
        made: Task[P, R] = Task(
            wrapped.name,
            wrapped.coroutine,
            wrapped.timeout_s,
            wrapped.keep_result_s,
            wrapped.keep_result_forever,
            wrapped.max_tries,
        )
        # Name, docstring and signature of the function, for docs and debuggers.
        functools.update_wrapper(made, coroutine)
        return made

    if coroutine is None:
        return decorate
    return decorate(coroutine)
