"""Check a replayed workspace against what the trajectory itself recorded about the files.

Records read from the agent's own tool outputs, each checked against the sandbox as it stood right
after that action was replayed:

* ``git commit`` summaries (``N files changed, X insertions(+), Y deletions(-)``, ``create mode``,
  ``delete mode``): file count, insertions and deletions, and the mode of each created file.
  Insertions of a created file are its git line count, so for a commit of new files this is an
  exact check of every file's line count; for modified files the counts come from a line diff
  against the previous commit (git's diff may pair lines differently: flagged ``approximate``).
* ``--stat`` listings (``path | N +++``) for files new since the last commit.
* ``diff --git`` headers with ``index A..B``: B is the abbreviated git blob id of the file's content,
  a byte-exact check.
* ``wc -l`` lines for files of the workspace.
* Views: an action that only ran ``cat F``, ``sed -n 'A,Bp' F`` or ``nl -ba F | sed -n 'A,Bp'``
  shows those lines verbatim (unless the output was cut); compared line for line.
"""

from __future__ import annotations

import difflib
import hashlib
import posixpath
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .replay import Replayer, git_line_count, modes, snapshot
from .trajectory import Action

COMMIT_HEAD = re.compile(r"^\[([^\]\s]+)(?: \(root-commit\))? ([0-9a-f]{7,40})\] (.*)$", re.M)
COMMIT_STAT = re.compile(r"^ (\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?", re.M)
MODE_LINE = re.compile(r"^ (create|delete) mode (\d{6}) (.+)$", re.M)
STAT_LINE = re.compile(r"^ (\S.*?)\s+\|\s+(\d+) ?[+-]*$", re.M)
DIFF_HEAD = re.compile(r"^diff --git a/(\S+) b/(\S+)\n(?:(?:new|deleted) file mode \d+\n|old mode \d+\nnew mode \d+\n"
                       r"|similarity index \d+%\n)*index ([0-9a-f]{7,40})\.\.([0-9a-f]{7,40})", re.M)
WC_LINE = re.compile(r"^\s*(\d+) (\S[^\n]*)$", re.M)
VIEW_SED = re.compile(r"^\s*sed -n ['\"]?(\d+),(\d+)p['\"]? (\S+)\s*$")
VIEW_NL = re.compile(r"^\s*nl -ba (\S+) \| sed -n ['\"]?(\d+),(\d+)p['\"]?\s*$")
VIEW_CAT = re.compile(r"^\s*cat (\S+)\s*$")


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def diff_counts(old: bytes, new: bytes) -> tuple[int, int]:
    a = old.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    b = new.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    ins = dels = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            dels += i2 - i1
        if tag in ("replace", "insert"):
            ins += j2 - j1
    return ins, dels


@dataclass
class Check:
    action: int
    kind: str              # commit | commit-file | commit-mode | stat | blob | wc | view
    path: str
    expected: str          # what the trajectory recorded
    observed: str          # what the replayed sandbox has
    ok: bool
    approximate: bool = False


@dataclass
class CommitRecord:
    action: int
    sha: str
    message: str
    files: int
    insertions: int
    deletions: int
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


