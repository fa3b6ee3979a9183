"""Build the identifier rarity table (fingerprints/identifier-rarity.json) from registry code.

    python fingerprints/build_rarity.py --out fingerprints/identifier-rarity.json

A fixed, sorted list of packages (:data:`PACKAGES`, from the ``[rarity]`` table of every
``grammars/<language>.toml``) is fetched from the registries memaudit's
machines reach (Debian source and -dev packages, npm, PyPI sdists) into a cache outside the
repository (``~/.cache/memaudit-rarity``; no third-party code is ever stored in the repo). Every
package is one document. Its source files are found and parsed by memaudit itself
(:func:`memaudit.discover.discover`, :func:`memaudit.parse.parse_source_file`) and every
identifier is split by :func:`memaudit.evidence.text.split_identifier`, so the table splits names
exactly as the identifier channel does at comparison time. The statistic is document frequency:
in how many packages a subword (``err``, ``ungron``) or a normalized identifier
(``ungron_tokens``) occurs.

The programs of memaudit's benchmark pairs (bench/pairs.toml, shared/corpus/pairs.toml), the
MirrorCode targets and direct alternatives of both are never in the corpus, and vendored copies of
them inside other packages are dropped file by file (:data:`EXCLUDED_PROGRAMS`,
:func:`is_excluded_path`): a table fitted to the evaluation data would discount exactly the names a
memorized port shares with its original.

Re-running is idempotent: fetched archives and extracted trees are cached and reused, with the
versions recorded in the manifest beside the table (``--refresh`` re-resolves versions).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = "memaudit.rarity/1"
SPLIT = "memaudit.evidence.text.split_identifier v1"
CANONICAL_COMMAND = "python fingerprints/build_rarity.py --out fingerprints/identifier-rarity.json"

#: Defaults of the parameters recorded in the manifest.
MAX_FILES_PER_PACKAGE = 400
MAX_FILE_SIZE = 2 * 1024 * 1024
MIN_DF_SUBWORDS = 2
MIN_DF_IDENTIFIERS = 3
MAX_TABLE_BYTES = 1_450_000


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    """One document of the corpus."""

    #: The registry's name: a Debian source or binary package, an npm or PyPI project.
    name: str
    #: How it is obtained: ``apt-src`` (Debian source package, upstream tarballs),
    #: ``apt-dev`` (a Debian binary package that ships sources), ``npm`` (``npm pack``),
    #: ``pypi`` (the sdist, ``pip download --no-binary :all:``).
    how: str
    #: The language it is listed under (for the report; every supported file it holds counts).
    language: str
    #: Pinned version for npm and PyPI; Debian's are fixed by the suite and recorded when fetched.
    version: str | None = None


def _pkgs(how: str, language: str, names: Iterable[str]) -> list[Package]:
    out = []
    for word in names:
        name, _, version = word.partition("==")
        out.append(Package(name, how, language, version or None))
    return out


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _corpus() -> tuple[Package, ...]:
    """The packages listed in every grammar file's ``[rarity]`` table, sorted by (how, name).

    Each language's list, and why some packages are left out, is in ``grammars/<language>.toml``.
    Debian packages are bookworm's: source packages (``apt-src``, their upstream tarballs) give C,
    C++, Java, Haskell, OCaml and Ada; ``-dev`` binary packages (``apt-dev``) give Go
    (usr/share/gocode/src), Rust (usr/share/cargo/registry), Python (usr/lib/python3/dist-packages)
    and the Ada sources whose upstream tarball the mirror lacked. npm and PyPI ones are pinned.
    """
    from memaudit.languages import all_specs

    packages = [
        package
        for language, spec in all_specs().items()
        for how, names in spec.rarity.items()
        for package in _pkgs(how, language, names)
    ]
    return tuple(sorted(packages, key=lambda p: (p.how, p.name)))


PACKAGES: tuple[Package, ...] = _corpus()

#: Never in the corpus: the programs of memaudit's benchmark pairs, the MirrorCode targets, and
#: direct alternatives to them (other YAML / Markdown parsers, deflate / xz / brotli coders,
#: awk / sed / Lua / yacc implementations, hex dumpers), in the names each registry uses.
EXCLUDED_PROGRAMS: frozenset[str] = _words(
    """
    zlib pako brotli musl libm librust-libm-dev libyaml go-yaml golang-gopkg-yaml.v2-dev
    golang-gopkg-yaml.v3-dev pyyaml python3-yaml yaml-js commonmark python3-commonmark 9base
    golang-golang-x-tools-dev goyacc jq golang-github-itchyny-gojq-dev gojq sed pythonsed busybox
    toybox gawk mawk original-awk util-linux vim hexyl librust-hexyl-dev libdeflate golang-1.19-src
    fflate libfyaml marko mistletoe lua5.1 golang-github-yuin-gopher-lua-dev xz-utils
    golang-github-ulikunitz-xz-dev golang-github-andybalholm-brotli-dev
    librust-brotli-decompressor-dev
    gotree golang-github-evolbioinfo-gotree-dev gron golang-github-tomnomnom-gron-dev coreutils
    bitwise wren wren-cli texlive-bin gcc-12 cpp qsv choose nonogrid mail-auth ruff txt-sushi
    pandoc haskell-pandoc giac pkl
    js-yaml yaml yaml-cpp snakeyaml librust-yaml-rust-dev librust-serde-yaml-dev markdown-it
    marked python3-markdown python3-mistune python3-markdown-it pulldown-cmark
    librust-pulldown-cmark-dev goldmark golang-github-yuin-goldmark-dev cmark gzip pigz zstd
    xz lz4 bzip2 golang-github-klauspost-compress-dev librust-flate2-dev librust-miniz-oxide-dev
    librust-libz-sys-dev jszip bison byacc lua5.2 lua5.3 lua5.4 luajit gopher-lua xxd
    """
)

#: Directories holding vendored copies of excluded programs (matched against each directory
#: name of a file's path, lower-cased): the copy would count as one more document for the
#: benchmark programs' own names.
_VENDORED_DIR = re.compile(
    r"^(cm)?(zlib|libz|zlib-ng|miniz|miniz_oxide|pako|fflate|lua|luajit|lua-?5[.0-9]*|liblzma|xz|"
    r"lzma|brotli|libbrotli|libyaml|yaml-cpp|musl|jq|libdeflate|gojq|gopher-lua)([-_.][0-9a-z.]*)?$"
)
#: Directories of third-party copies in general (``third_party/googletest`` inside protobuf):
#: the copied package would be counted once more under another name.
_THIRD_PARTY_DIRS = frozenset(
    {"third_party", "thirdparty", "third-party", "3rdparty", "bundled", "deps", "external"}
)
#: Test directories at any depth (memaudit's own test globs only know the usual top-level ones).
_TEST_DIRS = frozenset(
    {"test", "tests", "testdata", "testsuite", "test-suite", "__tests__", "unittests", "testing"}
)
#: File names of zlib and Lua 5.1 sources, which other packages embed as loose files.
_ZLIB_FILES = _words(
    """adler32 compress crc32 deflate gzclose gzguts gzlib gzread gzwrite infback inffast inffixed
    inflate inftrees trees uncompr zconf zlib zutil"""
)
_LUA_FILES = _words(
    """lapi lauxlib lbaselib lcode ldblib ldebug ldo ldump lfunc lgc linit liolib llex llimits
    lmathlib lmem loadlib lobject lopcodes loslib lparser lstate lstring lstrlib ltable ltablib ltm
    lua luac luaconf lualib lundump lvm lzio"""
)
_VENDORED_FILE = re.compile(r"^(pako|fflate|zlib|jszip|inflate|deflate)([._-]|$)", re.IGNORECASE)
_MINIFIED = re.compile(r"\.min\.[cm]?js$|-min\.js$", re.IGNORECASE)


def is_excluded_path(relpath: str) -> str | None:
    """Why a file of a package is not counted, or None: tests, minified bundles, vendored
    copies of benchmark programs, other third-party copies."""
    parts = relpath.lower().split("/")
    dirs, name = parts[:-1], parts[-1]
    for d in dirs:
        if d in _TEST_DIRS:
            return "test directory"
        if d in _THIRD_PARTY_DIRS:
            return "third-party copy"
        if _VENDORED_DIR.match(d):
            return "vendored copy of an excluded program"
    stem, _, ext = name.rpartition(".")
    if _MINIFIED.search(name):
        return "minified"
    if ext in ("c", "h") and (stem in _ZLIB_FILES or stem in _LUA_FILES):
        return "vendored copy of an excluded program"
    if _VENDORED_FILE.match(name):
        return "vendored copy of an excluded program"
    return None


# --------------------------------------------------------------------------------------------
# Counting (pure; unit-tested on synthetic input)
# --------------------------------------------------------------------------------------------


def package_terms(identifier_texts: Iterable[str]) -> tuple[set[str], set[str]]:
    """The subwords and normalized identifiers one package uses (each once)."""
    from memaudit.evidence.text import split_identifier

    subwords: set[str] = set()
    identifiers: set[str] = set()
    for text in set(identifier_texts):
        parts = split_identifier(text)
        if not parts:
            continue
        subwords.update(parts)
        identifiers.add("_".join(parts))
    return subwords, identifiers


def document_frequencies(documents: Iterable[Iterable[str]]) -> Counter[str]:
    """For each term, the number of documents it occurs in (a document counts a term once)."""
    df: Counter[str] = Counter()
    for terms in documents:
        df.update(set(terms))
    return df


def build_table(
    documents: int,
    subword_df: Mapping[str, int],
    identifier_df: Mapping[str, int],
    *,
    min_df_subwords: int = MIN_DF_SUBWORDS,
    min_df_identifiers: int = MIN_DF_IDENTIFIERS,
    max_bytes: int | None = MAX_TABLE_BYTES,
) -> tuple[dict[str, object], bytes]:
    """The table and its serialized form. Entries below the thresholds are left out (absent =
    rarest); if the file would exceed ``max_bytes`` the identifier threshold rises first, then
    the subword one (single-character subwords have the highest counts and are never dropped)."""
    min_s, min_i = min_df_subwords, min_df_identifiers
    while True:
        table: dict[str, object] = {
            "format": FORMAT,
            "split": SPLIT,
            "documents": documents,
            "min_df": {"subwords": min_s, "identifiers": min_i},
            "subwords": {k: v for k, v in sorted(subword_df.items()) if v >= min_s},
            "identifiers": {k: v for k, v in sorted(identifier_df.items()) if v >= min_i},
        }
        data = serialize(table)
        if max_bytes is None or len(data) <= max_bytes:
            return table, data
        ids = table["identifiers"]
        assert isinstance(ids, dict)
        if ids and min_i < documents:
            min_i += 1
        elif min_s < documents:
            min_s += 1
        else:
            return table, data


def serialize(doc: Mapping[str, object]) -> bytes:
    """Deterministic JSON: sorted keys, one entry per line (readable diffs), no timestamps."""
    return (
        json.dumps(doc, sort_keys=True, indent=0, separators=(",", ":"), ensure_ascii=True) + "\n"
    ).encode()


# --------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------


@dataclass
class Fetched:
    """A package on disk: where its extracted sources are and what was downloaded."""

    package: Package
    version: str
    tree: str
    archives: list[dict[str, str]] = field(default_factory=list)


class FetchError(Exception):
    pass


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _run(cmd: Sequence[str], cwd: Path, timeout: float = 900) -> str:
    proc = subprocess.run(cmd, check=False, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise FetchError(f"{' '.join(cmd)}: exit {proc.returncode}: {' | '.join(tail)}")
    return proc.stdout


def _supported_extensions() -> frozenset[str]:
    from memaudit.languages import extension_map

    return frozenset(extension_map())


def _safe_member(name: str, strip: int) -> str | None:
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts) or len(parts) <= strip:
        return None
    return "/".join(parts[strip:])


def _extract_tar(stream: tarfile.TarFile, dest: Path, *, strip: int = 0, skip_debian: bool = False) -> int:
    """Extract the supported source files (size-capped) of a tar stream; returns their number.
    Only those: a package's other files are never needed and some trees are huge."""
    exts = _supported_extensions()
    n = 0
    for member in stream:
        if not member.isfile() or member.size > MAX_FILE_SIZE:
            continue
        rel = _safe_member(member.name, strip)
        if rel is None or os.path.splitext(rel)[1].lower() not in exts:
            continue
        if skip_debian and rel.split("/", 1)[0] == "debian":
            continue
        fh = stream.extractfile(member)
        if fh is None:
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            shutil.copyfileobj(fh, out)
        n += 1
    return n


