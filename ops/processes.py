"""Child processes started by us and stopped by their process id (never by name)."""
import os
import signal
import socket
import subprocess
import time


def free_port():
    """A TCP port nobody listens on at the moment, for a process of ours."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Child:
    def __init__(self, name, argv, env=None, log_path=None, cwd=None):
        self.name, self.argv, self.env, self.log_path, self.cwd = name, argv, env, log_path, cwd
        self.popen = None
        self._log = None

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def start(self):
        if self.log_path:
            os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
            self._log = open(self.log_path, "ab")
        # Own process group: a Ctrl-C in the terminal reaches us, and we stop children in order.
        self.popen = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                      stdout=self._log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        return self

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum):
        if self.alive():
            os.kill(self.popen.pid, signum)

    def stop(self, timeout=15.0):
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
