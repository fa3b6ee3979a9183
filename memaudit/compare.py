"""Loading source trees and comparing their structure: fingerprints, fragments, coverage.

The evidence stage (:mod:`memaudit.audit`) builds on this; :func:`memaudit.api.run` drives both.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .core import ParsedFile, SourceFile, SourceTree
from .discover import Discovered, DiscoveryOptions, discover
from .fingerprint import FingerprintParams
from .index import FingerprintIndex, TreeFingerprints
from .languages import spec_for
from .match import Fragment, coverage_masks, find_fragments
from .parse import load_grammar, parse_source_file
from .sketch import SketchParams, sketch

__all__ = [
    "CompareOptions", "FileStats", "TreeStats", "Comparison", "load_trees", "compare_trees",
    "fingerprint_params_for", "shared_fragments", "index_for",
]  # fmt: skip

#: Below this much source, parsing in-process beats forking workers and pickling their results
#: back (measured on 0.7 MB and 1.3 MB trees: in-process was faster at both).
_PARALLEL_MIN_BYTES = 4 * 1024 * 1024

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class CompareOptions:
    """Everything that changes a comparison's result (recorded in the JSON output)."""

    discovery: DiscoveryOptions = DiscoveryOptions()
    #: k-gram length; ``None``: the largest default of the languages present.
    k: int | None = None
    #: Winnowing window; ``None``: the largest default of the languages present.
    window: int | None = None
    #: Shortest fragment reported and counted in coverage, in tokens; ``None``: ``k + window - 1``,
    #: the length winnowing guarantees to detect, so shorter matches are never half-found.
    min_fragment_tokens: int | None = None
    #: Fingerprints occurring more often than this in either tree are ignored as boilerplate.
    max_occurrences: int = 64
    sketch: SketchParams = SketchParams()


@dataclass(frozen=True)
class FileStats:
    """Per-file statistics of one side."""

    path: str
    language: str
    bytes: int
    lines: int
    tokens: int
    functions: int
    parse_errors: int
    invalid_utf8: bool
    #: Share of this file's tokens inside a fragment.
    coverage: float
    #: sha256 of the file's bytes as analysed.
    sha256: str = ""


@dataclass(frozen=True)
class TreeStats:
    """Statistics of one side of the comparison."""

    root: str
    languages: tuple[str, ...]
    files: tuple[FileStats, ...]
    skipped: tuple[tuple[str, str], ...]
    tokens: int
    lines: int
    bytes: int
    covered_tokens: int

    @property
    def coverage(self) -> float:
        return self.covered_tokens / self.tokens if self.tokens else 0.0


@dataclass(frozen=True)
class Comparison:
    """The result of comparing an original tree with a submission tree."""

    params: FingerprintParams
    min_fragment_tokens: int
    max_occurrences: int
    sketch_params: SketchParams
    original: TreeStats
    submission: TreeStats
    fragments: tuple[Fragment, ...]
    #: Tokens of both sides covered by fragments over all tokens of both sides (as Dolos).
    similarity: float
    #: MinHash estimate of the Jaccard similarity of the two trees' fingerprint sets.
    jaccard: float

    @property
    def longest_fragment(self) -> Fragment | None:
        return self.fragments[0] if self.fragments else None