def _extract_zip(path: Path, dest: Path, strip: int) -> int:
    exts = _supported_extensions()
    n = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir() or info.file_size > MAX_FILE_SIZE:
                continue
            rel = _safe_member(info.filename, strip)
            if rel is None or os.path.splitext(rel)[1].lower() not in exts:
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
            n += 1
    return n


def _dsc_fields(dsc: Path) -> tuple[str, list[str]]:
    """Version and file names of a Debian source control file."""
    version, files, section = "", [], None
    for line in dsc.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("Version:"):
            version = line.split(":", 1)[1].strip()
        if line and not line[0].isspace():
            section = line.split(":", 1)[0]
        elif section == "Checksums-Sha256" and line.strip():
            files.append(line.split()[-1])
    return version, files


def _download(pkg: Package, dl: Path) -> None:
    """Fetch the package's archives into the empty directory ``dl``."""
    dl.mkdir(parents=True, exist_ok=True)
    if pkg.how == "apt-src":
        # `apt-get source --download-only` gives up on the whole package when any file is missing
        # from the mirror (often the debian.tar, which is not needed): fetch the .dsc and the
        # upstream tarballs one by one through apt's own downloader, checking their hashes.
        listing = _run(["apt-get", "source", "--print-uris", "-qq", pkg.name], dl)
        wanted = 0
        for line in listing.splitlines():
            m = re.match(r"'([^']+)' (\S+) \d+ (\S+)$", line.strip())
            if not m:
                continue
            uri, name, digest = m.groups()
            if name.endswith((".asc", ".diff.gz")) or ".debian.tar." in name:
                continue
            _run(["/usr/lib/apt/apt-helper", "download-file", uri, str(dl / name), digest], dl)
            wanted += 1
        if wanted < 2:
            raise FetchError(f"apt-get source --print-uris {pkg.name}: no upstream tarball listed")
    elif pkg.how == "apt-dev":
        _run(["apt-get", "download", "-qq", pkg.name], dl)
    elif pkg.how == "npm":
        spec = f"{pkg.name}@{pkg.version}" if pkg.version else pkg.name
        _run(["npm", "pack", "--silent", spec, "--pack-destination", str(dl)], dl)
    elif pkg.how == "pypi":
        spec = f"{pkg.name}=={pkg.version}" if pkg.version else pkg.name
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                str(dl),
                spec,
            ],
            dl,
        )
    else:
        raise FetchError(f"unknown way to obtain {pkg.name}: {pkg.how}")


