"""Run a command and measure it: exit code, output, wall time and peak resident memory.

Peak RSS comes from ``os.wait4`` on the child, i.e. the largest resident set of that process (on
Linux, of the child itself and, for the children it waited for, the largest of them), in kilobytes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measured:
    """The outcome of one measured command."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_kb: int
    timed_out: bool = False


def run_measured(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
                 timeout: float = 1800) -> Measured:
    """Run ``cmd`` to completion (killing its process group after ``timeout`` seconds)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", errors="replace"),
            stderr=err.read().decode("utf-8", errors="replace"),
            seconds=seconds,
            peak_rss_kb=int(usage.ru_maxrss),
            timed_out=killed.is_set(),
        )
