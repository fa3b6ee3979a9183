"""The laundered tier (bench/launder.py): every identifier consistently renamed, every comment
removed, strings untouched, nothing broken, the same bytes every run — on the calc program and the
unrelated program of every language, laundered as one tree."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import tree_sitter as ts

from bench.launder import launder_tree, laundered_path
from memaudit.languages import all_specs
from memaudit.parse import _parser, load_grammar

from .conftest import FIXTURES, ROOT

LANGUAGES = sorted(p.stem for p in (ROOT / "grammars").glob("*.toml"))
NEW_NAME = re.compile(r"^([_$#]*)([a-zA-Z][a-z0-9]*)$")

#: Per language: a name the program defines (renamed) and standard-library names it calls (kept).
INTERNAL = "tokenize"
EXTERNAL = {
    "ada": {"Put_Line", "Ada", "Text_IO"}, "c": {"printf", "strlen", "fprintf"},
    "cpp": {"cout", "std", "push_back"}, "go": {"fmt", "Printf", "len", "append"},
    "haskell": {"printf", "getArgs", "Map", "Just"}, "java": {"System", "out", "printf", "String"},
    "javascript": {"console", "log", "Math", "push"}, "ocaml": {"Printf", "printf", "List", "Some"},
    "python": {"print", "len", "sys", "argv"}, "rust": {"println", "Vec", "HashMap", "new"},
    "typescript": {"console", "log", "Math", "Record"},
}  # fmt: skip


def fixture(language: str, stem: str) -> Path:
    for ext in all_specs()[language].extensions:
        path = FIXTURES / "languages" / language / f"{stem}{ext}"
        if path.exists():
            return path
    pytest.fail(f"missing fixture {stem}.* for {language}")


def captures(language: str, data: bytes) -> dict[str, list[tuple[int, int]]]:
    """The spans of the ``texts`` query's captures, each once, in source order."""
    tree = _parser(language).parse(data)
    caps = ts.QueryCursor(load_grammar(language).queries["texts"]).captures(tree.root_node)
    return {name: sorted({(n.start_byte, n.end_byte) for n in caps.get(name, [])}) for name in ("identifier", "comment", "string")}


def errors(language: str, data: bytes) -> int:
    def count(node: ts.Node) -> int:
        return int(node.is_error or node.is_missing) + sum(count(c) for c in node.children)

    return count(_parser(language).parse(data).root_node)


def keywords(language: str) -> set[str]:
    lang = load_grammar(language).language
    kinds = (lang.node_kind_for_id(i) or "" for i in range(lang.node_kind_count) if not lang.node_kind_is_named(i))
    return {k for k in kinds if re.fullmatch(r"[A-Za-z_]\w*", k)}


def inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(s <= span[0] and span[1] <= e for s, e in spans)


@pytest.fixture(scope="module", params=LANGUAGES)
def laundered(request, tmp_path_factory):
    """Both fixtures of a language laundered as one tree (so names are shared across files)."""
    language = request.param
    root = tmp_path_factory.mktemp(f"launder-{language}")
    src = root / "src"
    (src / "sub").mkdir(parents=True)
    program, unrelated = fixture(language, "program"), fixture(language, "unrelated")
    shutil.copy(program, src / program.name)
    shutil.copy(unrelated, src / "sub" / unrelated.name)
    stats = launder_tree(src, root / "out", "test-seed")
    files = [(Path(program.name), program), (Path("sub") / unrelated.name, unrelated)]
    return language, root, stats, [(rel, path.read_bytes(), (root / "out" / laundered_path(rel.as_posix(), "test-seed")).read_bytes()) for rel, path in files]


def aligned(language: str, files) -> list[tuple[str, str]]:
    """(old, new) for every identifier occurrence outside comments, the files one after the other."""
    pairs = []
    for _, before, after in files:
        old, new = captures(language, before), captures(language, after)
        old_ids = [s for s in old["identifier"] if not inside(s, old["comment"])]
        assert len(old_ids) == len(new["identifier"])
        pairs += [(before[a:b].decode(), after[c:d].decode()) for (a, b), (c, d) in zip(old_ids, new["identifier"])]
    return pairs


def test_every_identifier_renamed_consistently(laundered):
    language, _, stats, files = laundered
    fold = str.lower if language == "ada" else str  # Ada names are case-insensitive
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for old, new in aligned(language, files):
        # One name, one new name (in every file); distinct names stay distinct.
        assert forward.setdefault(fold(old), fold(new)) == fold(new), old
        assert backward.setdefault(fold(new), fold(old)) == fold(old), new
        if fold(old) in stats.kept:
            assert new == old
        else:
            m = NEW_NAME.match(new)
            assert m and m.group(2).lower() == stats.names[fold(old)], (old, new)
            # What the syntax needs: leading underscores and sigils, the initial's case, no
            # keyword. And the length, so that tree-sitter recovers from errors alike.
            lead = re.match(r"[_$#]*", old).group()
            assert m.group(1) == lead and new[len(lead)].isupper() == old[len(lead)].isupper(), (old, new)
            assert len(new) == len(old) and new not in keywords(language) and fold(new) not in stats.kept
    assert not set(stats.names) & stats.kept
    assert stats.renamed_distinct == len(stats.names) > 20
    assert stats.renamed_occurrences > stats.renamed_distinct


