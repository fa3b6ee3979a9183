"""Obtain every side of every pair from its registry and cut it down to the code that is compared.

Layout of the cache (``MEMAUDIT_BENCH_CACHE``, default ``~/.cache/memaudit-bench``)::

    downloads/<how>/<pkg>/          the downloaded archive(s), ``unpacked/`` and ``download.json``
    sides/<side-id>/                the kept source files of one side (nothing else)
    sides/<side-id>.json            what was kept and dropped, and why
    manifest.json                   everything above for all sides, plus the sides that are missing

Every step is idempotent: a package already downloaded, or a side already extracted with the same
specification and the same stripping rules, is reused. ``python -m bench.fetch [--only PAIR ...]``
runs this step alone.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import config
from .manifest import Manifest, Pair, Side, load_manifest
from .strip import classify

#: Bump when the stripping rules change, so extracted sides are rebuilt.
STRIP_VERSION = 2

DEB_SRC_FILE = Path("/etc/apt/sources.list.d/memaudit-bench-src.sources")


class FetchError(RuntimeError):
    """A side could not be obtained; the message says why."""


@dataclass
class Download:
    """A downloaded and unpacked package."""

    key: str
    how: str
    pkg: str
    version: str
    archives: list[dict]
    root: Path  # the package's top directory after unpacking

    def record(self) -> dict:
        return {"how": self.how, "pkg": self.pkg, "version": self.version, "archives": self.archives,
                "root": str(self.root)}


@dataclass
class SideResult:
    """One extracted side (or the reason it is missing)."""

    side: Side
    dir: Path
    lang: str = ""
    version: str = ""
    used_path: str = ""
    files: list[dict] = field(default_factory=list)
    stripped: list[dict] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.files)

    @property
    def bytes(self) -> int:
        return sum(f["bytes"] for f in self.files)

    @property
    def lines(self) -> int:
        return sum(f["lines"] for f in self.files)

    def record(self) -> dict:
        return {
            "id": self.side.id, "how": self.side.how, "pkg": self.side.pkg, "path": self.side.path,
            "exclude": list(self.side.exclude), "declared_lang": self.side.lang, "lang": self.lang,
            "version": self.version, "used_path": self.used_path, "strip_version": STRIP_VERSION,
            "dir": str(self.dir), "error": self.error,
            "totals": {"files": len(self.files), "bytes": self.bytes, "lines": self.lines},
            "files": self.files, "stripped": self.stripped,
        }


# --------------------------------------------------------------------------------------------------
# helpers

def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run(cmd: list[str], cwd: Path | None = None, timeout: int = 900) -> str:
    """Run a command, return its stdout; raise :class:`FetchError` with its stderr on failure."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as exc:
        raise FetchError(f"{cmd[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise FetchError(f"{' '.join(cmd)} timed out after {timeout}s") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise FetchError(f"{' '.join(cmd)} failed ({proc.returncode}): {' | '.join(tail)}")
    return proc.stdout


def unpack(archive: Path, dest: Path) -> None:
    """Unpack a tar (any compression Python knows) or zip archive into ``dest``, safely."""
    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                target = (dest / member).resolve()
                if not str(target).startswith(str(dest.resolve())):
                    raise FetchError(f"{archive.name}: unsafe member {member}")
            zf.extractall(dest)
        return
    try:
        with tarfile.open(archive) as tf:
            tf.extractall(dest, filter="data")
    except (tarfile.TarError, OSError) as exc:
        # e.g. a compression Python lacks: fall back to GNU tar, which guards paths itself.
        try:
            run(["tar", "-xf", str(archive), "-C", str(dest)])
        except FetchError:
            raise FetchError(f"cannot unpack {archive.name}: {exc}") from exc


def single_top_dir(path: Path) -> Path:
    """The only directory inside ``path`` if there is exactly one entry and it is a directory."""
    entries = [p for p in path.iterdir()]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return path


def language_extensions() -> dict[str, frozenset[str]]:
    """memaudit's languages and their file extensions (so the kept files are what memaudit reads)."""
    from memaudit.languages import all_specs

    return {name: frozenset(ext.lower() for ext in spec.extensions) for name, spec in all_specs().items()}


# --------------------------------------------------------------------------------------------------
# downloads, one function per "how"

def ensure_deb_src() -> None:
    """Make sure apt knows Debian source packages: add a deb-src twin of debian.sources if needed.

    Only the main archive's suites are added, not the security archive: its source pool answers 404
    on the mirror this was built on, and only upstream (orig) tarballs are used, which security
    updates rarely change.
    """
    sources = Path("/etc/apt/sources.list.d")
    for path in list(sources.glob("*.sources")) + list(sources.glob("*.list")) + [Path("/etc/apt/sources.list")]:
        if path.is_file() and re.search(r"^(Types:.*\bdeb-src\b|deb-src\s)", path.read_text(errors="replace"), re.M):
            return
    base = sources / "debian.sources"
    if not base.is_file():
        raise FetchError("no deb-src entry and no /etc/apt/sources.list.d/debian.sources to derive one from")
    if os.geteuid() != 0:
        raise FetchError("adding a deb-src entry needs root")
    stanzas = [s for s in base.read_text().split("\n\n") if s.strip() and "-security" not in s]
    text = "\n\n".join(s.replace("Types: deb\n", "Types: deb-src\n") for s in stanzas)
    DEB_SRC_FILE.write_text("# added by memaudit's bench/fetch.py (Debian source packages)\n" + text.strip() + "\n")
    run(["apt-get", "update"], timeout=900)


def fetch_apt_dev(pkg: str, work: Path) -> tuple[str, list[Path], Path]:
    """``apt-get download PKG`` and ``dpkg-deb -x``."""
    run(["apt-get", "download", pkg], cwd=work)
    debs = sorted(work.glob(f"{pkg}_*.deb"))
    if not debs:
        raise FetchError(f"apt-get download {pkg} produced no .deb")
    deb = debs[-1]
    version = run(["dpkg-deb", "-f", str(deb), "Version"]).strip()
    unpacked = work / "unpacked"
    unpacked.mkdir(exist_ok=True)
    run(["dpkg-deb", "-x", str(deb), str(unpacked)])
    return version, [deb], unpacked


def download_source_files(pkg: str, work: Path) -> None:
    """Download only the .dsc and upstream tarball(s) of source package ``pkg`` with apt-helper."""
    with tempfile.TemporaryDirectory() as empty:  # apt lists no file that is already in its cwd
        listing = run(["apt-get", "source", "--print-uris", pkg], cwd=Path(empty))
    entries = re.findall(r"^'([^']+)' (\S+) \d+ (\S+)$", listing, re.M)
    wanted = [e for e in entries if e[1].endswith(".dsc") or (".tar." in e[1] and ".debian.tar." not in e[1])]
    if not wanted:
        raise FetchError(f"apt-get source --print-uris {pkg} lists no upstream tarball")
    for uri, name, digest in wanted:
        for stale in work.glob(name):
            stale.unlink()
        run(["/usr/lib/apt/apt-helper", "download-file", uri, str(work / name), digest], cwd=work, timeout=1800)


def fetch_apt_src(pkg: str, work: Path) -> tuple[str, list[Path], Path]:
    """``apt-get source --download-only PKG`` and unpack the upstream (orig) tarball; patches unused."""
    ensure_deb_src()
    try:
        run(["apt-get", "source", "--download-only", pkg], cwd=work, timeout=1800)
    except FetchError as first:
        # Some mirrors lack a file apt-get source wants (seen: a debian.tar.xz answering 404). Only the
        # .dsc and the upstream tarball are needed: fetch those alone with apt's own downloader,
        # checked against the hashes apt lists.
        try:
            download_source_files(pkg, work)
        except FetchError as second:
            raise FetchError(f"{first}; fallback: {second}") from second
    dscs = sorted(work.glob("*.dsc"))
    if not dscs:
        raise FetchError(f"apt-get source {pkg} produced no .dsc")
    version = ""
    for line in dscs[-1].read_text(errors="replace").splitlines():
        if line.startswith("Version:"):
            version = line.split(":", 1)[1].strip()
            break
    tarballs = [p for p in work.iterdir() if ".tar." in p.name and not p.name.endswith((".asc", ".sig"))]
    origs = [p for p in tarballs if ".orig.tar." in p.name]
    main = origs or [p for p in tarballs if ".debian.tar." not in p.name]
    if not main:
        raise FetchError(f"no upstream tarball among {[p.name for p in tarballs]}")
    archive = main[0]
    unpacked = work / "unpacked"
    if unpacked.exists():
        shutil.rmtree(unpacked)
    unpack(archive, unpacked)
    return version, [archive, dscs[-1]], single_top_dir(unpacked)


def fetch_npm(pkg: str, work: Path) -> tuple[str, list[Path], Path]:
    """``npm pack NAME@VER``; the sources are under ``package/``."""
    out = run(["npm", "pack", pkg, "--silent"], cwd=work)
    names = [line.strip() for line in out.splitlines() if line.strip().endswith(".tgz")]
    tgz = work / names[-1] if names else None
    if tgz is None or not tgz.is_file():
        candidates = sorted(work.glob("*.tgz"))
        if not candidates:
            raise FetchError(f"npm pack {pkg} produced no tarball")
        tgz = candidates[-1]
    unpacked = work / "unpacked"
    if unpacked.exists():
        shutil.rmtree(unpacked)
    unpack(tgz, unpacked)
    root = unpacked / "package" if (unpacked / "package").is_dir() else single_top_dir(unpacked)
    version = json.loads((root / "package.json").read_text()).get("version", "")
    return version, [tgz], root


def fetch_pypi_sdist(pkg: str, work: Path) -> tuple[str, list[Path], Path]:
    """``pip download --no-deps --no-binary NAME NAME==VER``: the source distribution only."""
    name = pkg.split("==")[0]
    run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", name, "-d", str(work), pkg],
        timeout=900)
    archives = [p for p in work.iterdir() if p.is_file() and p.name.endswith((".tar.gz", ".zip", ".tar.bz2"))]
    if not archives:
        raise FetchError(f"pip download {pkg} produced no sdist")
    archive = archives[0]
    unpacked = work / "unpacked"
    if unpacked.exists():
        shutil.rmtree(unpacked)
    unpack(archive, unpacked)
    root = single_top_dir(unpacked)
    version = ""
    pkg_info = root / "PKG-INFO"
    if pkg_info.is_file():
        for line in pkg_info.read_text(errors="replace").splitlines():
            if line.startswith("Version:"):
                version = line.split(":", 1)[1].strip()
                break
    return version, [archive], root