def _archives(pkg: Package, dl: Path) -> tuple[str, list[Path]]:
    """(version, archive paths) of a completed download."""
    if pkg.how == "apt-src":
        dscs = sorted(dl.glob("*.dsc"))
        if len(dscs) != 1:
            raise FetchError(f"{pkg.name}: expected one .dsc in {dl}, found {len(dscs)}")
        version, names = _dsc_fields(dscs[0])
        return version, [dscs[0]] + [dl / n for n in names]
    files = sorted(p for p in dl.iterdir() if p.is_file())
    if len(files) != 1:
        raise FetchError(f"{pkg.name}: expected one archive in {dl}, found {[p.name for p in files]}")
    archive = files[0]
    if pkg.how == "apt-dev":
        version = _run(["dpkg-deb", "-f", str(archive), "Version"], dl).strip()
    elif pkg.how == "npm":
        version = _npm_version(archive)
    else:
        m = re.match(r"(.+?)-([0-9][^-]*?)(\.tar\.gz|\.tar\.bz2|\.zip|\.tgz)$", archive.name)
        version = m.group(2) if m else archive.name
    return version, [archive]


def _npm_version(archive: Path) -> str:
    """The version in a packed npm tarball's package.json (its top directory is usually
    ``package/``, but not always: ``@types`` packages use the bare name)."""
    with tarfile.open(archive, "r:*") as tf:
        for member in tf:
            parts = member.name.split("/")
            if member.isfile() and len(parts) == 2 and parts[1] == "package.json":
                fh = tf.extractfile(member)
                if fh is not None:
                    return str(json.load(fh)["version"])
    raise FetchError(f"{archive.name}: no package.json")


