"""What each stage of the pipeline sees, as plain text lines (``memaudit debug ...``, after
difftastic's ``--dump-*`` flags): the tokens of a file, its functions with their signatures, its
winnowed fingerprints, and every channel's items for a pair.

Each dump is a generator of lines, tab-separated where a line has fields, so it can be read,
grepped and diffed between two versions of memaudit.
"""

from __future__ import annotations

from typing import Iterator

from .categories import category_name
from .core import ParsedFile

__all__ = ["dump_tokens", "dump_functions", "dump_fingerprints", "dump_channels"]


def _one_line(text: str, width: int = 40) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return text if len(text) <= width else text[: width - 3] + "..."


def _header(parsed: ParsedFile) -> str:
    return (
        f"# {parsed.file.relpath}: {parsed.file.language}, {parsed.n_tokens} tokens, {parsed.n_errors} parse errors, "
        f"{len(parsed.functions)} functions"
    )


def dump_tokens(parsed: ParsedFile, data: bytes) -> Iterator[str]:
    """index, lines, category, tree-sitter kind, text: what the tokenizer produced."""
    from .parse import kind_name

    yield _header(parsed)
    for i in range(parsed.n_tokens):
        start, end = int(parsed.start_bytes[i]), int(parsed.end_bytes[i])
        text = _one_line(data[start:end].decode("utf-8", "replace"))
        a, b = int(parsed.start_lines[i]), int(parsed.end_lines[i])
        lines = f"{a}" if a == b else f"{a}-{b}"
        kind = kind_name(parsed.file.language, int(parsed.kinds[i]))
        yield f"{i}\t{lines}\t{category_name(int(parsed.categories[i]))}\t{kind}\t{text}"


def dump_functions(parsed: ParsedFile) -> Iterator[str]:
    """Every function the grammar's query found: name, lines, token range, and the signature the
    function channel aligns on (its category sequence), or why it is not aligned."""
    from .evidence.functions import MIN_TOKENS
    from .evidence.text import normalize_identifier

    yield _header(parsed)
    yield "# name\tkey\tlines\ttokens\tsignature (categories, in order)"
    for fn in parsed.functions:
        n = fn.end_token - fn.first_token
        codes = parsed.categories[fn.first_token : fn.end_token].tolist()
        signature = " ".join(category_name(c) for c in codes) if n >= MIN_TOKENS else f"(not aligned: under {MIN_TOKENS} tokens)"
        yield (
            f"{fn.name or '<anonymous>'}\t{normalize_identifier(fn.name)}\t{fn.start_line}-{fn.end_line}\t"
            f"{fn.first_token}-{fn.end_token} ({n})\t{signature}"
        )


def dump_fingerprints(parsed: ParsedFile, k: int, window: int) -> Iterator[str]:
    """The winnowed k-gram fingerprints: hash, first token, lines covered."""
    from .fingerprint import FingerprintParams, fingerprint_codes

    fp = fingerprint_codes(parsed.categories, FingerprintParams(k=k, window=window))
    yield _header(parsed)
    yield f"# k={k} window={window}: {fp.hashes.shape[0]} k-grams, {fp.selected.shape[0]} selected"
    yield "# hash\ttoken\tlines"
    for pos in fp.selected.tolist():
        end = min(pos + k, parsed.n_tokens) - 1
        yield f"{int(fp.hashes[pos]):016x}\t{pos}\t{int(parsed.start_lines[pos])}-{int(parsed.end_lines[end])}"


def dump_channels(report: object, only: str | None = None) -> Iterator[str]:
    """Every item of every channel (or of channel ``only``) of each audit in a report."""
    for audit in report.audits:  # type: ignore[attr-defined]
        yield f"# {audit.comparison.original.root} vs {audit.comparison.submission.root}"
        for c in audit.channels:
            if only is not None and c.name != only:
                continue
            stats = " ".join(f"{k}={v}" for k, v in c.stats.items())
            yield f"## {c.name} v{c.version}: score {c.score:.6f}; {stats}"
            yield "# original\tsubmission\toriginal text\tsubmission text\tweight\tsimilarity\tobservable\tnote"
            for i in c.items:
                yield (
                    f"{i.original}\t{i.submission}\t{_one_line(i.original_text, 60)}\t{_one_line(i.submission_text, 60)}\t"
                    f"{i.weight:.4f}\t{i.similarity:.4f}\t{'observable' if i.observable else '-'}\t{i.note}"
                )
