"""Where a sweep's tasks run: in this process, on a local process pool, or on a Dask cluster.

Each executor has the same three methods the coordinator calls: ``submit(function, *args)`` returns a
future, ``wait_any(futures)`` the finished ones among them, ``close()`` ends the workers.
"""

import concurrent.futures
import os
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool

from hwgen import lifetime


class InlineExecutor:
    """Runs each task at once in this process (one design from `hwgen synth`, or --jobs 1 debugging)."""

    def submit(self, function: Callable, *args) -> concurrent.futures.Future:
        future = concurrent.futures.Future()
        try:
            future.set_result(function(*args))
        except Exception as error:
            future.set_exception(error)
        return future

    def wait_any(self, futures: Iterable) -> set:
        return set(futures)

    def close(self) -> None:
        pass


class LocalExecutor:
    """A process pool of *jobs* workers (spawned), which end with this process however it ends."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool = self._new_pool()

    def _new_pool(self):
        return lifetime.process_pool(self.jobs)

    def submit(self, function: Callable, *args):
        try:
            return self._pool.submit(function, *args)
        except BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)  # a worker died: start a fresh pool
            self._pool = self._new_pool()
            return self._pool.submit(function, *args)

    def wait_any(self, futures: Iterable) -> set:
        return concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED).done

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Tasks on a Dask distributed cluster (the workers need hwgen and the tools installed)."""

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise ValueError("--scheduler needs Dask: pip install 'hwgen[sweep]'") from None
        try:
            self.client = Client(address, timeout="30s")
        except OSError as error:
            raise ValueError(f"cannot reach the Dask scheduler at {address}: {error}") from None

    def submit(self, function: Callable, *args):
        return self.client.submit(function, *args, pure=False)

    def wait_any(self, futures: Iterable) -> set:
        from distributed import wait

        return set(wait(list(futures), return_when="FIRST_COMPLETED").done)

    def close(self) -> None:
        self.client.close()


def make_executor(jobs: int | None = None, scheduler: str | None = None):
    if scheduler:
        return DaskExecutor(scheduler)
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"--jobs must be an integer >= 1, not {jobs!r}")
    return LocalExecutor(jobs)


__all__ = ["DaskExecutor", "InlineExecutor", "LocalExecutor", "make_executor"]