_DEV_PREFIXES = (
    "usr/share/gocode/src/",
    "usr/share/cargo/registry/",
    "usr/lib/python3/dist-packages/",
    "usr/share/ada/adainclude/",
)


def _extract(pkg: Package, archives: list[Path], tree: Path) -> int:
    tree.mkdir(parents=True)
    n = 0
    if pkg.how == "apt-src":
        for path in archives:
            name = path.name
            if not path.exists():  # the debian.tar, not fetched
                continue
            if not re.search(r"\.tar\.(gz|xz|bz2|lzma|zst)$", name) or ".debian.tar." in name:
                continue
            component = re.sub(r"\.tar\.\w+$", "", name)
            native = ".orig" not in name
            with tarfile.open(path, "r:*") as tf:
                # Upstream tarballs wrap everything in one top directory; strip it.
                n += _extract_tar(tf, tree / component, strip=1, skip_debian=native)
    elif pkg.how == "apt-dev":
        proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(archives[0])], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tf:
            n += _extract_dev(tf, tree)
        if proc.wait() != 0:
            raise FetchError(f"dpkg-deb --fsys-tarfile {archives[0].name} failed")
    else:
        archive = archives[0]
        if archive.suffix == ".zip":
            n += _extract_zip(archive, tree, strip=1)
        else:
            with tarfile.open(archive, "r:*") as tf:
                n += _extract_tar(tf, tree, strip=1)
    return n


