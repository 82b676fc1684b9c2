"""Executors: where the chunks of a sweep run, behind one interface.

An executor maps a module-level function ``fn(context, task)`` over an iterator of tasks
and yields the results as they finish, in any order. The context (the base scenario and
what to record) is sent to each worker once; tasks are small (which runs to do).

- `SerialExecutor`: in this process, one task after the other.
- `ProcessExecutor`: local worker processes (default: one per core), started from a
  multiprocessing *context object* (`forkserver` where the platform has it, else `spawn`)
  so the calling program's start method is left alone. The fork server imports the
  simulation once (`start_worker_server`) and forks every worker from it, so workers start
  in milliseconds once it is up. Workers ignore Ctrl-C; the caller cancels what is queued
  and stops the workers.
- `DaskExecutor`: a Dask distributed cluster, either a `LocalCluster` of worker processes
  started here (``"local"``) or a running scheduler at an address
  (``"tcp://host:8786"``). Workers need only this package installed. Needs the `dask`
  extra.

Every worker, local or on Dask, runs with the project's memory-allocator settings
(`ALLOCATOR`, applied by `tune_allocator`), not with those of the program that started it:
Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which makes glibc
return and fault in the simulation's large temporary arrays every month and costs about
2.4 times the CPU.

Only a bounded number of tasks is in flight at a time (a few per worker), so memory does
not grow with the number of tasks and tasks can be generated lazily.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import socket
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from alliance_sim.errors import InputError

TaskFn = Callable[[Any, Any], Any]
"""A task function: (context, task) -> result. Must be importable (module level)."""


ALLOCATOR = {"M_MMAP_THRESHOLD": 32 << 20, "M_TRIM_THRESHOLD": 64 << 20}
"""glibc `mallopt` settings of every worker: arrays up to 32 MiB come from the heap and
freed memory is returned to the system only above 64 MiB at the top of the heap (the
values glibc's own adaptive thresholds reach on this workload)."""

_MALLOPT_PARAMETERS = {"M_TRIM_THRESHOLD": -1, "M_MMAP_THRESHOLD": -3}

WORKER_MODULES = ("alliance_sim.runs.pipeline",)
"""Modules the fork server imports once, before it forks workers."""


def tune_allocator() -> bool:
    """Give this process the project's allocator settings (`ALLOCATOR`); glibc only.

    Returns:
        Whether the settings were applied (False on other C libraries).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return all(mallopt(_MALLOPT_PARAMETERS[name], value) == 1 for name, value in ALLOCATOR.items())


def cpu_count() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Executor(ABC):
    """Runs tasks and yields their results as they finish.

    Attributes:
        name: Short name for the manifest (`serial`, `processes`, `dask`).
        workers: Number of tasks that run at the same time.
    """

    name: str = "executor"
    workers: int = 1

    @abstractmethod
    def map_unordered(self, fn: TaskFn, context: Any, tasks: Iterable[Any]) -> Iterator[Any]:
        """Run ``fn(context, task)`` for every task; yield results in completion order.

        Closing the iterator early (or an exception, such as KeyboardInterrupt, while it
        is suspended) cancels the tasks that have not started.
        """

    def warm(self, context: Any) -> None:  # noqa: B027 - most executors have nothing to start
        """Start workers ahead of `map_unordered` with the same context (optional)."""

    def close(self) -> None:  # noqa: B027 - most executors hold nothing to release
        """Release workers and connections."""

    def describe(self) -> str:
        """One line for the terminal and the manifest."""
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs every task in this process, in order."""

    name = "serial"
    workers = 1

    def map_unordered(self, fn: TaskFn, context: Any, tasks: Iterable[Any]) -> Iterator[Any]:
        """Run the tasks one after the other."""
        for task in tasks:
            yield fn(context, task)


# --- Local processes -------------------------------------------------------------------

_WORKER_CONTEXT: Any = None


def _init_worker(context: Any) -> None:
    """Worker start-up: keep the context; leave Ctrl-C to the parent; the project's allocator."""
    global _WORKER_CONTEXT
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tune_allocator()
    _WORKER_CONTEXT = context


def _call(fn: TaskFn, task: Any) -> Any:
    return fn(_WORKER_CONTEXT, task)


def _ready() -> None:
    """A task that does nothing: submitting one starts a worker."""


def default_start_method() -> str:
    """`forkserver` where available (safe with threads, imports once), else `spawn`."""
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def start_worker_server(start_method: str | None = None) -> None:
    """Start the fork server now, importing `WORKER_MODULES` once (returns at once).

    Worker processes are then forked from it ready to run. Does nothing for other start
    methods, or when the fork server already runs.
    """
    if (start_method or default_start_method()) != "forkserver":
        return
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", *WORKER_MODULES])
    forkserver.ensure_running()


class ProcessExecutor(Executor):
    """Local worker processes.

    Args:
        workers: Number of processes (default: every core this process may use).
        start_method: `forkserver`, `spawn` or `fork` (default: `default_start_method`).
            Used through a context object; the process-wide default is left alone.
        in_flight: Tasks queued per worker.
    """

    name = "processes"

    def __init__(self, workers: int | None = None, *, start_method: str | None = None, in_flight: int = 2) -> None:
        self.workers = max(1, int(workers or cpu_count()))
        self.start_method = start_method or default_start_method()
        self.in_flight = max(1, in_flight)
        self._pool: ProcessPoolExecutor | None = None
        self._context: Any = None

    def warm(self, context: Any) -> None:
        """Start the worker processes now (they import the package while the caller works)."""
        pool = self._start(context)
        for _ in range(self.workers):
            pool.submit(_ready)

    def _start(self, context: Any) -> ProcessPoolExecutor:
        if self._pool is not None and self._context is context:
            return self._pool
        if self._pool is not None:
            _stop(self._pool, set())
        start_worker_server(self.start_method)
        mp_context = multiprocessing.get_context(self.start_method)
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=mp_context, initializer=_init_worker, initargs=(context,)
        )
        self._context = context
        return self._pool

    def map_unordered(self, fn: TaskFn, context: Any, tasks: Iterable[Any]) -> Iterator[Any]:
        """Run the tasks in the worker processes."""
        pool = self._start(context)
        window = self.workers * self.in_flight
        pending: set[Future[Any]] = set()
        source = iter(tasks)
        finished = False
        try:
            exhausted = False
            while True:
                while not exhausted and len(pending) < window:
                    task = next(source, _END)
                    if task is _END:
                        exhausted = True
                        break
                    pending.add(pool.submit(_call, fn, task))
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
            finished = True
        finally:
            self._pool, self._context = None, None
            if finished:
                pool.shutdown(wait=True)
            else:
                _stop(pool, pending)

    def close(self) -> None:
        """Stop the pool of a map that is still open (or of `warm` without a map)."""
        if self._pool is not None:
            _stop(self._pool, set())
            self._pool, self._context = None, None


