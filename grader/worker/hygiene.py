"""What the zygote removes or restores between two runs, so that nothing one run leaves reaches
the next (see :meth:`grader.worker.zygote.Zygote.clean`): the sandbox uid's other processes, the files
in the home and the scratch folders, System V IPC objects, keys and keyrings, the status of the
descriptors a child shared with the zygote, and the writable shared mappings a child could use.

Linux facts it relies on are in ``docs/sandbox-facts.md``. Part of the worker package: it imports
nothing of the trusted side.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import shutil
import signal
import stat
import time
from typing import Any

try:
    import fcntl
    import resource
except ImportError:  # Windows (which has no fork either: no zygote runs there)
    fcntl = None  # type: ignore[assignment]
    resource = None  # type: ignore[assignment]

#: Writable places a run could use to leave something for the next one (when isolated).
SCRATCH_DIRS = ("/tmp", "/dev/shm")
_SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}
_KEYCTL_GET_KEYRING_ID = 0
_KEYCTL_CLEAR = 7
_KEYCTL_INVALIDATE = 21
_KEYS_GONE_S = 1.0  # how long the kernel's key collector may take to drop an invalidated key
_KEYRINGS = (-3, -4, -5)  # session, user, user-session keyrings


def libc() -> Any:
    """The C library, for the system calls Python does not wrap (keyctl, SysV IPC removal); None if missing."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def proc_lines(path: str) -> list[str]:
    """The lines of a ``/proc`` file; none where it is missing."""
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


def shared_mappings() -> list[str]:
    """The shared memory mappings of this process a forked child could write through to
    the next child (``/proc/self/maps`` lines): writable ones, anonymous or deleted ones,
    and those of a file this uid may write (``mprotect`` could make them writable). A
    read-only file's shared mapping (glibc's ``gconv-modules.cache``) is harmless. The
    zygote can vouch for a fresh state only without them. Empty where ``/proc`` is missing."""
    found = []
    for line in proc_lines("/proc/self/maps"):
        parts = line.split(maxsplit=5)
        if len(parts) < 2 or not parts[1].endswith("s"):
            continue
        path = parts[5] if len(parts) > 5 else ""
        if ("w" in parts[1] or not path.startswith("/") or path.endswith("(deleted)")
                or path.startswith(("/dev/", "/memfd:")) or os.access(path, os.W_OK)):
            found.append(line.strip())
    return found


def close_all_but(*keep: int) -> None:
    """Close every descriptor of this process but ``keep``."""
    try:
        fds = [int(e) for e in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(resource.getrlimit(resource.RLIMIT_NOFILE)[0]))
    for fd in fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def fd_state(fd: int) -> tuple[int, int | None] | None:
    """A descriptor's status flags and, for a pipe, its size (None: not open)."""
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError:
        return None
    size = None
    if hasattr(fcntl, "F_GETPIPE_SZ"):
        try:
            size = fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
        except OSError:
            size = None
    return flags, size


def set_fd_state(fd: int, state: tuple[int, int | None]) -> bool:
    """Give ``fd`` back the flags and pipe size of :func:`fd_state`; False if the kernel refused."""
    flags, size = state
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, flags)
        if size is not None:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
    except OSError:
        return False
    return fd_state(fd) == state


def run_keys() -> list[int]:
    """Ids of the keys of this uid listed in ``/proc/keys`` but the per-uid keyrings themselves
    (``_uid.N``, ``_uid_ses.N``: made on first use, emptied by the zygote, never removed)."""
    uid = os.getuid()
    keys = []
    for line in proc_lines("/proc/keys"):
        parts = line.split(None, 8)
        if len(parts) < 9 or parts[5] != str(uid):
            continue
        if parts[7] == "keyring" and parts[8].startswith(("_uid.", "_uid_ses.")):
            continue
        try:
            keys.append(int(parts[0], 16))
        except ValueError:
            continue
    return keys


def rlimit_names() -> list[int]:
    """Every resource limit this platform has (``resource.RLIMIT_*``), to save and restore."""
    names = ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CORE",
             "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO",
             "RLIMIT_SIGPENDING", "RLIMIT_LOCKS", "RLIMIT_RSS", "RLIMIT_RTTIME")
    return [getattr(resource, n) for n in names if hasattr(resource, n)]


def kill_others() -> None:
    """SIGKILL every process this uid may signal in the sandbox's PID namespace, but
    ourselves (``kill(-1)`` skips the caller and the namespace's init), until none is left."""
    me = os.getpid()
    uid = os.getuid()
    for _ in range(50):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reap()
        alive = False
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in (me, 1):
                try:
                    st = os.stat(f"/proc/{entry}")
                    with open(f"/proc/{entry}/stat", "rb") as f:
                        state = f.read().rsplit(b")", 1)[-1].split()[0]
                except OSError:
                    continue
                if st.st_uid == uid and state != b"Z":
                    alive = True
        if not alive:
            return
        time.sleep(0.002)