def _extract_dev(tf: tarfile.TarFile, tree: Path) -> int:
    """Extract a -dev package's sources from under its language's source prefix."""
    exts = _supported_extensions()
    n = 0
    for member in tf:
        if not member.isfile() or member.size > MAX_FILE_SIZE:
            continue
        clean = "/".join(p for p in member.name.split("/") if p not in ("", "."))
        prefix = next((p for p in _DEV_PREFIXES if clean.startswith(p)), None)
        if prefix is None:
            continue
        rel = _safe_member(clean[len(prefix) :], 0)
        if rel is None or os.path.splitext(rel)[1].lower() not in exts:
            continue
        fh = tf.extractfile(member)
        if fh is None:
            continue
        target = tree / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            shutil.copyfileobj(fh, out)
        n += 1
    return n


def _slug(pkg: Package) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", pkg.name)


def fetch(pkg: Package, cache: Path, *, refresh: bool = False, offline: bool = False) -> Fetched:
    """The package's extracted tree, from the cache when it is there."""
    base = cache / pkg.how / _slug(pkg)
    record_path = base / "fetched.json"
    if record_path.exists() and not refresh:
        record = json.loads(record_path.read_text())
        if record.get("requested") == pkg.version and Path(record["tree"]).is_dir():
            return Fetched(pkg, record["version"], record["tree"], record["archives"])
    if offline:
        raise FetchError(f"{pkg.name}: not in the cache and --offline was given")
    if base.exists():
        shutil.rmtree(base)
    dl = base / "download"
    _download(pkg, dl)
    version, archives = _archives(pkg, dl)
    tree = base / "tree"
    _extract(pkg, archives, tree)
    fetched = Fetched(
        pkg, version, str(tree), [{"file": p.name, "sha256": _sha256(p)} for p in archives if p.exists()]
    )
    record_path.write_text(
        json.dumps(
            {"requested": pkg.version, "version": version, "tree": str(tree), "archives": fetched.archives},
            indent=1,
            sort_keys=True,
        )
    )
    return fetched


