"""Rebuild every real-model recipe (``bench/realmodel/*.toml``) into the benchmark cache.

    python -m bench.realmodel.build [--only ID[,ID]] [--list] [--mirrors DIR[:DIR]]

For each recipe this writes ``<cache>/realmodel/<id>/`` (``MEMAUDIT_BENCH_CACHE``, default
``~/.cache/memaudit-bench``)::

    workspace/      the agent's /workspace rebuilt by replaying the trajectory's file writes
    submission/     the files of the agent's final commit, copied from workspace/
    original/       the original program's tree at the pinned commit
    build.json      the replay report, the verification against the trajectory's own records, and
                    whether every committed file is byte-identical to the one the recipe recorded

No code is committed: a recipe names a public submission repository, a trajectory blob, an original
repository and commit. Both repositories are read from local git snapshots (bare git directories at
``<mirror>/<owner>+<name>/repo``, as the ``fetch`` tool of a development session leaves them under
``/work/.mirror``); this command opens no network connection. Where a snapshot is missing it says
which repository to fetch. The trajectory's blob id pins it: git refuses a blob that is not there.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

from bench import config

from .replay import replay_trajectory
from .verify import Verifier

RECIPES = Path(__file__).resolve().parent
DEFAULT_MIRRORS = "/work/.mirror"


class BuildError(RuntimeError):
    pass


def load_recipes(only: list[str] | None = None) -> list[dict]:
    out = []
    for p in sorted(RECIPES.glob("*.toml")):
        with open(p, "rb") as fh:
            r = tomllib.load(fh)
        r.setdefault("id", p.stem)
        if r["id"] != p.stem:
            raise BuildError(f"{p.name}: id {r['id']!r} differs from the file name")
        if not only or r["id"] in only:
            out.append(r)
    if only:
        missing = set(only) - {r["id"] for r in out}
        if missing:
            raise BuildError(f"no recipe named {', '.join(sorted(missing))}")
    return out


def mirror_dirs(arg: str | None = None) -> list[Path]:
    value = arg or os.environ.get("MEMAUDIT_REALMODEL_MIRRORS") or DEFAULT_MIRRORS
    return [Path(d) for d in value.split(":") if d]


def git_dir(repo: str, mirrors: list[Path]) -> Path:
    name = repo.replace("/", "+")
    for m in mirrors:
        for cand in (m / name / "repo", m / name, m / f"{name}.git"):
            if (cand / "HEAD").is_file() or (cand / ".git").exists():
                return cand
    raise BuildError(f"no local snapshot of {repo} (looked for {name}/repo under {', '.join(map(str, mirrors))}); "
                     f"it is obtained with the session tool `fetch github:{repo}`, which the benchmark cannot "
                     "call at run time")


def git(gd: Path, *args: str) -> bytes:
    r = subprocess.run(["git", "--git-dir", str(gd), *args], capture_output=True)
    if r.returncode != 0:
        raise BuildError(f"git {' '.join(args)} in {gd}: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout


def export_tree(gd: Path, commit: str, dest: Path, paths: list[str] | None = None) -> int:
    """Write the tree of ``commit`` (optionally only ``paths``) into ``dest``; returns the file count."""
    data = git(gd, "archive", "--format=tar", commit, *(paths or []))
    n = 0
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in tar.getmembers():
            if not (m.isfile() or m.isdir()) or m.name.startswith("/") or ".." in Path(m.name).parts:
                continue
            tar.extract(m, dest, filter="data")
            n += m.isfile()
    return n


def build_one(recipe: dict, cache: Path, mirrors: list[Path], log=print) -> dict:
    rid = recipe["id"]
    sub, orig = recipe["submission"], recipe["original"]
    for tool in recipe.get("verification", {}).get("requires", []):
        if shutil.which(tool) is None:
            raise BuildError(f"{rid}: the trajectory runs `{tool} -w`, which the replay needs on PATH "
                             "(gofmt: Debian's golang-go)")
    out = cache / "realmodel" / rid
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    result: dict = {"id": rid, "status": "ok"}
    # the trajectory, pinned by its blob id
    sgd = git_dir(sub["repository"], mirrors)
    raw = git(sgd, "cat-file", "blob", sub["trajectory_blob"])
    traj = json.loads(raw)
    info = traj.get("info", {}) if isinstance(traj, dict) else {}
    if info.get("instance_id") and info["instance_id"] != sub["task"]:
        raise BuildError(f"{rid}: the trajectory is for {info['instance_id']}, not {sub['task']}")
    verifier = Verifier()
    report, actions = replay_trajectory(traj, out / "workspace", checkpoints=verifier.check)
    ver = verifier.result(out / "workspace")
    committed = ver["committed_files"]
    (out / "submission").mkdir()
    for rel in committed:
        src = out / "workspace" / rel
        dst = out / "submission" / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    expected = recipe.get("verification", {}).get("committed_files", {})
    same = {p: committed.get(p, {}).get("blob") == e.get("blob") for p, e in expected.items()}
    result.update(replay=report.summary(), verification={k: v for k, v in ver.items() if k != "committed_files"},
                  committed_files=committed,
                  identical_to_recipe=all(same.values()) and set(expected) == set(committed),
                  differing_from_recipe=sorted(p for p, ok in same.items() if not ok))
    # the original at its pinned commit
    ogd = git_dir(orig["repository"], mirrors)
    n = export_tree(ogd, orig["commit"], out / "original", orig.get("paths"))
    result["original_files"] = n
    if not result["identical_to_recipe"]:
        result["status"] = "differs"
    (out / "build.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    log(f"{rid:28s} {result['status']:8s} replay: {ver['verdict']}; "
        f"{len(committed)} committed files, {ver['committed_lines']} lines; original: {n} files")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", default=[], help="recipe id(s), comma-separated")
    ap.add_argument("--list", action="store_true", help="list the recipes and exit")
    ap.add_argument("--mirrors", help="colon-separated directories holding <owner>+<name>/repo git snapshots")
    args = ap.parse_args(argv)
    only = [v.strip() for item in args.only for v in item.split(",") if v.strip()]
    try:
        recipes = load_recipes(only)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for r in recipes:
            print(f"{r['id']:28s} {r['submission']['model']:24s} {r['submission']['task']:40s} "
                  f"{r['original']['language']} -> {r['submission']['language']}  label: {r['label']['label']}")
        return 0
    cache = config.cache_dir()
    mirrors = mirror_dirs(args.mirrors)
    failed = 0
    for r in recipes:
        try:
            res = build_one(r, cache, mirrors)
            failed += res["status"] != "ok"
        except BuildError as exc:
            failed += 1
            print(f"{r['id']:28s} error    {exc}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
