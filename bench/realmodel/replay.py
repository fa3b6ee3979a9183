"""Rebuild an agent's workspace from its trajectory by replaying only the commands that write files.

    python -m bench.realmodel.replay TRAJ.json SANDBOX_DIR [--json report.json] [--workspace /workspace]

Each action's shell command is split into simple commands (``bench.realmodel.shell``). Replayed, in
order, into ``SANDBOX_DIR`` standing in for ``/workspace``:

* here-documents and here-strings written with ``cat >``/``cat >>``/``tee [-a]`` (quoted ``<<'EOF'``
  verbatim; unquoted ``<<EOF`` with bash's backslash rules and variables assigned earlier in the same
  command; a body with command substitution is not replayed), ``cat a b > c`` within the workspace,
  ``echo``/``printf`` redirected to a file, ``> file`` and ``: > file``;
* ``python3 - <<'PY'`` / ``python3 -c`` patch scripts, run confined (``bench.realmodel.confine``):
  no network, writes only inside the sandbox, no process spawning; a script that starts processes
  or touches anything outside fails and is reported;
* ``sed -i`` (run as GNU ``sed --sandbox``, which rejects the ``e``, ``w`` and ``r`` commands);
* ``mkdir``, ``touch``, ``rm``, ``rmdir``, ``mv``, ``cp``, ``chmod`` on paths inside the workspace;
* ``cd`` (each action starts in the workspace: mini-swe-agent runs every action in a fresh shell)
  and ``NAME=value`` assignments with literal values.

``&&`` and ``||`` follow the replayed commands' own success; commands that are not replayed are
taken to have succeeded. Everything else is skipped and counted: compilers, the target binary,
tests, package managers, git. A path outside the workspace is refused (``cat > /tmp/x``). Writes
that were recognised but cannot be replayed faithfully (pipelines into ``tee``, ``perl -i``,
loops, ``git checkout``, program output redirected into a workspace file) are listed as
``unreplayed`` with their paths, so that a verification mismatch can be traced to them.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import posixpath
import re
import shutil
import stat
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import confine
from .shell import Command, ShellSyntaxError, Word, parse
from .trajectory import Action, extract_actions, load, shape_of

WORKSPACE = "/workspace"
UNKNOWN_DIR = "?"

PYTHONS = re.compile(r"python(3(\.\d+)?)?$")
FILE_VERBS = {"mkdir", "touch", "rm", "rmdir", "mv", "cp", "chmod"}
WRITE_HINT = re.compile(r"(^|[^0-9&<>])>>?\s*[^&\s>]|\btee\b|\bsed\s+(-\w+\s+)*-i|\bperl\b.*\s-\w*i|\bmv\b|\bcp\b|\brm\b")
TREE_GIT = {"checkout", "restore", "mv", "rm", "stash", "reset", "clean", "apply", "am", "cherry-pick",
            "revert", "merge", "pull", "switch", "read-tree", "checkout-index"}
UNREPLAYED_WRITERS = {"perl", "patch", "ed", "ex", "dd", "install", "ln", "truncate", "rsync", "tar", "unzip",
                      "gunzip", "gzip", "awk", "gawk", "cpio", "xargs", "find"}


@dataclass
class Event:
    action: int
    kind: str          # replayed | failed | skipped | refused | unreplayed
    verb: str
    detail: str = ""
    paths: list[str] = field(default_factory=list)


@dataclass
class ReplayReport:
    shape: str = ""
    actions: int = 0
    confinement: str = ""
    events: list[Event] = field(default_factory=list)
    parse_errors: list[dict] = field(default_factory=list)

    def count(self, kind: str) -> Counter:
        return Counter(e.verb for e in self.events if e.kind == kind)

    def summary(self) -> dict:
        kinds = ("replayed", "failed", "skipped", "refused", "unreplayed")
        return {"shape": self.shape, "actions": self.actions, "confinement": self.confinement,
                **{k: dict(sorted(self.count(k).items(), key=lambda kv: (-kv[1], kv[0]))) for k in kinds},
                "parse_errors": len(self.parse_errors)}

    def to_json(self) -> dict:
        return {"summary": self.summary(), "events": [asdict(e) for e in self.events if e.kind != "skipped"],
                "parse_errors": self.parse_errors}


class Refused(Exception):
    """A path outside the workspace."""


class Unresolvable(Exception):
    """A word whose value needs something that is not replayed (command substitution, unknown variable)."""


def git_line_count(data: bytes) -> int:
    """Lines as git's numstat counts them for a new file."""
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def expand_heredoc(body: str, env: dict[str, str]) -> str:
    """Bash's expansion of an unquoted here-document body (backslashes and known variables only)."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            if n == "\n":
                i += 2
                continue
            if n in "$`\\":
                out.append(n)
                i += 2
                continue
            out.append(c)
            i += 1
            continue
        if c == "`":
            raise Unresolvable("command substitution in a here-document")
        if c == "$":
            m = re.match(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))", body[i:])
            if m:
                name = m.group(1) or m.group(2)
                if name not in env:
                    raise Unresolvable(f"${name} in a here-document")
                out.append(env[name])
                i += len(m.group(0))
                continue
            n = body[i + 1:i + 2]
            if n in ("(", "{") or (n and (n.isdigit() or n in "@*#?$!-")):
                raise Unresolvable("expansion in a here-document")
            out.append(c)
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def expand_braces(text: str) -> list[str]:
    m = re.search(r"\{([^{}]*,[^{}]*)\}", text)
    if not m:
        return [text]
    out = []
    for alt in m.group(1).split(","):
        out.extend(expand_braces(text[:m.start()] + alt + text[m.end():]))
    return out


class Replayer:
    def __init__(self, sandbox: Path, workspace: str = WORKSPACE, *, run_python: bool = True):
        self.root = Path(sandbox).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.ws = workspace.rstrip("/") or "/"
        self.run_python = run_python
        self.report = ReplayReport(confinement=confine.confinement() if run_python else "python not run")

    # ------------------------------------------------------------------ paths
    def ws_path(self, value: str, cwd: str) -> str:
        """The normalized workspace-absolute path for ``value`` typed in ``cwd``; Refused if outside."""
        if value.startswith("~"):
            raise Refused(value)
        if cwd == UNKNOWN_DIR and not value.startswith("/"):
            raise Unresolvable(f"{value} relative to a directory the replay cannot know")
        p = posixpath.normpath(value if value.startswith("/") else posixpath.join(cwd, value))
        if p.startswith("//"):
            p = p[1:]
        if p != self.ws and not p.startswith(self.ws + "/"):
            raise Refused(p)
        return p

    def host(self, ws_path: str) -> Path:
        rel = posixpath.relpath(ws_path, self.ws)
        h = self.root if rel == "." else self.root / rel
        # a symlink made inside the sandbox must not lead out of it
        real = Path(os.path.realpath(h))
        if real != self.root and self.root not in real.parents:
            raise Refused(ws_path)
        return h

    def host_dir(self, cwd: str) -> Path:
        """The sandbox directory for ``cwd`` (the sandbox root when cwd is elsewhere or unknown)."""
        try:
            h = self.host(self.ws_path(cwd, self.ws))
        except (Refused, Unresolvable):
            return self.root
        return h if h.is_dir() else self.root

    def rel(self, ws_path: str) -> str:
        return posixpath.relpath(ws_path, self.ws)

    def value(self, word: Word, env: dict[str, str]) -> str:
        v = word.literal(env)
        if v is None:
            raise Unresolvable(word.raw)
        return v

    def operands(self, word: Word, env: dict[str, str], cwd: str) -> list[str]:
        """A path word expanded like bash would (braces, globs in the sandbox), as workspace paths."""
        v = self.value(word, env)
        values = expand_braces(v) if word.has_brace() else [v]
        out = []
        for val in values:
            if word.has_glob() and any(c in val for c in "*?["):
                base = self.ws_path(posixpath.dirname(val) or ".", cwd) if "/" in val else cwd
                pattern = posixpath.basename(val)
                try:
                    host_base = self.host(base)
                except Refused:
                    raise
                names = sorted(n for n in (os.listdir(host_base) if host_base.is_dir() else [])
                               if fnmatch.fnmatchcase(n, pattern) and (pattern.startswith(".") or not n.startswith(".")))
                if "/" in val and any(c in posixpath.dirname(val) for c in "*?["):
                    raise Unresolvable(f"glob in a directory part: {val}")
                out.extend(posixpath.join(base, n) for n in names) if names else out.append(self.ws_path(val, cwd))
            else:
                out.append(self.ws_path(val, cwd))
        return out

    # ------------------------------------------------------------------ events
    def event(self, action: Action, kind: str, verb: str, detail: str = "", paths: list[str] | None = None) -> None:
        self.report.events.append(Event(action.index, kind, verb, detail[:300], [self.rel(p) if p.startswith(self.ws) else p
                                                                                for p in (paths or [])]))

    # ------------------------------------------------------------------ main loop
    def replay(self, actions: list[Action]) -> ReplayReport:
        self.report.actions = len(actions)
        for action in actions:
            self.replay_action(action)
        return self.report

    def replay_action(self, action: Action) -> None:
        try:
            cmds = parse(action.command)
        except (ShellSyntaxError, IndexError, AssertionError) as exc:
            self.report.parse_errors.append({"action": action.index, "error": str(exc)})
            hint = bool(WRITE_HINT.search(action.command))
            self.event(action, "unreplayed" if hint else "skipped", "unparsed", str(exc))
            return
        env: dict[str, str] = {}
        cwd = self.ws
        ok = True
        i = 0
        while i < len(cmds):
            c = cmds[i]
            if (c.connector == "&&" and not ok) or (c.connector == "||" and ok):
                # not run; skip the whole pipeline it heads
                i += 1
                while i < len(cmds) and cmds[i].connector == "|":
                    i += 1
                continue
            if c.piped:
                j = i + 1
                while j < len(cmds) and cmds[j].connector == "|":
                    j += 1
                self.pipeline(action, cmds[i:j], env, cwd)
                ok = True
                i = j
                continue
            if c.compound:
                self.compound(action, c)
                ok = True
                i += 1
                continue
            try:
                ok, cwd = self.simple(action, c, env, cwd)
            except Refused as exc:
                self.event(action, "refused", self.verb(c), f"outside the workspace: {exc}", [str(exc)])
                ok = False
            except Unresolvable as exc:
                self.event(action, "unreplayed", self.verb(c), f"cannot know without running: {exc}")
                ok = False
            if c.negated:
                ok = not ok
            i += 1

    @staticmethod
    def verb(c: Command) -> str:
        if c.compound:
            return c.compound
        if not c.words:
            return "redirect" if c.redirects else "assignment"
        name = c.words[0].literal() or c.words[0].raw
        return posixpath.basename(name)

    def write_targets(self, c: Command, env: dict[str, str], cwd: str) -> list[str]:
        """Files a command's own redirections write, as workspace paths (Refused for outside ones)."""
        out = []
        for r in c.redirects:
            if r.heredoc is not None or r.target is None or r.op not in (">", ">>", ">|", "&>", "&>>", "<>"):
                continue
            v = r.target.literal(env)
            if v is None:
                raise Unresolvable(r.target.raw)
            if v.startswith("/dev/"):
                continue
            out.append(self.ws_path(v, cwd))
        return out

    def pipeline(self, action: Action, cmds: list[Command], env: dict[str, str], cwd: str) -> None:
        paths = []
        writes = False
        for c in cmds:
            try:
                paths += self.write_targets(c, env, cwd)
            except (Refused, Unresolvable):
                pass
            name = self.verb(c)
            if name == "tee" or (name == "sed" and any((w.literal() or "").startswith("-i") for w in c.words)):
                writes = True
                for w in c.words[1:]:
                    v = w.literal(env)
                    if v and not v.startswith("-") and name == "tee":
                        try:
                            paths.append(self.ws_path(v, cwd))
                        except Refused:
                            pass
        if paths or writes:
            self.event(action, "unreplayed", "|".join(self.verb(c) for c in cmds), "pipeline writes a file", paths)
        else:
            self.event(action, "skipped", self.verb(cmds[0]))

    def compound(self, action: Action, c: Command) -> None:
        if WRITE_HINT.search(c.text) or any(r.target is not None and r.op.startswith(">") for r in c.redirects):
            self.event(action, "unreplayed", c.compound or "compound", c.text.splitlines()[0][:120])
        else:
            self.event(action, "skipped", c.compound or "compound")

    # ------------------------------------------------------------------ simple commands
    def stdin_of(self, c: Command, env: dict[str, str], cwd: str) -> str | None:
        data = None
        for r in c.redirects:
            if r.heredoc is not None:
                data = r.heredoc.body if r.heredoc.quoted else expand_heredoc(r.heredoc.body, env)
            elif r.op == "<<<" and r.target is not None:
                data = self.value(r.target, env) + "\n"
            elif r.op == "<" and r.target is not None and (r.fd in (None, 0)):
                src = self.ws_path(self.value(r.target, env), cwd)
                data = self.host(src).read_bytes().decode("utf-8", "surrogateescape")
        return data

    def stdout_target(self, c: Command, env: dict[str, str], cwd: str) -> tuple[str | None, bool]:
        """The file standard output goes to (workspace path) and whether it appends."""
        target, append = None, False
        for r in c.redirects:
            if r.target is None or r.fd not in (None, 1) or r.op not in (">", ">>", ">|", "&>", "&>>"):
                continue
            v = self.value(r.target, env)
            if v.startswith("/dev/"):
                target = None
                continue
            target, append = self.ws_path(v, cwd), r.op in (">>", "&>>")
        return target, append

    def put(self, ws_path: str, data: bytes, append: bool) -> None:
        h = self.host(ws_path)
        if not h.parent.is_dir():
            raise FileNotFoundError(f"no directory {self.rel(posixpath.dirname(ws_path))}")
        with open(h, "ab" if append else "wb") as fh:
            fh.write(data)

    def simple(self, action: Action, c: Command, env: dict[str, str], cwd: str) -> tuple[bool, str]:
        for name, w in c.assignments:
            if not c.words:
                v = w.literal(env)
                if v is None:
                    env.pop(name, None)
                else:
                    env[name] = v
        if not c.words:
            targets = self.write_targets(c, env, cwd)
            if not targets:
                self.event(action, "skipped", self.verb(c))
                return True, cwd
            for t in targets:
                self.put(t, b"", append=False)
            self.event(action, "replayed", "redirect", "", targets)
            return True, cwd
        words = list(c.words)
        # transparent wrappers
        while words and (words[0].literal() in ("command", "builtin", "time", "nohup", "sudo")):
            words = words[1:]
        if not words:
            return True, cwd
        name = posixpath.basename(words[0].literal() or words[0].raw)
        args = words[1:]

        if name in ("cd", "pushd"):
            v = args[-1].literal(env) if args else "~"
            if v is None or v in ("-", "~") or v.startswith("~") or (cwd == UNKNOWN_DIR and not v.startswith("/")):
                self.event(action, "skipped", "cd", f"cd {args[-1].raw if args else ''}: directory unknown")
                return True, UNKNOWN_DIR
            p = posixpath.normpath(v if v.startswith("/") else posixpath.join(cwd, v))
            self.event(action, "skipped", "cd")
            return True, p
        if name == "export":
            for w in args:
                v = w.literal(env)
                if v and "=" in v:
                    k, _, val = v.partition("=")
                    env[k] = val
            self.event(action, "skipped", "export")
            return True, cwd
        if name == "gofmt" or (name == "go" and args and args[0].literal() == "fmt"):
            return self.writer(action, c, name, args, env, cwd), cwd
        if name in ("cat", "tee", "echo", "printf", ":", "true") or name in FILE_VERBS or name == "sed" \
                or PYTHONS.match(name):
            return self.writer(action, c, name, args, env, cwd), cwd
        if name == "git":
            sub = next((w.literal() for w in args if not (w.literal() or "-").startswith("-")), None)
            if sub in TREE_GIT:
                self.event(action, "unreplayed", f"git {sub}", c.text[:120])
                return True, cwd
        # everything else is not replayed; note files it wrote through redirections
        try:
            targets = self.write_targets(c, env, cwd)
        except (Refused, Unresolvable):
            targets = []
        if name in UNREPLAYED_WRITERS and (name != "awk" or targets) and (name not in ("find", "xargs", "tar", "gzip")
                                                                          or targets):
            self.event(action, "unreplayed", name, c.text[:120], targets)
        elif targets:
            self.event(action, "unreplayed", name, "output of a program that is not replayed", targets)
        else:
            self.event(action, "skipped", name)
        return True, cwd

    def writer(self, action: Action, c: Command, name: str, args: list[Word], env: dict[str, str], cwd: str) -> bool:
        try:
            return self._writer(action, c, name, args, env, cwd)
        except (OSError, UnicodeError, subprocess.SubprocessError) as exc:
            self.event(action, "failed", name, str(exc))
            return False

    def _writer(self, action: Action, c: Command, name: str, args: list[Word], env: dict[str, str], cwd: str) -> bool:
        if PYTHONS.match(name):
            return self.python(action, c, args, env, cwd)
        if name in ("gofmt", "go"):
            return self.gofmt(action, c, name, args, env, cwd)
        if name == "sed":
            return self.sed(action, c, args, env, cwd)
        if name in FILE_VERBS:
            return self.file_verb(action, c, name, args, env, cwd)
        target, append = self.stdout_target(c, env, cwd)
        extra = [t for t in self.write_targets(c, env, cwd) if t != target]
        if name == "tee":
            files, tee_append = [], False
            for w in args:
                v = self.value(w, env)
                if v in ("-a", "--append"):
                    tee_append = True
                elif not v.startswith("-"):
                    files.append(self.ws_path(v, cwd))
            data = self.stdin_of(c, env, cwd)
            if data is None:
                self.event(action, "unreplayed", "tee", "tee without a here-document", files)
                return True
            raw = data.encode("utf-8", "surrogateescape")
            for f in files:
                self.put(f, raw, tee_append)
            if target:
                self.put(target, raw, append)
            self.event(action, "replayed", "tee", "", files + ([target] if target else []))
            return True
        if target is None:
            if extra:
                for t in extra:
                    self.put(t, b"", append=False)
                self.event(action, "replayed", "redirect", "", extra)
            else:
                self.event(action, "skipped", name)
            return True
        if name == "cat":
            data_parts: list[bytes] = []
            operands = [w for w in args if self.value(w, env) != "--"]
            if any(self.value(w, env).startswith("-") and self.value(w, env) != "-" for w in operands):
                raise Unresolvable("cat with options")
            if not operands:
                operands_values = ["-"]
            else:
                operands_values = [self.value(w, env) for w in operands]
            for v in operands_values:
                if v == "-":
                    data = self.stdin_of(c, env, cwd)
                    if data is None:
                        self.event(action, "unreplayed", "cat", "cat from a terminal or pipe", [target])
                        return True
                    data_parts.append(data.encode("utf-8", "surrogateescape"))
                else:
                    data_parts.append(self.host(self.ws_path(v, cwd)).read_bytes())
            self.put(target, b"".join(data_parts), append)
            self.event(action, "replayed", "heredoc" if any(r.heredoc for r in c.redirects) else "cat", "", [target])
            return True
        if name in (":", "true"):
            self.put(target, b"", append)
            self.event(action, "replayed", "redirect", "", [target])
            return True
        values = [self.value(w, env) for w in args]
        if name == "echo":
            newline, escapes, k = True, False, 0
            while k < len(values) and re.fullmatch(r"-[neE]+", values[k]):
                newline = newline and "n" not in values[k]
                escapes = "e" in values[k] if ("e" in values[k] or "E" in values[k]) else escapes
                k += 1
            text = " ".join(values[k:])
            if escapes:
                text = text.encode("latin-1", "backslashreplace").decode("unicode_escape")
            data = (text + ("\n" if newline else "")).encode("utf-8", "surrogateescape")
        else:   # printf: the coreutils binary has no side effects beyond its output
            if values and values[0] == "-v":
                raise Unresolvable("printf -v")
            r = subprocess.run(["printf", *values], capture_output=True, timeout=30)
            data = r.stdout
        self.put(target, data, append)
        self.event(action, "replayed", name, "", [target])
        return True

    def file_verb(self, action: Action, c: Command, name: str, args: list[Word], env: dict[str, str], cwd: str) -> bool:
        argv = [name]
        paths: list[str] = []
        end_opts = False
        mode_pending = name == "chmod"
        k = 0
        while k < len(args):
            w = args[k]
            v = self.value(w, env)
            if not end_opts and v == "--":
                end_opts = True
                argv.append(v)
            elif mode_pending and (re.fullmatch(r"[ugoa]*[-+=][rwxXst]*(,[ugoa]*[-+=][rwxXst]*)*", v) or v.isdigit()):
                argv.append(v)
                mode_pending = False
            elif not end_opts and v.startswith("-") and v != "-":
                argv.append(v)
                if (name == "mkdir" and v in ("-m", "--mode")) or (name in ("cp", "mv") and v in ("-S", "--suffix")):
                    k += 1
                    argv.append(self.value(args[k], env))
                elif name in ("cp", "mv") and v in ("-t", "--target-directory"):
                    k += 1
                    p = self.ws_path(self.value(args[k], env), cwd)
                    paths.append(p)
                    argv.append(str(self.host(p)))
                elif v.startswith("--reference") or v.startswith("--target-directory="):
                    raise Unresolvable(v)
            else:
                for p in self.operands(w, env, cwd):
                    paths.append(p)
                    argv.append(str(self.host(p)))
            k += 1
        if name == "cp" and any(a.startswith("-") and ("l" in a.lstrip("-") or "s" in a.lstrip("-"))
                                and not a.startswith("--") for a in argv[1:]):
            raise Unresolvable("cp -l/-s makes links")
        host_cwd = self.host_dir(cwd)
        r = subprocess.run(argv, capture_output=True, text=True, cwd=host_cwd, timeout=60,
                           env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
        kind = "replayed" if r.returncode == 0 else "failed"
        self.event(action, kind, name, r.stderr.strip().replace(str(self.root), self.ws), paths)
        return r.returncode == 0

    def sed(self, action: Action, c: Command, args: list[Word], env: dict[str, str], cwd: str) -> bool:
        values = [self.value(w, env) for w in args]
        in_place = any(v.startswith("-i") or v.startswith("--in-place") or
                       (re.fullmatch(r"-[nEersuz]*i\S*", v) is not None) for v in values)
        target, _ = self.stdout_target(c, env, cwd)
        if not in_place:
            if target:
                self.event(action, "unreplayed", "sed", "sed output redirected to a file", [target])
            else:
                self.event(action, "skipped", "sed")
            return True
        argv = ["sed", "--sandbox"]
        files: list[str] = []
        script_given = False
        k = 0
        end_opts = False
        while k < len(values):
            v = values[k]
            if not end_opts and v == "--":
                end_opts = True
            elif not end_opts and v in ("-e", "--expression", "-f", "--file", "-l", "--line-length"):
                if k + 1 >= len(values):
                    raise Unresolvable("sed option without argument")
                arg = values[k + 1]
                if v in ("-f", "--file"):
                    arg = str(self.host(self.ws_path(arg, cwd)))
                if v in ("-e", "--expression", "-f", "--file"):
                    script_given = True
                argv += [v, arg]
                k += 2
                continue
            elif not end_opts and (v.startswith("--expression=") or v.startswith("--file=")):
                script_given = True
                argv.append(v)
            elif not end_opts and v.startswith("-") and len(v) > 1:
                if re.fullmatch(r"-[nEersuz]*e", v) and k + 1 < len(values):   # e.g. -ne SCRIPT
                    argv += [v, values[k + 1]]
                    script_given = True
                    k += 2
                    continue
                argv.append(v)
            elif not script_given:
                argv.append(v)
                script_given = True
            else:
                for p in self.operands(args[k], env, cwd):
                    files.append(p)
                    argv.append(str(self.host(p)))
            k += 1
        if not files:
            self.event(action, "unreplayed", "sed", "sed -i without files")
            return True
        host_cwd = self.host_dir(cwd)
        r = subprocess.run(argv, capture_output=True, text=True, cwd=host_cwd, timeout=60,
                           env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"})
        kind = "replayed" if r.returncode == 0 else "failed"
        self.event(action, kind, "sed -i", r.stderr.strip().replace(str(self.root), self.ws), files)
        return r.returncode == 0

    def gofmt(self, action: Action, c: Command, name: str, args: list[Word], env: dict[str, str], cwd: str) -> bool:
        """``gofmt -w FILES`` and ``go fmt [./...]``: a formatter rewrites files in place; replayed with
        the machine's gofmt (its version may format a few constructs differently: verification tells)."""
        values = [self.value(w, env) for w in args]
        if name == "go":
            pkgs = values[1:] or ["."]
            files = []
            for pkg in pkgs:
                recursive = pkg.endswith("/...")
                base = self.ws_path(pkg[:-4] if recursive else pkg, cwd)
                for dirpath, dirnames, filenames in os.walk(self.host(base)):
                    dirnames[:] = sorted(d for d in dirnames if recursive and not d.startswith((".", "_"))
                                         and d not in ("testdata", "vendor"))
                    files += [str(Path(dirpath) / f) for f in sorted(filenames) if f.endswith(".go")]
            argv = ["gofmt", "-l", "-w", *files]
            paths = [self.ws + "/" + str(Path(f).relative_to(self.root)) for f in files]
        else:
            if "-w" not in values:
                self.event(action, "skipped", "gofmt")
                return True
            argv, paths = ["gofmt"], []
            for w, v in zip(args, values):
                if v.startswith("-"):
                    argv.append(v)
                else:
                    for p in self.operands(w, env, cwd):
                        paths.append(p)
                        argv.append(str(self.host(p)))
        exe = shutil.which("gofmt") or next((p for p in ("/usr/lib/go/bin/gofmt", "/usr/local/go/bin/gofmt")
                                             if os.path.exists(p)), None)
        if exe is None:
            self.event(action, "unreplayed", "gofmt", "no gofmt on this machine", paths)
            return True
        if not paths:
            return True
        argv[0] = exe
        r = subprocess.run(argv, capture_output=True, text=True, cwd=self.host_dir(cwd), timeout=120,
                           env={"PATH": "/usr/bin:/bin", "HOME": str(self.root), "LC_ALL": "C"})
        self.event(action, "replayed" if r.returncode == 0 else "failed", "gofmt",
                   r.stderr.strip().replace(str(self.root), self.ws), paths)
        return r.returncode == 0

    def python(self, action: Action, c: Command, args: list[Word], env: dict[str, str], cwd: str) -> bool:
        values = [self.value(w, env) for w in args]
        code, argv, stdin = None, ["-"], ""
        k = 0
        while k < len(values) and values[k].startswith("-") and values[k] not in ("-", "-c"):
            if values[k] in ("-m", "-W", "-X"):
                self.event(action, "skipped", "python", "runs a module")
                return True
            k += 1
        rest = values[k:]
        heredoc = self.stdin_of(c, env, cwd)
        if rest and rest[0] == "-c":
            if len(rest) < 2:
                raise Unresolvable("python -c without code")
            code, argv, stdin = rest[1], ["-c", *rest[2:]], heredoc or ""
        elif (not rest or rest[0] == "-") and heredoc is not None:
            code, argv = heredoc, ["-", *rest[1:]]
        else:
            # python3 some_script.py: the agent's own program or a generator; not a file edit we replay
            targets = self.write_targets(c, env, cwd)
            self.event(action, "unreplayed" if targets else "skipped", "python",
                       "runs a script file" if rest else "interactive", targets)
            return True
        if not self.run_python:
            self.event(action, "unreplayed", "python", "python patches disabled")
            return True
        if re.search(r"\b(subprocess|os\.system|os\.popen|os\.exec\w*|os\.spawn\w*|pty|socket|urllib|requests)\b", code):
            self.event(action, "unreplayed", "python", "script starts processes or uses the network")
            return True
        if c.redirects and self.stdout_target(c, env, cwd)[0]:
            raise Unresolvable("python output redirected into a file")
        if cwd == UNKNOWN_DIR:
            raise Unresolvable("python run in a directory the replay cannot know")
        host_cwd = self.host(self.ws_path(cwd, self.ws))
        if not host_cwd.is_dir():
            self.event(action, "failed", "python", f"no directory {cwd}")
            return False
        r = confine.run_python(code, root=self.root, cwd=cwd, workspace=self.ws, argv=argv, stdin=stdin)
        kind = "replayed" if r.returncode == 0 else "failed"
        err = r.stderr.strip().splitlines()[-1:] if r.returncode else []
        self.event(action, kind, "python", " ".join(err).replace(str(self.root), self.ws))
        return r.returncode == 0


def snapshot(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` (relative posix path -> bytes), .git excluded."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for f in sorted(filenames):
            p = Path(dirpath) / f
            if p.is_file() and not p.is_symlink():
                out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


def modes(root: Path) -> dict[str, str]:
    out = {}
    for rel in snapshot(root):
        m = (root / rel).stat().st_mode
        out[rel] = "100755" if m & stat.S_IXUSR else "100644"
    return out


def replay_trajectory(traj: dict | list, sandbox: Path, workspace: str = WORKSPACE, *, fresh: bool = True,
                      checkpoints=None) -> tuple[ReplayReport, list[Action]]:
    """Replay ``traj`` into ``sandbox``; ``checkpoints(action, replayer)`` is called after each action."""
    sandbox = Path(sandbox)
    if fresh and sandbox.exists():
        shutil.rmtree(sandbox)
    actions = extract_actions(traj)
    rep = Replayer(sandbox, workspace)
    rep.report.shape = shape_of(traj)
    rep.report.actions = len(actions)
    for action in actions:
        rep.replay_action(action)
        if checkpoints is not None:
            checkpoints(action, rep)
    return rep.report, actions


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trajectory")
    ap.add_argument("sandbox")
    ap.add_argument("--workspace", default=WORKSPACE)
    ap.add_argument("--json", help="write the replay and verification report here ('-' for stdout)")
    args = ap.parse_args(argv)
    from .verify import Verifier

    traj = load(args.trajectory)
    verifier = Verifier(workspace=args.workspace)
    report, actions = replay_trajectory(traj, Path(args.sandbox), args.workspace, checkpoints=verifier.check)
    result = {"replay": report.to_json(), "verification": verifier.result(Path(args.sandbox))}
    s = report.summary()
    print(f"{len(actions)} actions ({s['shape']}); confinement: {s['confinement']}")
    for k in ("replayed", "failed", "refused", "unreplayed"):
        print(f"  {k:10s} {sum(s[k].values()):4d}  {s[k]}")
    print(f"  {'skipped':10s} {sum(s['skipped'].values()):4d}  top: {dict(list(s['skipped'].items())[:8])}")
    v = result["verification"]
    print(f"verification: {v['verdict']}  ({v['summary']})")
    if args.json:
        text = json.dumps(result, indent=1, sort_keys=True)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
