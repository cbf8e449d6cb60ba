"""Child processes that end with the process that started them, however it ends (SIGKILL included).

A process killed with ``kill -9`` (or by the OOM killer) runs no cleanup, so its children have to be
told by the kernel: otherwise a pool worker finishes its task and then waits forever for the next
one, keeping multiprocessing's resource tracker alive with it, and a tool run goes on for as long as
its time-out allows. On Linux every child started here asks for SIGKILL when its parent ends
(``prctl(PR_SET_PDEATHSIG)``); the resource tracker then reads the end of its pipe and exits by
itself. Elsewhere (macOS, Windows), or where prctl fails, nothing is set: children behave as plain
ones and may outlive a killed parent.

The kernel's "parent" is the *thread* that started the child, so children are started here only
from threads that outlive them: :func:`run` waits for its child, and a pool's workers are started
by the thread that submits to it (or its manager thread), both of which outlast the pool.

Only the child itself is tied. Its own children (make's compiler runs, iverilog's preprocessor)
end when their work or their pipes do.
"""

import concurrent.futures
import ctypes
import functools
import multiprocessing
import os
import signal
import subprocess
import sys

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _load_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


_PRCTL = _load_prctl()


def die_with_parent(parent_pid: int) -> None:
    """Have the calling process killed when its parent, *parent_pid*, ends (a no-op off Linux).

    Called in the child: first thing in a pool worker, or between fork and exec of a tool.
    """
    if _PRCTL is None or _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    if os.getppid() != parent_pid:  # the parent ended before the request: no signal will come
        os.kill(os.getpid(), signal.SIGKILL)


def run(args, **kwargs) -> subprocess.CompletedProcess:
    """:func:`subprocess.run`, the child killed when this process ends."""
    if _PRCTL is not None:
        kwargs["preexec_fn"] = functools.partial(die_with_parent, os.getpid())
    return subprocess.run(args, **kwargs)


def process_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of *workers* processes that end with this one.

    Spawned, not forked: a worker inherits no threads, locks or open database handles.
    """
    context = multiprocessing.get_context("spawn")
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=context, initializer=die_with_parent,
                                                  initargs=(os.getpid(),))
