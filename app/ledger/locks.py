"""The OS lock that queues ledger writers of one SQLite file across threads and processes."""
import fcntl
import os
import threading
from contextlib import contextmanager


@contextmanager
def write_lock(bound):
    """Serialize ledger writers to a SQLite file across threads and processes; a no-op otherwise.

    SQLite's own lock makes a waiting writer poll with sleeps of up to 100 ms; an OS file lock
    beside the database wakes the next writer as soon as the last one committed. PostgreSQL's
    row lock on the head already queues writers.
    """
    url = (bound.get_bind() if hasattr(bound, "get_bind") else bound.engine).url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    lock, descriptor = _lock_file(os.path.abspath(url.database) + "-ledger.lock")
    with lock:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


_lock_files = {}
_lock_files_guard = threading.Lock()


def _lock_file(path):
    """Return this process's thread lock and open descriptor for a lock file.

    The descriptor stays open; a forked child opens its own, since a flock is held per open file
    and one inherited from the parent would not exclude the parent.
    """
    with _lock_files_guard:
        entry = _lock_files.get(path)
        if entry is None or entry[2] != os.getpid():
            entry = _lock_files[path] = (threading.Lock(),
                                         os.open(path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid())
    return entry[:2]
