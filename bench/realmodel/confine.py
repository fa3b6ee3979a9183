"""Run an agent's Python patch script so that it can only edit files under one directory.

Layers, strongest first (each used when the machine has it):

1. ``bwrap`` (bubblewrap): a new mount, network, PID and IPC namespace whose only writable places
   are the sandbox (mounted at ``/workspace``, where the agent's absolute paths point) and an empty
   ``/tmp``; ``/usr`` and ``/etc`` are read-only; nothing else of the host is visible.
2. ``unshare -rn``: no network (a user namespace with an empty network namespace).
3. Always: an audit hook inside the interpreter that refuses opening a file for writing, renaming,
   removing, creating directories, changing modes or links outside the sandbox, starting any process
   (``subprocess``, ``os.system``, ``exec*``, ``fork``, ``posix_spawn``), sockets and ``ctypes``.

Without bwrap the sandbox is not at ``/workspace``, so a script that names ``/workspace/...`` fails
(its writes are refused) instead of editing anything; the failure is reported.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

# The runner is passed with ``-c``; it reads {"root", "code", "argv", "stdin"} as JSON from stdin.
RUNNER = r'''
import io, json, os, sys
req = json.loads(sys.stdin.read())
ROOT = os.path.realpath(req["root"])
SCRATCH = [os.path.realpath(d) for d in req.get("scratch", [])]
_real = os.path.realpath
_abspath = os.path.abspath

def _inside(p):
    if isinstance(p, int):
        return True
    p = os.fsdecode(p)
    full = _real(_abspath(p))
    return any(full == d or full.startswith(d + os.sep) for d in [ROOT] + SCRATCH)

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
PATH_EVENTS = {"os.remove": 1, "os.rename": 2, "os.mkdir": 1, "os.rmdir": 1, "os.chmod": 1, "os.chown": 1,
               "os.symlink": 2, "os.link": 2, "os.truncate": 1, "os.utime": 1, "shutil.copyfile": 2,
               "shutil.copymode": 2, "shutil.copystat": 2, "shutil.rmtree": 1, "shutil.move": 2,
               "os.removexattr": 1, "os.setxattr": 1}
BLOCKED_PREFIXES = ("subprocess.", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty",
                    "os.system", "os.popen", "pty.", "socket.", "ctypes.", "os.kill", "os.killpg",
                    "webbrowser.", "urllib.Request", "http.client", "ftplib.", "smtplib.", "telnetlib.")

def hook(event, args):
    if event == "open":
        path, mode, flags = (list(args) + [None, None, 0])[:3]
        if path is None or isinstance(path, int):
            return
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & WRITE_FLAGS)
        if writing and not _inside(path):
            raise PermissionError("replay: write outside the workspace refused: %s" % (path,))
        return
    if event in PATH_EVENTS:
        for p in args[:PATH_EVENTS[event]]:
            if p is not None and not _inside(p):
                raise PermissionError("replay: %s outside the workspace refused: %s" % (event, p))
        return
    if event.startswith(BLOCKED_PREFIXES):
        raise PermissionError("replay: %s refused (only file edits are replayed)" % event)

sys.addaudithook(hook)
sys.argv = list(req["argv"])
sys.stdin = io.StringIO(req["stdin"])
glb = {"__name__": "__main__", "__builtins__": __builtins__}
exec(compile(req["code"], sys.argv[0] if sys.argv and sys.argv[0] != "-" else "<stdin>", "exec"), glb)
'''


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _bwrap_works() -> bool:
    exe = bwrap_path()
    if not exe:
        return False
    try:
        r = subprocess.run([exe, "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink",
                            "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--unshare-all", "--die-with-parent",
                            "/usr/bin/true"],
                           capture_output=True, timeout=30)
        return r.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _unshare_works() -> bool:
    exe = shutil.which("unshare")
    if not exe:
        return False
    try:
        return subprocess.run([exe, "-rn", "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


_MODE: str | None = None


def confinement() -> str:
    """'bwrap', 'unshare' or 'audit-hook': the strongest confinement this machine allows."""
    global _MODE
    if _MODE is None:
        forced = os.environ.get("MEMAUDIT_REPLAY_CONFINE")
        if forced in ("bwrap", "unshare", "audit-hook"):
            _MODE = forced
        elif _bwrap_works():
            _MODE = "bwrap"
        elif _unshare_works():
            _MODE = "unshare"
        else:
            _MODE = "audit-hook"
    return _MODE


def _python_for_jail() -> tuple[str, list[str]]:
    """An interpreter visible inside the jail and the extra read-only binds it needs."""
    base = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    prefix = Path(sys.base_prefix).resolve()
    binds = [] if str(prefix).startswith("/usr") else [str(prefix)]
    return str(base), binds


def run_python(code: str, *, root: Path, cwd: str, workspace: str, argv: list[str], stdin: str = "",
               timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``code`` as an agent's ``python3 -`` patch with the sandbox ``root`` standing for ``workspace``.

    ``cwd`` is the workspace path (e.g. ``/workspace/src``) the agent's shell was in.
    """
    mode = confinement()
    root = root.resolve()
    rel = os.path.relpath(cwd, workspace)
    host_cwd = root if rel == "." else root / rel
    if mode == "bwrap":
        python, binds = _python_for_jail()
        cmd = [bwrap_path() or "bwrap", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
               "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin",
               "--ro-bind", "/etc", "/etc"]
        for b in binds:
            cmd += ["--ro-bind", b, b]
        cmd += ["--bind", str(root), workspace, "--tmpfs", "/tmp", "--dev", "/dev", "--proc", "/proc",
                "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
                "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", workspace, "--setenv", "LANG", "C.UTF-8",
                "--chdir", cwd, python, "-I", "-c", RUNNER]
        req_root, scratch = workspace, ["/tmp"]      # the jail's /tmp is an empty tmpfs, thrown away
    else:
        cmd = [sys.executable, "-I", "-c", RUNNER]
        if mode == "unshare":
            cmd = ["unshare", "-rn"] + cmd
        req_root, scratch = str(root), []
    req = json.dumps({"root": req_root, "scratch": scratch, "code": code, "argv": argv, "stdin": stdin})
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(cmd, input=req, capture_output=True, text=True, cwd=host_cwd, env=env, timeout=timeout)