def reap() -> None:
    """Collect the exit status of every child that has ended (no zombie stays listed)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def not_ours(folder: str) -> set[str]:
    """Names in ``folder`` that another user owns: what the sandbox itself put there before any
    student code ran (bwrap makes the parents of a bind mount, e.g. ``/tmp/ci`` for a
    virtual environment under ``/tmp``). The sandbox's uid cannot write them."""
    me = os.getuid()
    try:
        return {e.name for e in os.scandir(folder) if e.stat(follow_symlinks=False).st_uid != me}
    except OSError:
        return set()


def empty_folder(folder: str, keep: set[str] | frozenset[str] = frozenset()) -> bool:
    """Remove everything inside ``folder`` (not the folder itself), whatever modes or depth
    the run left, but the top-level entries named in ``keep`` and any mount point (a bind
    mount the sandbox placed there, which no run can have made); True if nothing else is left."""
    try:
        os.chmod(folder, stat.S_IRWXU | (os.stat(folder).st_mode & 0o7077))
    except OSError:
        pass
    try:
        device = os.stat(folder).st_dev
    except OSError:
        return False
    stack = [folder]
    order = []
    mounts: list[str] = []
    while stack:  # iterative: a run may leave a tree deeper than the recursion limit
        current = stack.pop()
        order.append(current)
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if current == folder and entry.name in keep:
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.stat(follow_symlinks=False).st_dev != device:
                        mounts.append(entry.path)
                        continue
                    os.chmod(entry.path, stat.S_IRWXU)
                    stack.append(entry.path)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass
    for path in reversed(order[1:]):
        try:
            os.rmdir(path)
        except OSError:
            if not any(m.startswith(path + os.sep) for m in mounts):
                shutil.rmtree(path, ignore_errors=True)
    try:
        left = set(os.listdir(folder)) - set(keep)
    except OSError:
        return False
    return all(any(m == os.path.join(folder, name) or m.startswith(os.path.join(folder, name) + os.sep)
                   for m in mounts) for name in left)


def snapshot(home: str) -> list[tuple[str, bytes | None, int]]:
    """The home's files before any student code ran: (relative path, content or None for a
    folder, mode). Empty where the sandbox keeps the submission elsewhere (each child copies
    it from there); the submission's own files where the home is the submission's folder."""
    out: list[tuple[str, bytes | None, int]] = []
    for root, dirs, files in os.walk(home):
        dirs.sort()
        for d in dirs:
            path = os.path.join(root, d)
            out.append((os.path.relpath(path, home), None, os.lstat(path).st_mode & 0o777))
        for name in sorted(files):
            path = os.path.join(root, name)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    out.append((os.path.relpath(path, home), f.read(), st.st_mode & 0o777))
    return out


def restore(home: str, snapshot: list[tuple[str, bytes | None, int]]) -> bool:
    """Write back the files of :func:`snapshot` into the emptied ``home``; False if one cannot be."""
    try:
        for rel, content, mode in snapshot:
            path = os.path.join(home, rel)
            if content is None:
                os.makedirs(path, exist_ok=True)
            else:
                with open(path, "wb") as f:
                    f.write(content)
            os.chmod(path, mode)
    except OSError:
        return False
    return True


def remove_sysv_ipc(libc: Any) -> None:
    """Remove the System V IPC objects of this uid (they outlive the processes that made them)."""
    if libc is None:
        return
    uid = os.getuid()
    for kind, remove in (("shm", lambda i: libc.shmctl(i, 0, None)), ("msg", lambda i: libc.msgctl(i, 0, None)),
                         ("sem", lambda i: libc.semctl(i, 0, 0))):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                header = f.readline().split()
                rows = [line.split() for line in f]
        except OSError:
            continue
        try:
            id_col, uid_col = header.index({"shm": "shmid", "msg": "msqid", "sem": "semid"}[kind]), header.index("uid")
        except ValueError:
            continue
        for row in rows:
            try:
                if int(row[uid_col]) == uid:
                    remove(int(row[id_col]))  # type: ignore[no-untyped-call]  # a libc function
            except (IndexError, ValueError):
                continue


def own_keyrings(libc: Any) -> set[int]:
    """The ids of the zygote's session, user and user-session keyrings (made now if missing:
    clearing a missing session keyring would make one later, which would then look like a run's)."""
    number = _SYS_KEYCTL.get(platform.machine())
    if libc is None or number is None:
        return set()
    libc.syscall.restype = ctypes.c_long
    ids = {libc.syscall(number, _KEYCTL_GET_KEYRING_ID, ring, 1) for ring in _KEYRINGS}
    return {i for i in ids if i > 0}

def clear_keyrings(libc: Any, own: set[int]) -> bool:
    """Invalidate every key of this uid a run made (its description alone, listed in
    ``/proc/keys``, would carry a message to the next run), empty the session and user
    keyrings, and wait for the kernel to collect the keys; False if some are still listed."""
    number = _SYS_KEYCTL.get(platform.machine())
    if libc is None or number is None:
        return True
    for key in set(run_keys()) - own:
        libc.syscall(number, _KEYCTL_INVALIDATE, key)
    for ring in _KEYRINGS:
        libc.syscall(number, _KEYCTL_CLEAR, ring)
    deadline = time.monotonic() + _KEYS_GONE_S
    while set(run_keys()) - own:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True