def _parse_all(files: Sequence[SourceFile], jobs: int, progress: ProgressCallback | None) -> list[ParsedFile]:
    total = len(files)
    if jobs <= 1 or total < 2 or sum(f.size for f in files) < _PARALLEL_MIN_BYTES:
        out = []
        for i, f in enumerate(files, 1):
            out.append(parse_source_file(f))
            if progress:
                progress(i, total)
        return out
    # Processes, not threads: the tree walk holds the GIL. Largest files first balances the load;
    # results are put back in input order so output never depends on scheduling.
    order = sorted(range(total), key=lambda i: -files[i].size)
    results: list[ParsedFile | None] = [None] * total
    # Load grammars (node-kind tables, compiled queries) before the workers fork, so each worker
    # inherits them instead of building them again.
    for language in sorted({f.language for f in files}):
        load_grammar(language)
    with ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=multiprocessing.get_context("fork")) as pool:
        chunk = max(1, total // (jobs * 8))
        for done, (i, parsed) in enumerate(
            zip(order, pool.map(parse_source_file, [files[i] for i in order], chunksize=chunk)), 1
        ):
            results[i] = parsed
            if progress:
                progress(done, total)
    return [r for r in results if r is not None]


def load_trees(
    roots: Sequence[str],
    options: DiscoveryOptions = DiscoveryOptions(),
    *,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
) -> list[SourceTree]:
    """Discover and parse several trees, sharing one pool of worker processes."""
    found: list[Discovered] = [discover(root, options) for root in roots]
    all_files = [f for d in found for f in d.files]
    parsed = _parse_all(all_files, jobs if jobs is not None else (os.cpu_count() or 1), progress)
    trees, start = [], 0
    for d in found:
        n = len(d.files)
        trees.append(SourceTree(d.root, tuple(parsed[start : start + n]), d.skipped))
        start += n
    return trees


#: k and window when the trees are in different languages. A translation changes idioms every
#: few tokens (``len(x)`` becomes ``x.len()``, ``i++`` becomes ``i += 1``), so shared runs are
#: shorter than between two versions in one language; a 15-token k-gram rarely survives.
CROSS_LANGUAGE_K = 10
CROSS_LANGUAGE_WINDOW = 6


def fingerprint_params_for(trees: Sequence[SourceTree], k: int | None, window: int | None) -> FingerprintParams:
    """Fingerprint parameters for comparing ``trees``, unless ``k``/``window`` override them.

    One language throughout: that language's defaults. Mixed languages within a tree only: the
    largest defaults among them. Trees whose language sets differ (a Go original, a Rust
    submission): ``CROSS_LANGUAGE_K`` / ``CROSS_LANGUAGE_WINDOW``.
    """
    language_sets = {tree.languages for tree in trees}
    specs = [spec_for(lang) for langs in language_sets for lang in langs]
    if len(language_sets) > 1:
        default_k, default_w = CROSS_LANGUAGE_K, CROSS_LANGUAGE_WINDOW
    else:
        default_k = max((s.k for s in specs), default=15)
        default_w = max((s.window for s in specs), default=10)
    return FingerprintParams(k=k if k is not None else default_k, window=window if window is not None else default_w)


def _stats(tree: SourceTree, masks: list[np.ndarray]) -> TreeStats:
    files = []
    covered = 0
    for parsed, mask in zip(tree.files, masks):
        c = int(mask.sum())
        covered += c
        files.append(
            FileStats(
                path=parsed.file.relpath,
                language=parsed.file.language,
                bytes=parsed.n_bytes,
                lines=parsed.n_lines,
                tokens=parsed.n_tokens,
                functions=len(parsed.functions),
                parse_errors=parsed.n_errors,
                invalid_utf8=parsed.invalid_utf8,
                coverage=c / parsed.n_tokens if parsed.n_tokens else 0.0,
                sha256=parsed.sha256,
            )
        )
    return TreeStats(
        root=tree.root,
        languages=tree.languages,
        files=tuple(files),
        skipped=tree.skipped,
        tokens=tree.n_tokens,
        lines=tree.n_lines,
        bytes=tree.n_bytes,
        covered_tokens=covered,
    )


def shared_fragments(
    index: FingerprintIndex, submission: SourceTree, options: CompareOptions
) -> tuple[TreeFingerprints, list[Fragment], int]:
    """The submission's fingerprints, its fragments against the indexed tree, and the minimum
    fragment length used."""
    params = index.params
    b_fp = TreeFingerprints.build(submission, params)
    min_tokens = options.min_fragment_tokens if options.min_fragment_tokens is not None else params.guarantee
    return b_fp, find_fragments(index.fingerprints, b_fp, index.seeds(b_fp), min_tokens), min_tokens


def index_for(original: SourceTree, submission: SourceTree, options: CompareOptions) -> FingerprintIndex:
    """The original indexed with the parameters this pair gets."""
    params = fingerprint_params_for([original, submission], options.k, options.window)
    return FingerprintIndex(TreeFingerprints.build(original, params), options.max_occurrences)


def compare_trees(
    original: SourceTree | FingerprintIndex,
    submission: SourceTree,
    options: CompareOptions = CompareOptions(),
) -> Comparison:
    """Compare a submission with an original (a tree, or an index built once for many
    submissions)."""
    index = original if isinstance(original, FingerprintIndex) else index_for(original, submission, options)
    a_tree = index.fingerprints.tree
    params = index.params
    b_fp, fragments, min_tokens = shared_fragments(index, submission, options)
    a_stats = _stats(a_tree, coverage_masks(a_tree, fragments, "a"))
    b_stats = _stats(submission, coverage_masks(submission, fragments, "b"))
    total = a_stats.tokens + b_stats.tokens
    similarity = (a_stats.covered_tokens + b_stats.covered_tokens) / total if total else 0.0
    jaccard = sketch(index.fingerprints.distinct_selected(), options.sketch).jaccard(
        sketch(b_fp.distinct_selected(), options.sketch)
    )
    return Comparison(
        params=params,
        min_fragment_tokens=min_tokens,
        max_occurrences=index.max_occurrences,
        sketch_params=options.sketch,
        original=a_stats,
        submission=b_stats,
        fragments=tuple(fragments),
        similarity=similarity,
        jaccard=jaccard,
    )