FETCHERS = {"apt-dev": fetch_apt_dev, "apt-src": fetch_apt_src, "npm": fetch_npm, "pypi-sdist": fetch_pypi_sdist}


def download(side: Side, cache: Path, log=print) -> Download:
    """Download and unpack the package of ``side`` (reusing an earlier download)."""
    work = cache / "downloads" / side.package_key
    done = work / "download.json"
    if done.is_file():
        data = json.loads(done.read_text())
        if Path(data["root"]).is_dir():
            return Download(side.package_key, side.how, side.pkg, data["version"], data["archives"],
                            Path(data["root"]))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    log(f"  fetching {side.how} {side.pkg}")
    version, archives, root = FETCHERS[side.how](side.pkg, work)
    records = [{"file": a.name, "bytes": a.stat().st_size, "sha256": sha256_file(a)} for a in archives]
    result = Download(side.package_key, side.how, side.pkg, version, records, root)
    done.write_text(json.dumps(result.record(), indent=2))
    return result


# --------------------------------------------------------------------------------------------------
# extraction

def select_files(root: Path, patterns: list[str]) -> list[Path]:
    """Files matched by the space-separated glob ``patterns`` under ``root``; directories count whole."""
    found: set[Path] = set()
    for pattern in patterns:
        for hit in glob.glob(pattern, root_dir=root):
            path = root / hit
            if path.is_symlink():
                continue
            if path.is_file():
                found.add(path)
            elif path.is_dir():
                for sub in path.rglob("*"):
                    if sub.is_file() and not sub.is_symlink():
                        found.add(sub)
    return sorted(found)


