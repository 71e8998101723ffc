"""Untrusted workbooks are read in a child process whose memory is capped: the second line of defence.

The guard (analytics.ingest.extent) refuses what it can count before the reader builds anything. Whatever it
could miss (a reader's behaviour nobody has thought of), the reading itself happens in a child process whose
address space may grow by at most READ_MEMORY_BYTES (`resource.setrlimit(RLIMIT_AS)`) and whose time is capped:
a child that runs out of memory, aborts (python-calamine aborts on a failed allocation) or hangs is ended, and
the import gets a clear message naming the file. The process serving every session is never touched.

Children are forked from a `forkserver` started once, which has already imported the reader (pyarrow, numpy,
python-calamine): a read costs one fork (a few milliseconds), not a new interpreter. `fork` from the server
itself is avoided: it runs threads (one per session), and a forked copy of a lock held by another thread
would hang the child.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from multiprocessing import spawn
from pathlib import Path

from analytics.ingest.problems import ImportProblem

READ_MEMORY_BYTES = 4 * 1024 ** 3   # address space one read may add to the child (resident: about 2.5 GB at MAX_CELLS)
READ_SECONDS = 300                   # a read taking longer is stopped (a 100 000-row workbook takes about 3 s)
PRELOAD = ["analytics.ingest.warm_reader"]

NAME = "cockpit-read"

_context = None
_context_lock = threading.Lock()


def _preparation_data(name):
    """multiprocessing's data for a new child, without the parent's main module for our readers: the child
    would import it again (the `streamlit` launcher, the CLI, pytest) before reading, for nothing."""
    data = _original_preparation_data(name)
    if name == NAME:
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


_original_preparation_data = spawn.get_preparation_data
spawn.get_preparation_data = _preparation_data


def _get_context():
    global _context
    with _context_lock:
        if _context is None:
            # The forkserver imports PRELOAD before it knows the parent's sys.path (Python 3.11): it finds the
            # project through PYTHONPATH, whatever the directory the server was started from.
            root = str(Path(__file__).resolve().parents[2])
            paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
            if root not in paths:
                os.environ["PYTHONPATH"] = os.pathsep.join([root, *filter(None, paths)])
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)   # without __main__: the server's entry script is not re-run
            _context = context
        return _context


_warming: threading.Thread | None = None


def start_in_background() -> threading.Thread:
    """Start the forkserver now, in a background thread, once per process: the first workbook dropped after the
    server started then costs a fork, not the forkserver's start and its preload (0.6 s on the 2-core machine,
    more under load). Returns the thread (tests join it)."""
    global _warming
    with _context_lock:
        if _warming is None:
            _warming = threading.Thread(target=_start, name="cockpit-read-warm-up", daemon=True)
            _warming.start()
        return _warming


def _start() -> None:
    from multiprocessing import forkserver

    _get_context()
    try:
        forkserver.ensure_running()
    except Exception:  # noqa: BLE001 - the first read starts it then, as before
        pass


def memory_text(size: int = READ_MEMORY_BYTES) -> str:
    return f"{size / 1024 ** 3:.0f} GB" if size >= 1024 ** 3 else f"{size // 1024 ** 2} MB"


def run(file: str, function, *args, memory: int = READ_MEMORY_BYTES, seconds: float = READ_SECONDS):
    """function(*args) in a child process whose memory may grow by `memory` bytes; its result.

    An ImportProblem raised in the child is raised here; a child that ran out of memory, died or took longer
    than `seconds` becomes an ImportProblem naming `file`. `function` must be importable (module level)."""
    context = _get_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, memory, function, args), daemon=True,
                              name=NAME)
    process.start()
    sender.close()
    outcome = None
    try:
        if receiver.poll(seconds):
            try:
                outcome = receiver.recv()
            except (EOFError, OSError):
                outcome = None     # the child died before it could answer
        else:
            _stop(process)
            raise ImportProblem("problem.reader_stopped", file, detail=f"> {seconds:.0f} s")
    finally:
        receiver.close()
        process.join(10)
        if process.is_alive():
            _stop(process)
    if outcome is None:
        code = process.exitcode
        if code in (-signal.SIGABRT, -signal.SIGKILL, -signal.SIGSEGV, -signal.SIGBUS):
            # A failed allocation aborts the reader (SIGABRT); the kernel's OOM killer sends SIGKILL.
            raise ImportProblem("problem.reader_out_of_memory", file, limit=memory_text(memory))
        raise ImportProblem("problem.reader_stopped", file, detail=f"exit code {code}")
    status, value = outcome
    if status == "ok":
        return value
    if status == "problem":
        raise ImportProblem(value.key, value.file, value.sheet, value.column, value.rows, **value.params)
    if status == "memory":
        raise ImportProblem("problem.reader_out_of_memory", file, limit=memory_text(memory))
    raise ImportProblem("problem.reader_stopped", file, detail=value)


def _stop(process) -> None:
    process.kill()
    process.join(10)


def _child(sender, memory: int, function, args) -> None:
    _limit_memory(memory)
    try:
        outcome = ("ok", function(*args))
    except ImportProblem as problem:
        outcome = ("problem", problem.note)
    except MemoryError:
        outcome = ("memory", None)
    except BaseException as error:  # noqa: BLE001 - said to the parent, never a traceback on screen
        outcome = ("error", (" ".join(str(error).split()) or type(error).__name__)[:200])
    try:
        sender.send(outcome)
    except MemoryError:
        sender.send(("memory", None))
    finally:
        sender.close()


def _limit_memory(memory: int) -> None:
    """Cap the address space at what the child maps now (the preloaded libraries) plus `memory`."""
    try:
        import resource
    except ImportError:   # not on Linux or macOS: the guard is the only line of defence
        return
    current = _address_space()
    if current is None:
        return
    limit = current + memory
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space() -> int | None:
    """The process's virtual memory size in bytes (VmSize), from /proc on Linux."""
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None