def test_internal_names_renamed_external_names_kept(laundered):
    language, _, stats, _ = laundered
    fold = str.lower if language == "ada" else str
    assert fold(INTERNAL) in stats.names
    assert {fold(n) for n in EXTERNAL[language]} <= stats.kept


def test_no_comment_left(laundered):
    language, _, stats, files = laundered
    assert stats.comments_removed > 0
    for _, before, after in files:
        assert captures(language, before)["comment"]
        assert captures(language, after)["comment"] == []


def test_no_new_parse_errors(laundered):
    language, _, stats, files = laundered
    by_path = {f.path: f for f in stats.per_file}
    for rel, before, after in files:
        file_stats = by_path[rel.as_posix()]
        assert (file_stats.errors_before, file_stats.errors_after) == (errors(language, before), errors(language, after))
        assert file_stats.errors_after <= file_stats.errors_before


def test_string_literals_unchanged(laundered):
    language, _, _, files = laundered
    names = dict(aligned(language, files))
    for _, before, after in files:
        old, new = captures(language, before), captures(language, after)
        expected = []
        for s, e in old["string"]:
            if inside((s, e), old["comment"]):
                continue  # a docstring: removed
            # Names inside interpolations (f"{x}", `${x}`) are code, and renamed.
            text, pos = b"", s
            for a, b in old["identifier"]:
                if s <= a and b <= e:
                    text += before[pos:a] + names[before[a:b].decode()].encode()
                    pos = b
            expected.append(text + before[pos:e])
        assert [after[s:e] for s, e in new["string"]] == expected


def test_deterministic(laundered, tmp_path):
    language, root, _, files = laundered
    again = launder_tree(root / "src", tmp_path / "again", "test-seed")
    other = launder_tree(root / "src", tmp_path / "other", "another-seed")
    for rel, _, after in files:
        assert (tmp_path / "again" / laundered_path(rel.as_posix(), "test-seed")).read_bytes() == after
        assert (tmp_path / "other" / laundered_path(rel.as_posix(), "another-seed")).read_bytes() != after
    assert again.names.keys() == other.names.keys() and again.names != other.names


def launder_text(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / name).write_text(text)
    launder_tree(tmp_path / "src", tmp_path / "out", "s")
    return (tmp_path / "out" / laundered_path(name, "s")).read_text()


def test_docstring_alone_in_a_body_becomes_pass(tmp_path):
    out = launder_text(tmp_path, "m.py", '"""Module."""\nclass A:\n    """Only a docstring."""\n\ndef f(x):\n    """Doc."""\n    return x  # why\n')
    assert '"""' not in out and "#" not in out
    assert re.fullmatch(r"class [A-Z]:\n    pass\n\ndef [a-z]\(([a-z])\):\n    return \1\n", out), out
    assert errors("python", out.encode()) == 0


def test_comments_never_glue_tokens_and_macro_bodies_are_renamed(tmp_path):
    out = launder_text(tmp_path, "m.c", '#define TWICE(n) ((n) * 2) // doubles\n#define DOWN(n) do { unsigned long k = n; k--; } while (0)\n'
                                        'int count/*c*/=TWICE(3); /* a */ /* b */\n')
    assert "//" not in out and "/*" not in out and "TWICE" not in out and "count" not in out
    macro, param = re.match(r"#define (\w+)\((\w+)\)", out).groups()
    assert f"(({param}) * 2)" in out and f"={macro}(3);" in out
    # Keywords in a macro body (one opaque token to tree-sitter) are no names.
    assert re.search(r"#define \w+\((\w)\) do \{ unsigned long (\w) = \1; \2--; \} while \(0\)\n", out), out
    assert re.search(r"int [a-z][a-z0-9]{4} =", out), out
    assert errors("c", out.encode()) == 0


def test_go_exported_names_stay_exported(tmp_path):
    out = launder_text(tmp_path, "m.go", 'package calc\n\nimport "strings"\n\n// Upper is exported.\nfunc Upper(s string) string { return strings.ToUpper(s) }\n\nfunc lower(s string) string { return s }\n')
    assert re.search(r"func [A-Z][a-z0-9]{4}\(([a-z]) string\) string \{ return strings\.ToUpper\(\1\) \}", out), out
    assert re.search(r"func [a-z][a-z0-9]{4}\(", out) and "Upper is" not in out


def test_file_and_directory_names_are_laundered_consistently():
    a, b = laundered_path("src/newick.rs", "s"), laundered_path("src/tree.rs", "s")
    assert a.endswith(".rs") and "newick" not in a and "src" not in a
    assert a.split("/")[0] == b.split("/")[0]  # files that shared a directory still do
    assert a != b and laundered_path("src/newick.rs", "t") != a
    assert laundered_path("x.tar.gz", "s").endswith(".tar.gz")