def common_parent(paths: list[Path]) -> Path:
    """The deepest directory containing all ``paths``."""
    parent = Path(os.path.commonpath([str(p.parent) for p in paths]))
    return parent


def _classify_all(side: Side, root: Path, path: str, lang: str,
                  extensions: dict[str, frozenset[str]]) -> tuple[list[tuple[Path, str]], list[dict]]:
    """Select and classify files; returns (kept (absolute, relative) pairs, stripped records)."""
    files = select_files(root, path.split())
    if not files:
        return [], []
    base = common_parent(files)
    exts = extensions.get(lang, frozenset())
    kept: list[tuple[Path, str]] = []
    stripped: list[dict] = []
    for file in files:
        rel = PurePosixPath(file.relative_to(base)).as_posix()
        reason = classify(rel, file.read_bytes(), exts, lang, side.exclude)
        if reason:
            stripped.append({"path": rel, "bytes": file.stat().st_size, "reason": reason})
        else:
            kept.append((file, rel))
    return kept, stripped


def extract_side(side: Side, dl: Download, cache: Path, extensions: dict[str, frozenset[str]]) -> SideResult:
    """Copy the kept files of ``side`` from its unpacked package into ``<cache>/sides/<id>/``."""
    dest = cache / "sides" / side.id
    result = SideResult(side=side, dir=dest, version=dl.version)
    if side.lang not in extensions:
        raise FetchError(f"language {side.lang!r} is not one memaudit supports")
    kept, stripped = _classify_all(side, dl.root, side.path, side.lang, extensions)
    result.lang, result.used_path = side.lang, side.path
    if not kept and side.fallback_path:
        note = {"path": side.path, "bytes": 0, "reason": "no source file matched; used the fallback path"}
        kept, stripped = _classify_all(side, dl.root, side.fallback_path, side.fallback_lang or side.lang,
                                       extensions)
        stripped.insert(0, note)
        result.lang, result.used_path = side.fallback_lang or side.lang, side.fallback_path
    if not kept:
        raise FetchError(f"no source file left under {result.used_path!r} "
                         f"({len(stripped)} file(s) matched, all stripped)")
    if dest.exists():
        shutil.rmtree(dest)
    for src, rel in kept:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        data = src.read_bytes()
        result.files.append(file_entry(rel, data))
    result.stripped = stripped
    return result