def ensure_deb_src() -> None:
    """Debian source packages need a deb-src entry; add one mirroring debian.sources if none."""
    sources = Path("/etc/apt/sources.list.d")
    texts = [p.read_text(errors="replace") for p in sorted(sources.glob("*.sources"))]
    listing = Path("/etc/apt/sources.list")
    if listing.exists():
        texts.append(listing.read_text(errors="replace"))
    if any(re.search(r"^(Types:.*\bdeb-src\b|deb-src\s)", t, re.MULTILINE) for t in texts):
        return
    main = sources / "debian.sources"
    if not main.exists():
        raise FetchError("no deb-src entry and no /etc/apt/sources.list.d/debian.sources to copy")
    (sources / "memaudit-rarity-src.sources").write_text(
        re.sub(r"^Types:.*$", "Types: deb-src", main.read_text(), flags=re.MULTILINE)
    )
    _run(["apt-get", "update", "-qq"], Path("/"))


# --------------------------------------------------------------------------------------------
# Selecting and parsing
# --------------------------------------------------------------------------------------------


@dataclass
class Selection:
    files: list[tuple[str, str, str, int]]  # relpath, path, language, size
    discovered: int
    excluded: dict[str, int]
    capped: int


def select_files(tree: str, max_files: int, open_dist: bool) -> Selection:
    """The package's source files: memaudit's discovery (tests by its language globs, files
    over the size cap), then :func:`is_excluded_path`, then at most ``max_files`` files chosen
    by a hash of their path (deterministic, and not biased to the alphabetically first
    directories)."""
    from memaudit.discover import DiscoveryOptions, discover
    from memaudit.errors import InputError

    # npm tarballs often hold only dist/ or build/, which discovery skips by default.
    include = ("**",) if open_dist else ()
    try:
        found = discover(
            tree, DiscoveryOptions(exclude_tests=True, include=include, max_file_size=MAX_FILE_SIZE)
        )
    except InputError:
        return Selection([], 0, {}, 0)
    excluded: Counter[str] = Counter()
    kept = []
    for f in found.files:
        reason = is_excluded_path(f.relpath)
        if reason:
            excluded[reason] += 1
        else:
            kept.append(f)
    kept.sort(key=lambda f: hashlib.sha256(f.relpath.encode()).hexdigest())
    capped = max(0, len(kept) - max_files)
    chosen = sorted(kept[:max_files], key=lambda f: f.relpath)
    return Selection(
        [(f.relpath, f.path, f.language, f.size) for f in chosen], len(found.files), dict(excluded), capped
    )


@dataclass
class PackageCount:
    key: tuple[str, str]
    subwords: set[str]
    identifiers: set[str]
    files_by_language: dict[str, int]
    bytes: int
    occurrences: int
    failed_files: int
    files_with_syntax_errors: int
    seconds: float


def count_package(task: tuple[tuple[str, str], list[tuple[str, str, str, int]]]) -> PackageCount:
    """Parse one package's files and collect the identifier terms it uses (worker process)."""
    from memaudit.core import SourceFile
    from memaudit.parse import parse_source_file

    key, files = task
    t0 = time.perf_counter()
    texts: set[str] = set()
    by_lang: Counter[str] = Counter()
    n_bytes = occurrences = failed = with_errors = 0
    for relpath, path, language, size in files:
        try:
            parsed = parse_source_file(SourceFile(relpath, path, language, size))
        except Exception:  # noqa: BLE001 - one unparsable file must not stop the build
            failed += 1
            continue
        by_lang[language] += 1
        n_bytes += parsed.n_bytes
        occurrences += len(parsed.identifiers)
        with_errors += parsed.n_errors > 0
        texts.update(o.text for o in parsed.identifiers)
    subwords, identifiers = package_terms(texts)
    return PackageCount(
        key,
        subwords,
        identifiers,
        dict(by_lang),
        n_bytes,
        occurrences,
        failed,
        with_errors,
        time.perf_counter() - t0,
    )


# --------------------------------------------------------------------------------------------
# The build
# --------------------------------------------------------------------------------------------