class Verifier:
    def __init__(self, workspace: str = "/workspace"):
        self.ws = workspace.rstrip("/")
        self.checks: list[Check] = []
        self.commits: list[CommitRecord] = []
        self.tracked: dict[str, bytes] = {}       # content of every tracked file at the last commit
        self.tracked_known = False

    # paths in outputs are relative to /workspace (the agent's cwd) or absolute under it
    def norm(self, p: str) -> str | None:
        p = p.strip().strip("'\"")
        if p.startswith(self.ws + "/"):
            p = p[len(self.ws) + 1:]
        elif p.startswith("/"):
            return None
        p = posixpath.normpath(p)
        return None if p.startswith("..") else p

    def add(self, *args, **kw) -> None:
        self.checks.append(Check(*args, **kw))

    def check(self, action: Action, rep: Replayer) -> None:
        out = action.text
        if not out or action.output is None:
            return
        cmd = action.command
        files = None

        def current() -> dict[str, bytes]:
            nonlocal files
            if files is None:
                files = snapshot(rep.root)
            return files

        if "commit" in cmd and COMMIT_STAT.search(out) and COMMIT_HEAD.search(out):
            self.check_commit(action, out, current(), rep.root)
        if "--stat" in cmd or "diff" in cmd or "show" in cmd:
            self.check_stat(action, out, current())
        if "diff" in cmd or "show" in cmd or "log -p" in cmd:
            self.check_blobs(action, out, current())
        if "wc" in cmd and not action.truncated:
            self.check_wc(action, out, current())
        if not action.truncated and "\n" not in cmd.strip():
            self.check_view(action, cmd.strip(), out, current())

    # ------------------------------------------------------------------ commits
    def check_commit(self, action: Action, out: str, files: dict[str, bytes], root: Path) -> None:
        head = COMMIT_HEAD.search(out)
        stat_m = COMMIT_STAT.search(out, head.end() if head else 0) or COMMIT_STAT.search(out)
        if not head or not stat_m:
            return
        rec = CommitRecord(action.index, head.group(2), head.group(3), int(stat_m.group(1)),
                           int(stat_m.group(2) or 0), int(stat_m.group(3) or 0))
        file_modes = modes(root)
        for kind, mode, path in MODE_LINE.findall(out[stat_m.start():]):
            p = self.norm(path)
            if p is None:
                continue
            (rec.created if kind == "create" else rec.deleted).append(p)
            if kind == "create":
                got = file_modes.get(p, "missing")
                self.add(action.index, "commit-mode", p, mode, got, got == mode)
        ins = dels = 0
        approximate = False
        for p in rec.created:
            data = files.get(p)
            if data is None:
                self.add(action.index, "commit-file", p, "created", "missing", False)
                continue
            n = git_line_count(data)
            ins += n
            self.add(action.index, "commit-file", p, "new file", f"{n} lines", True)
        for p in rec.deleted:
            dels += git_line_count(self.tracked.get(p, b""))
            if p in files:
                self.add(action.index, "commit-file", p, "deleted", "still present", False)
        modified = [p for p, old in self.tracked.items() if p in files and files[p] != old and p not in rec.created]
        for p in modified:
            i, d = diff_counts(self.tracked[p], files[p])
            ins, dels = ins + i, dels + d
            approximate = True
        nfiles = len(rec.created) + len(rec.deleted) + len(modified)
        exp = f"{rec.files} files, +{rec.insertions} -{rec.deletions}"
        got = f"{nfiles} files, +{ins} -{dels}"
        ok = (nfiles, ins, dels) == (rec.files, rec.insertions, rec.deletions)
        if not ok and approximate and nfiles == rec.files and ins - dels == rec.insertions - rec.deletions:
            ok = True      # same net change; git's diff paired the lines differently
        self.add(action.index, "commit", rec.sha, exp, got, ok, approximate=approximate)
        self.commits.append(rec)
        for p in rec.created:
            if p in files:
                self.tracked[p] = files[p]
        for p in modified:
            self.tracked[p] = files[p]
        for p in rec.deleted:
            self.tracked.pop(p, None)
        self.tracked_known = True

    def check_stat(self, action: Action, out: str, files: dict[str, bytes]) -> None:
        for path, n in STAT_LINE.findall(out):
            p = path.strip()
            if p.startswith("..."):
                cands = [f for f in files if f.endswith(p[3:])]
                if len(cands) != 1:
                    continue
                p = cands[0]
            p = self.norm(p) or ""
            if not p or p in self.tracked:
                continue        # only files new since the last commit give an exact count
            data = files.get(p)
            got = "missing" if data is None else str(git_line_count(data))
            self.add(action.index, "stat", p, n, got, got == n)

    def check_blobs(self, action: Action, out: str, files: dict[str, bytes]) -> None:
        for _a, b, _old, new in DIFF_HEAD.findall(out):
            p = self.norm(b)
            if p is None:
                continue
            if set(new) == {"0"}:
                self.add(action.index, "blob", p, "deleted", "present" if p in files else "absent", p not in files)
                continue
            data = files.get(p)
            got = "missing" if data is None else blob_id(data)[:len(new)]
            self.add(action.index, "blob", p, new, got, got == new)

    def check_wc(self, action: Action, out: str, files: dict[str, bytes]) -> None:
        if not re.search(r"\bwc\b[^|;&]*-l", action.command):
            return
        for n, path in WC_LINE.findall(out):
            if path.strip() == "total":
                continue
            p = self.norm(path)
            if p is None or p not in files:
                continue
            got = files[p].count(b"\n")
            self.add(action.index, "wc", p, n, str(got), got == int(n))

    def check_view(self, action: Action, cmd: str, out: str, files: dict[str, bytes]) -> None:
        cmd = re.sub(r"^cd /workspace\s*&&\s*", "", cmd)
        m = VIEW_NL.match(cmd)
        if m:
            path, a, b, numbered = m.group(1), int(m.group(2)), int(m.group(3)), True
        else:
            m = VIEW_SED.match(cmd)
            if m:
                a, b, path, numbered = int(m.group(1)), int(m.group(2)), m.group(3), False
            else:
                m = VIEW_CAT.match(cmd)
                if not m:
                    return
                path, a, b, numbered = m.group(1), 1, 10 ** 9, False
        p = self.norm(path)
        if p is None or p not in files:
            return
        lines = files[p].decode("utf-8", "surrogateescape").splitlines(keepends=True)
        shown = lines[a - 1:b]
        if numbered:
            # nl -ba numbers every line: %6d<TAB>text
            expected = "".join(f"{k:6d}\t{line}" for k, line in enumerate(shown, start=a))
        else:
            expected = "".join(shown)
        if not expected:
            return
        ok = out.rstrip("\n") == expected.rstrip("\n")
        self.add(action.index, "view", p, f"lines {a}-{min(b, len(lines))} as shown",
                 "identical" if ok else "different", ok)

    # ------------------------------------------------------------------ result
    def committed_files(self) -> list[str]:
        return sorted(self.tracked)

    def result(self, sandbox: Path) -> dict:
        files = snapshot(sandbox)
        final = {p: {"lines": git_line_count(files[p]), "bytes": len(files[p]), "blob": blob_id(files[p])}
                 for p in self.committed_files() if p in files}
        by_kind: dict[str, dict[str, int]] = {}
        for c in self.checks:
            d = by_kind.setdefault(c.kind, {"ok": 0, "mismatch": 0})
            d["ok" if c.ok else "mismatch"] += 1
        mismatches = [asdict(c) for c in self.checks if not c.ok]
        commit_checks = [c for c in self.checks if c.kind == "commit"]
        if not commit_checks:
            verdict = "unverified: no git commit record in the trajectory"
        elif mismatches:
            verdict = "mismatch"
        elif any(c.approximate for c in commit_checks):
            verdict = "consistent (modified files compared by line diff)"
        else:
            verdict = "exact"
        summary = ", ".join(f"{k}: {v['ok']} ok" + (f", {v['mismatch']} mismatched" if v["mismatch"] else "")
                            for k, v in sorted(by_kind.items()))
        return {"verdict": verdict, "summary": summary or "no checks", "checks_by_kind": by_kind,
                "mismatches": mismatches, "commits": [asdict(c) for c in self.commits],
                "committed_files": final,
                "committed_lines": sum(f["lines"] for f in final.values())}
