"""Child processes started by us and stopped by their process id (never by name)."""
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
# Loaded before any fork: the child only calls it (no imports, no allocation after fork).
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True) if sys.platform == "linux" else None


def _die_with(parent_pid):
    """A preexec_fn: the child gets SIGTERM when the process that started it dies, even by
    SIGKILL (Linux prctl PR_SET_PDEATHSIG), and does not inherit an ignored SIGINT (a background
    job of a non-interactive shell starts with SIGINT ignored; our children are stopped by SIGTERM
    anyway, but they should not carry that into their own children)."""
    def preexec():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if _libc is not None:
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
            if os.getppid() != parent_pid:  # the parent died before prctl: nobody would tell us
                os.kill(os.getpid(), signal.SIGTERM)
    return preexec


def free_port():
    """A TCP port nobody listens on at the moment, for a process of ours."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# How long a stopped process may take to finish its work in flight: as long as the deployments give
# it (terminationGracePeriodSeconds, stop_grace_period)
GRACE_SECONDS = 30


class Child:
    def __init__(self, name, argv, env=None, log_path=None, cwd=None):
        self.name, self.argv, self.env, self.log_path, self.cwd = name, argv, env, log_path, cwd
        self.popen = None
        self._log = None
        self.started_at = None

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def start(self):
        if self.log_path:
            os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
            self._log = open(self.log_path, "ab")
        # Own process group: a Ctrl-C in the terminal reaches us, and we stop children in order.
        # The child dies with us (PR_SET_PDEATHSIG): a launcher killed by SIGKILL leaves no orphans.
        # The death signal follows the *thread* that forks, so only a child started by the main
        # thread gets it: one started by a passing thread (a test's killer) would die with it.
        dies_with_us = threading.current_thread() is threading.main_thread()
        self.popen = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                      stdout=self._log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                      start_new_session=True,
                                      preexec_fn=_die_with(os.getpid()) if dies_with_us else None)
        self.started_at = time.monotonic()
        return self

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum):
        if self.alive():
            os.kill(self.popen.pid, signum)

    def stop(self, timeout=GRACE_SECONDS):
        """SIGTERM, wait for a graceful exit, then SIGKILL; returns the exit code."""
        if self.popen is None:
            return None
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait(5)
        if self._log:
            self._log.close()
            self._log = None
        return self.popen.returncode

    def kill(self, group=False):
        """SIGKILL, as a crash would; ``group``: with the children it started (a gunicorn master's
        workers keep serving otherwise)."""
        if group and self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)  # its own session: the group id is its pid
        self.signal(signal.SIGKILL)
        self.popen.wait(5)
        return self.popen.returncode

    def kill_leftovers(self):
        """After this child died: SIGKILL what is left of its process group (the workers of a
        gunicorn master killed by SIGKILL hold the port until they notice). Only while the group
        still exists, so never anybody else's process."""
        if self.popen is None or self.popen.poll() is None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close_log(self):
        if self._log:
            self._log.close()
            self._log = None


class Backoff:
    """Delays between restarts of a crashed process: 1, 2, 4 ... up to ``most`` seconds, back to
    ``first`` once it has stayed up ``healthy_after`` seconds."""

    def __init__(self, first=1.0, most=30.0, healthy_after=60.0):
        self.first, self.most, self.healthy_after = first, most, healthy_after
        self.delay = None
        self.due = None  # monotonic time of the next restart, while one is pending
        self.restarts = 0

    def next_delay(self, ran_for):
        if self.delay is None or ran_for >= self.healthy_after:
            self.delay = self.first
        else:
            self.delay = min(self.delay * 2, self.most)
        return self.delay


def wait_until(check, timeout, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # not ready yet
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached in {timeout:g} s" + (f": {last_error}" if last_error else ""))
