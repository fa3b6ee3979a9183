"""The library entry point: an :class:`AuditRequest` goes in, a :class:`Report` comes out.

    from memaudit.api import AuditRequest, run
    report = run(AuditRequest("original/", ("submission/",), spec=("docs/",)))
    report.audits[0].verdict.label

The command line, the benchmark, the latency script, model training and the tests all call
:func:`run`; renderers (:mod:`memaudit.report`) read only the :class:`Report` it returns.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

from .audit import Audit, Auditor, PairEvidence, Receipt
from .compare import CompareOptions, load_trees
from .core import SourceTree
from .evidence.registry import Registry, default_registry
from .verdict import VerdictModel, decide, features_of

__all__ = ["AuditRequest", "Report", "InputWarning", "SourceAccess", "run"]

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class AuditRequest:
    """Everything that defines an audit (every field but ``jobs`` can change the result)."""

    #: The original program: a directory or a file.
    original: str
    #: The reimplementations to audit, each against the original (indexed once).
    submissions: tuple[str, ...]
    #: What the submitter could observe (docs, tests, help text, transcripts): listed, not counted.
    spec: tuple[str, ...] = ()
    #: Template code given to the submitter: removed from both sides.
    base: str | None = None
    #: Independent implementations of the same behaviour: the null band (default: the model's).
    null: tuple[str, ...] = ()
    options: CompareOptions = CompareOptions()
    #: Keep generated files and literal data tables (excluded by default).
    keep_boilerplate: bool = False
    #: Compute the calibrated verdict (needs the shipped model to match the channels).
    verdict: bool = True
    #: Parsing worker processes (None: one per core). Never changes a result.
    jobs: int | None = None


@dataclass(frozen=True)
class InputWarning:
    """A file that was skipped or only partly analysed."""

    #: The file as the user would find it (root joined with the relative path).
    path: str
    message: str


class SourceAccess:
    """The source text of every analysed file, read on demand. Text is returned only if the file
    still has the bytes that were analysed (same sha256), so a report never shows code that was
    not the code compared."""

    def __init__(self, trees: Sequence[SourceTree]) -> None:
        self._files: dict[tuple[str, str], tuple[str, str]] = {}
        for tree in trees:
            for f in tree.files:
                self._files[(tree.root, f.file.relpath)] = (f.file.path, f.sha256)

    def text(self, root: str, relpath: str) -> str | None:
        """The file's text (UTF-8, invalid bytes replaced), or None if it cannot be read or has
        changed since it was analysed."""
        entry = self._files.get((root, relpath))
        if entry is None:
            return None
        path, sha = entry
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        if sha and hashlib.sha256(data).hexdigest() != sha:
            return None
        return data.decode("utf-8", "replace")


@dataclass(frozen=True, eq=False)
class Report:
    """The outcome of one :func:`run`: everything a renderer needs."""

    request: AuditRequest
    #: One audit per submission, in request order.
    audits: tuple[Audit, ...]
    #: The trees as loaded (before boilerplate and base code were taken out): the original, then
    #: each submission, in request order.
    trees: tuple[SourceTree, ...]
    #: The channels that produced the evidence (names, versions, how items read).
    registry: Registry
    #: Skipped and partly analysed files of every input tree.
    warnings: tuple[InputWarning, ...]
    sources: SourceAccess = field(repr=False)
    #: The null implementations' audits (``--null``), evidence only.
    null_audits: tuple[Audit, ...] = ()

    @property
    def single(self) -> bool:
        return len(self.audits) == 1


def _warnings(trees: Sequence[SourceTree]) -> tuple[InputWarning, ...]:
    out = []
    for tree in trees:
        def shown(relpath: str, root: str = tree.root) -> str:
            return os.path.join(root, relpath) if os.path.isdir(root) else root

        for path, reason in tree.skipped:
            out.append(InputWarning(shown(path), f"skipped: {reason}"))
        for f in tree.files:
            if f.n_errors:
                out.append(InputWarning(shown(f.file.relpath), f"{f.n_errors} syntax errors (parsed the rest)"))
            if f.invalid_utf8:
                out.append(InputWarning(shown(f.file.relpath), "not valid UTF-8 (texts decoded with replacement)"))
    return tuple(out)


def _receipt(request: AuditRequest, evidence: PairEvidence, registry: Registry, spec_sources: tuple[str, ...]) -> Receipt:
    from .categories import CATEGORY_SET_VERSION
    from .languages import spec_for
    from .parse import grammar_version
    from .reference import RARITY_TABLE, VERDICT_MODEL, reference_sha256

    comparison = evidence.comparison
    d = request.options.discovery
    parameters = {
        "k": comparison.params.k,
        "window": comparison.params.window,
        "min_fragment_tokens": comparison.min_fragment_tokens,
        "max_occurrences": comparison.max_occurrences,
        "category_set_version": CATEGORY_SET_VERSION,
        "minhash": asdict(comparison.sketch_params),
        "discovery": {
            "language": d.language,
            "include": list(d.include),
            "exclude": list(d.exclude),
            "exclude_tests": d.exclude_tests,
            "max_file_size": d.max_file_size,
        },
        "spec": list(spec_sources),
        "base": request.base,
        "rarity_table_sha256": reference_sha256(RARITY_TABLE),
        "model_sha256": reference_sha256(VERDICT_MODEL),
        "channels": registry.versions,
    }
    return Receipt(
        parameters=parameters,
        # Canonical JSON of the parameters, hashed: two reports with equal hashes were made with
        # the same settings and reference data.
        parameters_sha256=hashlib.sha256(
            json.dumps(parameters, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest(),
        grammars={
            name: {
                "package": (spec := spec_for(name)).module.replace("_", "-"),
                "version": grammar_version(spec),
                "tokens_sha256": spec.token_fingerprint,
            }
            for name in sorted(set(comparison.original.languages) | set(comparison.submission.languages))
        },
    )


def run(
    request: AuditRequest,
    *,
    registry: Registry | None = None,
    model: VerdictModel | None = None,
    progress: ProgressCallback | None = None,
) -> Report:
    """Audit every submission of ``request`` against its original.

    ``registry`` replaces the shipped evidence channels and ``model`` the shipped verdict model
    (training and tests use them); by default both are the shipped ones, and the model is checked
    against the channels, grammars, category set and rarity table it was trained with.
    Raises :class:`memaudit.errors.MemauditError` (one line, an exit code) for bad input or
    configuration.
    """
    from .evidence.observable import load_spec_material
    from .evidence.rarity import load_rarity
    from .verdict import load_model

    registry = registry or default_registry()
    # Reference data before any parsing, so a stale or broken file fails at once: the rarity
    # table first (its own format), then the model (pinned to that table's hash).
    rarity = load_rarity()
    if request.verdict and model is None:
        model = load_model(registry)
    spec = load_spec_material(list(request.spec))
    roots = [request.original, *request.submissions, *request.null] + ([request.base] if request.base else [])
    trees = load_trees(roots, request.options.discovery, jobs=request.jobs, progress=progress)
    original = trees[0]
    subs = trees[1 : 1 + len(request.submissions)]
    nulls = trees[1 + len(request.submissions) : 1 + len(request.submissions) + len(request.null)]
    base = trees[-1] if request.base else None

    auditor = Auditor(
        original, registry, rarity, request.options, spec=spec, base=base,
        keep_boilerplate=request.keep_boilerplate,
    )  # fmt: skip

    def assemble(ev: PairEvidence, verdict_of: Callable[[PairEvidence], object] | None) -> Audit:
        return Audit(
            comparison=ev.comparison,
            channels=ev.channels,
            exclusions=ev.exclusions,
            spec_sources=spec.sources,
            base=base.root if base is not None else None,
            base_tokens=ev.base_tokens,
            verdict=verdict_of(ev) if verdict_of else None,  # type: ignore[arg-type]
            receipt=_receipt(request, ev, registry, spec.sources),
        )

    # The null is audited exactly as a submission is, against the same index of the original.
    null_audits = tuple(assemble(auditor.evidence(t), None) for t in nulls)
    null_decisions: list[float] | None = None
    if model is not None and request.null:
        null_decisions = [model.decision(features_of(a.channels, model.features))[0] for a in null_audits]

    def verdict_of(ev: PairEvidence) -> object:
        assert model is not None
        return decide(
            features_of(ev.channels, model.features), model,
            null_decisions=null_decisions, null_ids=request.null,
            intervals={k: v for c in ev.channels for k, v in c.intervals.items()},
            phrases=registry.phrases,
        )  # fmt: skip

    audits = tuple(assemble(auditor.evidence(t), verdict_of if model is not None else None) for t in subs)
    return Report(
        request=request,
        audits=audits,
        trees=(original, *subs),
        registry=registry,
        warnings=_warnings([original, *subs, *nulls] + ([base] if base is not None else [])),
        sources=SourceAccess([original, *subs]),
        null_audits=null_audits,
    )