_END = object()


def _stop(pool: ProcessPoolExecutor, pending: set[Future[Any]]) -> None:
    """Cancel queued tasks and stop the workers now (their chunks are lost, not written)."""
    for future in pending:
        future.cancel()
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=2)


# --- Dask ------------------------------------------------------------------------------


_TUNED: set[tuple[str, int]] = set()


def _dask_call(fn: TaskFn, client_process: tuple[str, int], context: Any, task: Any) -> Any:
    """Run one task on a Dask worker, first giving a worker process the project's allocator settings.

    A worker that runs in the client's own process (a cluster of threads) is left alone.
    """
    here = _this_process()
    if here not in _TUNED:
        _TUNED.add(here)
        if here != client_process:
            tune_allocator()
    return fn(context, task)


def _this_process() -> tuple[str, int]:
    """(host name, process id): tells a cluster's processes apart."""
    return socket.gethostname(), os.getpid()


class DaskExecutor(Executor):
    """A Dask distributed cluster.

    Args:
        address: ``"local"`` to start a `LocalCluster` here, or a scheduler address
            such as ``"tcp://scheduler.example.org:8786"``.
        workers: Workers of a local cluster (default: every core).
        processes: Local cluster of worker processes (True, the default), or threads in
            this process (False: quick to start, but they share one interpreter).
        in_flight: Tasks queued per worker thread.

    A local cluster's worker processes start without the nanny's
    ``MALLOC_TRIM_THRESHOLD_``; on every cluster, each worker applies the project's
    allocator settings (`tune_allocator`) before its first task.
    """

    name = "dask"

    def __init__(
        self,
        address: str = "local",
        *,
        workers: int | None = None,
        processes: bool = True,
        in_flight: int = 2,
    ) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - depends on the installation
            raise InputError(
                "Dask is not installed; install the extra: pip install 'alliance-sim[dask]'", field="dask"
            ) from None
        self.address = address
        self.processes = processes
        self.in_flight = max(1, in_flight)
        self._cluster = None
        if address == "local":
            n = max(1, int(workers or cpu_count()))
            with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                self._cluster = LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=processes,
                    dashboard_address=None,
                    silence_logs=40,
                )
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(address, timeout=10)
            except OSError as exc:
                raise InputError(f"cannot reach the Dask scheduler at {address}: {exc}", field="dask") from None
        threads = self._client.nthreads()
        self.workers = max(1, sum(threads.values()))
        self.process_count = len(set(self._client.run(_this_process).values())) if threads else 0

    def describe(self) -> str:
        """One line for the terminal and the manifest: what runs the tasks, truthfully."""
        if self._cluster is not None and not self.processes:
            return f"dask local cluster ({_count(self.workers, 'worker thread')} in this process)"
        where = "local cluster" if self._cluster is not None else self.address
        threads = "" if self.workers == self.process_count else f", {_count(self.workers, 'thread')} in all"
        return f"dask {where} ({_count(self.process_count, 'worker process', 'es')}{threads})"

    def map_unordered(self, fn: TaskFn, context: Any, tasks: Iterable[Any]) -> Iterator[Any]:
        """Run the tasks on the cluster; the context is scattered to every worker once."""
        from distributed import as_completed

        client = self._client
        shared = client.scatter(context, broadcast=True, hash=False)
        me = _this_process()
        window = self.workers * self.in_flight
        source = iter(tasks)
        running = as_completed()
        pending = set()
        finished = False
        try:
            for task in source:
                future = client.submit(_dask_call, fn, me, shared, task, pure=False)
                running.add(future)
                pending.add(future)
                if len(pending) >= window:
                    break
            for future in running:
                pending.discard(future)
                result = future.result()
                future.release()
                task = next(source, _END)
                if task is not _END:
                    new = client.submit(_dask_call, fn, me, shared, task, pure=False)
                    running.add(new)
                    pending.add(new)
                yield result
            finished = True
        finally:
            if not finished and pending:
                client.cancel(list(pending), force=True)
            shared.release()

    def close(self) -> None:
        """Close the client, and the local cluster if this executor started it."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _count(n: int, noun: str, plural: str = "s") -> str:
    return f"{n} {noun}{plural if n != 1 else ''}"


def make_executor(workers: int | None = None, dask: str | None = None) -> Executor:
    """The executor the command line asks for.

    Args:
        workers: Number of local workers (default: every core); 1 runs in this process.
        dask: ``"local"`` or a scheduler address to use Dask instead.

    Returns:
        The executor.
    """
    if dask:
        return DaskExecutor(dask, workers=workers)
    n = workers or cpu_count()
    if n <= 1:
        return SerialExecutor()
    return ProcessExecutor(n)