def _tool_versions() -> dict[str, object]:
    from importlib.metadata import version

    import memaudit
    from memaudit.languages import all_specs
    from memaudit.parse import grammar_version

    return {
        "memaudit": memaudit.__version__,
        "python": platform.python_version(),
        "tree-sitter": version("tree-sitter"),
        "grammars": {
            name: f"{spec.module.replace('_', '-')} {grammar_version(spec)}"
            for name, spec in all_specs().items()
        },
        "split": SPLIT,
    }


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def check_package_list(packages: Iterable[Package]) -> None:
    """The corpus never holds an excluded program, nor one package twice."""
    seen: set[tuple[str, str]] = set()
    for p in packages:
        if p.name.lower() in EXCLUDED_PROGRAMS:
            raise SystemExit(f"{p.name} is an excluded program and cannot be in the corpus")
        if (p.how, p.name) in seen:
            raise SystemExit(f"{p.name} listed twice")
        seen.add((p.how, p.name))


def main(argv: Sequence[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, default=here / "identifier-rarity.json", help="the table to write"
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="the manifest to write (default: identifier-rarity.manifest.json beside --out)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("MEMAUDIT_RARITY_CACHE", Path.home() / ".cache" / "memaudit-rarity")),
        help="downloads and extracted trees (default ~/.cache/memaudit-rarity, or $MEMAUDIT_RARITY_CACHE)",
    )
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="parsing processes")
    parser.add_argument(
        "--max-files", type=int, default=MAX_FILES_PER_PACKAGE, help="files per package at most"
    )
    parser.add_argument(
        "--max-bytes", type=int, default=MAX_TABLE_BYTES, help="size budget of the table file"
    )
    parser.add_argument(
        "--refresh", action="store_true", help="fetch again instead of reusing cached packages"
    )
    parser.add_argument("--offline", action="store_true", help="use cached packages only")
    parser.add_argument("--fetch-only", action="store_true", help="fetch into the cache and stop")
    parser.add_argument("--fetch-jobs", type=int, default=4, help="parallel downloads")
    args = parser.parse_args(argv)
    manifest_path = args.manifest or args.out.with_name(args.out.name.replace(".json", "") + ".manifest.json")
    t_start = time.perf_counter()

    check_package_list(PACKAGES)
    args.cache.mkdir(parents=True, exist_ok=True)
    if not args.offline and any(p.how == "apt-src" for p in PACKAGES):
        ensure_deb_src()

    # Fetch (network-bound: threads).
    from concurrent.futures import ThreadPoolExecutor

    fetched: dict[tuple[str, str], Fetched] = {}
    failures: dict[str, str] = {}

    def _one(p: Package) -> tuple[Package, Fetched | None, str | None]:
        try:
            return p, fetch(p, args.cache, refresh=args.refresh, offline=args.offline), None
        except (
            FetchError,
            subprocess.TimeoutExpired,
            OSError,
            tarfile.TarError,
            zipfile.BadZipFile,
            KeyError,
            json.JSONDecodeError,
        ) as exc:
            return p, None, str(exc)

    with ThreadPoolExecutor(max_workers=max(1, args.fetch_jobs)) as pool:
        for i, (p, f, err) in enumerate(pool.map(_one, PACKAGES), 1):
            if f is None:
                failures[f"{p.how}:{p.name}"] = err or "unknown error"
                _log(f"[fetch {i}/{len(PACKAGES)}] {p.how} {p.name}: FAILED: {err}")
            else:
                fetched[(p.how, p.name)] = f
    t_fetch = time.perf_counter() - t_start
    _log(f"fetched {len(fetched)}/{len(PACKAGES)} packages in {t_fetch:.0f}s")
    if args.fetch_only:
        return 0 if not failures else 1

    # Select and parse (CPU-bound: processes).
    selections: dict[tuple[str, str], Selection] = {}
    for key, f in fetched.items():
        selections[key] = select_files(f.tree, args.max_files, open_dist=key[0] == "npm")
    tasks = [(key, sel.files) for key, sel in selections.items() if sel.files]
    tasks.sort(key=lambda t: -sum(s for *_, s in t[1]))  # largest first: the pool ends evenly
    counts: dict[tuple[str, str], PackageCount] = {}
    with multiprocessing.get_context("fork").Pool(args.jobs) as workers:
        for i, c in enumerate(workers.imap_unordered(count_package, tasks), 1):
            counts[c.key] = c
            _log(
                f"[parse {i}/{len(tasks)}] {c.key[1]}: {sum(c.files_by_language.values())} files, "
                f"{len(c.identifiers)} identifiers, {c.seconds:.1f}s"
            )
    t_parse = time.perf_counter() - t_start - t_fetch

    documents = [counts[k] for k in sorted(counts) if counts[k].identifiers]
    subword_df = document_frequencies(c.subwords for c in documents)
    identifier_df = document_frequencies(c.identifiers for c in documents)
    table, data = build_table(len(documents), subword_df, identifier_df, max_bytes=args.max_bytes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)

    # The manifest: what built the table.
    files_by_language: Counter[str] = Counter()
    packages_by_language: Counter[str] = Counter()
    rows = []
    for p in PACKAGES:
        key = (p.how, p.name)
        row: dict[str, object] = {"name": p.name, "how": p.how, "listed_language": p.language}
        if key in fetched:
            f = fetched[key]
            sel = selections[key]
            row.update(
                version=f.version,
                archives=f.archives,
                files_discovered=sel.discovered,
                files_excluded=sel.excluded,
                files_over_cap=sel.capped,
            )
        count = counts.get(key)
        if count is not None:
            row.update(
                files_parsed=count.files_by_language,
                bytes=count.bytes,
                identifier_occurrences=count.occurrences,
                distinct_subwords=len(count.subwords),
                distinct_identifiers=len(count.identifiers),
                failed_files=count.failed_files,
                files_with_syntax_errors=count.files_with_syntax_errors,
            )
            files_by_language.update(count.files_by_language)
            if count.identifiers:
                packages_by_language[p.language] += 1
        else:
            row["counted"] = False
        if f"{p.how}:{p.name}" in failures:
            row["failure"] = failures[f"{p.how}:{p.name}"]
        rows.append(row)
    manifest = {
        "format": "memaudit.rarity-manifest/1",
        "table": {
            "file": args.out.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "documents": table["documents"],
            "subwords": len(table["subwords"]),  # type: ignore[arg-type]
            "identifiers": len(table["identifiers"]),  # type: ignore[arg-type]
            "min_df": table["min_df"],
        },
        "command": CANONICAL_COMMAND,
        "builder": {"file": "fingerprints/build_rarity.py", "sha256": _sha256(Path(__file__))},
        "argv": [Path(sys.argv[0]).name, *sys.argv[1:]] if argv is None else ["build_rarity.py", *argv],
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "runtime_seconds": {
            "fetch": round(t_fetch),
            "parse": round(t_parse),
            "total": round(time.perf_counter() - t_start),
        },
        "tools": _tool_versions(),
        "parameters": {
            "document": "one package",
            "statistic": "document frequency of each subword and each normalized identifier",
            "max_files_per_package": args.max_files,
            "file_choice": "sha256 of the relative path, lowest first",
            "max_file_size": MAX_FILE_SIZE,
            "min_df_subwords": MIN_DF_SUBWORDS,
            "min_df_identifiers": MIN_DF_IDENTIFIERS,
            "max_table_bytes": args.max_bytes,
            "test_files": "memaudit's per-language test globs, and directories named "
            + ", ".join(sorted(_TEST_DIRS)),
            "third_party_dirs": sorted(_THIRD_PARTY_DIRS),
            "vendored_copies": "directories matching "
            + _VENDORED_DIR.pattern
            + "; zlib and Lua 5.1 file names; "
            + _VENDORED_FILE.pattern,
            "minified": _MINIFIED.pattern,
            "debian_suite": "bookworm",
        },
        "excluded_programs": sorted(EXCLUDED_PROGRAMS),
        "corpus": {
            "packages_listed": len(PACKAGES),
            "documents": len(documents),
            "packages_by_language": dict(sorted(packages_by_language.items())),
            "files_by_language": dict(sorted(files_by_language.items())),
            "files": sum(files_by_language.values()),
            "bytes": sum(c.bytes for c in documents),
            "identifier_occurrences": sum(c.occurrences for c in documents),
            "failed": dict(sorted(failures.items())),
        },
        "packages": rows,
    }
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    _log(
        f"wrote {args.out} ({len(data)} bytes, {table['documents']} documents) and {manifest_path} "
        f"in {time.perf_counter() - t_start:.0f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
