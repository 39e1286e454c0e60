"""Live servers forked from one process that has imported the app once.

Each `python app.py` a test starts spent most of its start-up importing the application (about
4–5 s on a busy two-core machine: the models, marshmallow schemas, FHIR models, reportlab), and
the suite starts some seventy of them. The zygote is a process that gevent has patched and that
has imported `app`, as `python app.py` would; each live server is a fork of it that takes its
own environment (database, port, keys), re-reads the configuration from it and serves, as
`app.serve_forever` does for `python app.py`. A fork is ready in well under a second.

The test process talks to the zygote over its stdin and stdout, one JSON line each way:
`{"op": "start", "env": {...}, "log": path}` → `{"pid": n}`, and `{"op": "poll", "pid": n}` →
`{"returncode": null | int}` (the zygote is the servers' parent, so it reaps them and knows how
each ended; a signal reads as its negative number, as with subprocess). Signals go straight from
the test to the server's pid.

    python -m tests.zygote    (started by `spawn` on first use; ends when its stdin closes)
"""

from __future__ import annotations

if __name__ == "__main__":  # the zygote: gevent patches the standard library before the app's imports
    from gevent import monkey

    monkey.patch_all()

import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import gevent.os
from gevent import monkey

import app
import core.config
from core.config import ROOT


class ForkedServer:
    """The part of subprocess.Popen the live-server tests use, for a server forked by the zygote."""

    def __init__(self, pid: int, zygote: _Zygote):
        self.pid, self._zygote, self.returncode = pid, zygote, None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._zygote.ask({"op": "poll", "pid": self.pid})["returncode"]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"server {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class _Zygote:
    """The test process's end: starts the zygote on first use, one question at a time."""

    def __init__(self):
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None

    def ask(self, question: dict) -> dict:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "tests.zygote"],
                    cwd=ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            self._process.stdin.write(json.dumps(question) + "\n")
            self._process.stdin.flush()
            answer = self._process.stdout.readline()
        if not answer:
            raise RuntimeError("the live-server zygote exited (see the test output)")
        return json.loads(answer)


_zygote = _Zygote()


def spawn(env: dict, log_path: Path) -> ForkedServer:
    """A live server with this environment, its output in log_path."""
    return ForkedServer(_zygote.ask({"op": "start", "env": env, "log": str(log_path)})["pid"], _zygote)


# --- the zygote itself ------------------------------------------------------------------------


def _serve_in_child(env: dict, log: str) -> None:
    """In the fork: this server's environment and log, its configuration read again, then serve."""
    os.environ.clear()
    os.environ.update(env)
    devnull = os.open(os.devnull, os.O_RDONLY)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(devnull, 0)  # not the zygote's command pipe
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(devnull)
    os.close(out)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    app.serve_forever(importlib.reload(core.config).Config)  # Config reads the environment when loaded


def _zygote_main() -> None:
    waitpid = monkey.get_original("os", "waitpid")
    ended: dict[int, int] = {}
    for line in sys.stdin:
        question = json.loads(line)
        if question["op"] == "start":
            sys.stdout.flush()
            pid = gevent.os.fork_gevent()  # gevent's hub made anew in the child
            if pid == 0:
                try:
                    _serve_in_child(question["env"], question["log"])
                finally:
                    os._exit(1)
            answer = {"pid": pid}
        else:
            pid = question["pid"]
            if pid not in ended:
                try:
                    done, status = waitpid(pid, os.WNOHANG)
                except ChildProcessError:  # not forked by this zygote (an earlier one ended): gone
                    done, status = pid, 0
                if done:
                    ended[pid] = os.waitstatus_to_exitcode(status)
            answer = {"returncode": ended.get(pid)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _zygote_main()