def file_entry(rel: str, data: bytes) -> dict:
    """A kept file as a side record lists it: path, size, lines, sha256."""
    return {"path": rel, "bytes": len(data), "lines": data.count(b"\n"), "sha256": hashlib.sha256(data).hexdigest()}


def _reusable(record_path: Path, side: Side) -> dict | None:
    """The stored side record if it matches ``side`` and the current stripping rules."""
    if not record_path.is_file():
        return None
    data = json.loads(record_path.read_text())
    same = (data.get("strip_version") == STRIP_VERSION and data.get("pkg") == side.pkg
            and data.get("path") == side.path and data.get("error") is None
            and Path(data.get("dir", "")).is_dir())
    return data if same else None


def fetch_side(side: Side, cache: Path, extensions: dict[str, frozenset[str]], log=print) -> dict:
    """Fetch and extract one side, or reuse it; returns its record (with ``error`` set if missing)."""
    record_path = cache / "sides" / f"{side.id}.json"
    stored = _reusable(record_path, side)
    if stored:
        return stored
    try:
        dl = download(side, cache, log)
        result = extract_side(side, dl, cache, extensions)
        record = result.record()
        record["download"] = dl.record()
    except (FetchError, OSError, json.JSONDecodeError) as exc:
        record = SideResult(side=side, dir=cache / "sides" / side.id, error=str(exc)).record()
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(record, indent=2))
    return record


def fetch_all(manifest: Manifest, pairs: list[Pair], cache: Path | None = None, log=print) -> dict:
    """Fetch every side of ``pairs``; write and return ``<cache>/manifest.json``.

    The returned dict has ``sides`` (id -> record), ``pairs`` (id -> side ids and whether both sides
    are available) and ``missing`` (pair id -> reasons).
    """
    cache = cache or config.cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    extensions = language_extensions()
    sides: dict[str, dict] = {}
    for pair in pairs:
        for side in (pair.a, pair.b):
            if side.id not in sides:
                log(f"side {side.id}")
                sides[side.id] = fetch_side(side, cache, extensions, log)
    pair_records: dict[str, dict] = {}
    missing: dict[str, list[str]] = {}
    for pair in pairs:
        reasons = [f"side {name} ({side.how} {side.pkg}): {sides[side.id]['error']}"
                   for name, side in (("a", pair.a), ("b", pair.b)) if sides[side.id].get("error")]
        pair_records[pair.id] = {"a": pair.a.id, "b": pair.b.id, "available": not reasons}
        if reasons:
            missing[pair.id] = reasons
    manifest_json = {
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cache": str(cache),
        "strip_version": STRIP_VERSION,
        "sides": sides,
        "pairs": pair_records,
        "missing": missing,
    }
    # Merge with sides of pairs not selected this time, so the manifest stays complete.
    # Entries of pairs not selected this time are kept if the manifest still lists them.
    path = cache / "manifest.json"
    if path.is_file():
        try:
            old = json.loads(path.read_text())
        except json.JSONDecodeError:
            old = {}
        known_sides, known_pairs = manifest.sides(), {p.id for p in manifest.pairs}
        for k, v in old.get("sides", {}).items():
            if k in known_sides:
                manifest_json["sides"].setdefault(k, v)
        for k, v in old.get("pairs", {}).items():
            if k in known_pairs:
                manifest_json["pairs"].setdefault(k, v)
        for k, v in old.get("missing", {}).items():
            if k in known_pairs and k not in pair_records:
                manifest_json["missing"].setdefault(k, v)
    path.write_text(json.dumps(manifest_json, indent=2))
    return manifest_json


def main(argv: list[str] | None = None) -> int:
    """Command line: fetch the sides of all (or ``--only``) pairs and print a summary."""
    parser = argparse.ArgumentParser(prog="python -m bench.fetch", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="pair id (repeatable, or comma-separated)")
    args = parser.parse_args(argv)
    manifest = load_manifest(config.PAIRS_FILE)
    only = [name for item in args.only for name in item.split(",") if name]
    pairs = manifest.select(only or None)
    result = fetch_all(manifest, pairs)
    for side_id, rec in sorted(result["sides"].items()):
        if rec.get("error"):
            print(f"MISSING {side_id}: {rec['error']}")
        else:
            t = rec["totals"]
            print(f"{side_id:60s} {rec['lang']:10s} {t['files']:4d} files {t['bytes'] / 1024:8.1f} KB "
                  f"({len(rec['stripped'])} stripped)")
    for pair_id, reasons in result["missing"].items():
        print(f"missing pair {pair_id}: {'; '.join(reasons)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
