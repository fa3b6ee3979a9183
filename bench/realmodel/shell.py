"""A small bash lexer and parser, enough to find the file writes in an agent's shell commands.

It is not a shell: it splits a command string into simple commands (words, assignments,
redirections, here-documents) joined by ``;``, newlines, ``&&``, ``||`` and pipes, and keeps compound
commands (``if``/``for``/``while``/``case``, ``{ }``, ``( )``, functions) whole so that the caller can
skip them. A word keeps its parts (literal text, variables, command substitutions, globs), so the
caller can tell a literal path from one it cannot know without running something.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OPERATORS = ("&&", "||", ";;", "|&", "<<<", "<<-", "<<", ">>", ">&", "<&", "&>>", "&>", "<>", ">|",
             ";", "&", "|", "(", ")", "<", ">")
OPERATORS = tuple(sorted(OPERATORS, key=len, reverse=True))
REDIRECT_OPS = {"<<<", "<<-", "<<", ">>", ">&", "<&", "&>>", "&>", "<>", ">|", "<", ">"}
SEPARATORS = {";", "&", "&&", "||", "|", "|&", "\n", ";;"}
OPENERS = {"if", "for", "while", "until", "case", "select", "{", "(", "function"}
CLOSERS = {"fi": "if", "done": ("for", "while", "until", "select"), "esac": "case", "}": "{"}
META = set(" \t\n;&|()<>")
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ShellSyntaxError(ValueError):
    """The command could not be split (unterminated quote or substitution)."""


@dataclass
class Word:
    """One shell word: its source text and its parts.

    ``parts`` items are ``(kind, text)`` with kind ``lit`` (quoted literal), ``ulit`` (unquoted
    literal: globs and braces apply), ``var`` (``$NAME``), ``sub`` (command, arithmetic or process
    substitution, or an unsupported parameter expansion), ``tilde``.
    """

    raw: str
    parts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def quoted(self) -> bool:
        return any(k == "lit" for k, _ in self.parts) or any(c in self.raw for c in "'\"\\")

    def literal(self, env: dict[str, str] | None = None) -> str | None:
        """The word's value after quote removal, or None if it needs anything but known variables."""
        out = []
        for kind, text in self.parts:
            if kind in ("lit", "ulit"):
                out.append(text)
            elif kind == "var" and env is not None and text in env:
                out.append(env[text])
            else:
                return None
        return "".join(out)

    def has_substitution(self) -> bool:
        return any(k == "sub" for k, _ in self.parts)

    def has_glob(self) -> bool:
        return any(k == "ulit" and any(c in text for c in "*?[") for k, text in self.parts)

    def has_brace(self) -> bool:
        return any(k == "ulit" and "{" in text and "}" in text and "," in text for k, text in self.parts)


@dataclass
class HereDoc:
    delimiter: str
    quoted: bool
    strip_tabs: bool
    body: str = ""
    terminated: bool = False


@dataclass
class Redirect:
    fd: int | None
    op: str
    target: Word | None = None      # file word (None for here-documents)
    heredoc: HereDoc | None = None


@dataclass
class Command:
    """A simple command, or (``compound`` set) a compound command kept whole."""

    assignments: list[tuple[str, Word]] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    connector: str | None = None     # the operator before this command: None, ';', '&&', '||', '|', '&'
    piped: bool = False               # part of a pipeline with more than one command
    compound: str | None = None       # opening keyword of a compound command
    text: str = ""                    # the source text (first line for here-documents, all of a compound)
    negated: bool = False

    def heredocs(self) -> list[HereDoc]:
        return [r.heredoc for r in self.redirects if r.heredoc is not None]


# --------------------------------------------------------------------------------------- lexer

@dataclass
class Token:
    kind: str          # 'word', 'op', 'nl', 'io' (fd number before a redirection)
    value: str
    word: Word | None = None
    start: int = 0
    end: int = 0
    heredoc: HereDoc | None = None


def _ansi_c(text: str) -> str:
    simple = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "e": "\x1b",
              "E": "\x1b", "\\": "\\", "'": "'", '"': '"', "?": "?"}
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 >= len(text):
            out.append(c)
            i += 1
            continue
        n = text[i + 1]
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == "x":
            m = re.match(r"[0-9A-Fa-f]{1,2}", text[i + 2:])
            out.append(chr(int(m.group(0), 16)) if m else "\\x")
            i += 2 + (len(m.group(0)) if m else 0)
        elif n in "01234567":
            m = re.match(r"[0-7]{1,3}", text[i + 1:])
            assert m
            out.append(chr(int(m.group(0), 8)))
            i += 1 + len(m.group(0))
        else:
            out.append("\\" + n)
            i += 2
    return "".join(out)


class Lexer:
    def __init__(self, src: str):
        self.src = src
        self.i = 0
        self.tokens: list[Token] = []
        self.pending: list[HereDoc] = []

    def error(self, msg: str) -> ShellSyntaxError:
        return ShellSyntaxError(f"{msg} at offset {self.i}")

    # balanced $( ... ), <( ... ), ${ ... }, `...`: returns the index just past the closer
    def _skip_balanced(self, j: int, open_c: str, close_c: str) -> int:
        depth, s = 1, self.src
        while j < len(s):
            c = s[j]
            if c == "\\":
                j += 2
                continue
            if c == "'" and open_c == "(":
                k = s.find("'", j + 1)
                if k < 0:
                    raise self.error("unterminated quote")
                j = k + 1
                continue
            if c == '"':
                j = self._skip_dquote(j + 1)
                continue
            if c == open_c:
                depth += 1
            elif c == close_c:
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
        raise self.error(f"unterminated {open_c}")

    def _skip_dquote(self, j: int) -> int:
        s = self.src
        while j < len(s):
            c = s[j]
            if c == "\\":
                j += 2
                continue
            if c == '"':
                return j + 1
            if c == "$" and s[j + 1:j + 2] == "(":
                j = self._skip_balanced(j + 2, "(", ")")
                continue
            if c == "`":
                k = j + 1
                while k < len(s) and s[k] != "`":
                    k += 2 if s[k] == "\\" else 1
                j = k + 1
                continue
            j += 1
        raise self.error("unterminated double quote")

    def _dollar(self, j: int, parts: list, quoted: bool) -> int:
        """Parse an expansion starting at ``$`` (index j); append parts; return the next index."""
        s = self.src
        n = s[j + 1:j + 2]
        if n == "(":
            end = self._skip_balanced(j + 2, "(", ")")
            parts.append(("sub", s[j:end]))
            return end
        if n == "{":
            end = self._skip_balanced(j + 2, "{", "}")
            inner = s[j + 2:end - 1]
            parts.append(("var", inner) if NAME_RE.fullmatch(inner) else ("sub", s[j:end]))
            return end
        if n == "'" and not quoted:
            k = j + 2
            while k < len(s) and s[k] != "'":
                k += 2 if s[k] == "\\" else 1
            if k >= len(s):
                raise self.error("unterminated $'")
            parts.append(("lit", _ansi_c(s[j + 2:k])))
            return k + 1
        if n == '"' and not quoted:   # locale translation: treat as a double-quoted string
            return j + 1
        m = NAME_RE.match(s, j + 1)
        if m:
            parts.append(("var", m.group(0)))
            return m.end()
        if n and (n.isdigit() or n in "@*#?$!-"):
            parts.append(("sub", s[j:j + 2]))
            return j + 2
        parts.append(("lit" if quoted else "ulit", "$"))
        return j + 1

    def read_word(self) -> Token:
        s, start = self.src, self.i
        parts: list[tuple[str, str]] = []
        j = start

        def lit(kind: str, text: str) -> None:
            if parts and parts[-1][0] == kind:
                parts[-1] = (kind, parts[-1][1] + text)
            else:
                parts.append((kind, text))

        while j < len(s):
            c = s[j]
            if c in META:
                if c in "<>" and s[j + 1:j + 2] == "(" and j == start:
                    end = self._skip_balanced(j + 2, "(", ")")
                    parts.append(("sub", s[j:end]))
                    j = end
                    continue
                break
            if c == "\\":
                if s[j + 1:j + 2] == "\n":
                    j += 2
                    continue
                lit("lit", s[j + 1:j + 2])
                j += 2
            elif c == "'":
                k = s.find("'", j + 1)
                if k < 0:
                    raise self.error("unterminated single quote")
                lit("lit", s[j + 1:k])
                j = k + 1
            elif c == '"':
                j += 1
                while True:
                    if j >= len(s):
                        raise self.error("unterminated double quote")
                    d = s[j]
                    if d == '"':
                        j += 1
                        break
                    if d == "\\" and s[j + 1:j + 2] in ('"', "\\", "$", "`", "\n"):
                        if s[j + 1] != "\n":
                            lit("lit", s[j + 1])
                        j += 2
                    elif d == "$":
                        j = self._dollar(j, parts, quoted=True)
                    elif d == "`":
                        k = j + 1
                        while k < len(s) and s[k] != "`":
                            k += 2 if s[k] == "\\" else 1
                        parts.append(("sub", s[j:k + 1]))
                        j = k + 1
                    else:
                        lit("lit", d)
                        j += 1
                if not parts:
                    parts.append(("lit", ""))
            elif c == "$":
                j = self._dollar(j, parts, quoted=False)
            elif c == "`":
                k = j + 1
                while k < len(s) and s[k] != "`":
                    k += 2 if s[k] == "\\" else 1
                if k >= len(s):
                    raise self.error("unterminated backquote")
                parts.append(("sub", s[j:k + 1]))
                j = k + 1
            elif c == "~" and j == start:
                m = re.match(r"~[A-Za-z0-9_.-]*", s[j:])
                assert m
                parts.append(("tilde", m.group(0)))
                j += len(m.group(0))
            else:
                lit("ulit", c)
                j += 1
        self.i = j
        word = Word(raw=s[start:j], parts=parts)
        return Token("word", word.raw, word=word, start=start, end=j)

    def read_heredoc_bodies(self) -> None:
        s = self.src
        for hd in self.pending:
            lines = []
            while self.i < len(s):
                nl = s.find("\n", self.i)
                line = s[self.i:] if nl < 0 else s[self.i:nl]
                self.i = len(s) if nl < 0 else nl + 1
                check = line.lstrip("\t") if hd.strip_tabs else line
                if check == hd.delimiter:
                    hd.terminated = True
                    break
                lines.append(check if hd.strip_tabs else line)
            hd.body = "".join(line + "\n" for line in lines)
        self.pending = []

    def tokenize(self) -> list[Token]:
        s = self.src
        while self.i < len(s):
            c = s[self.i]
            if c in " \t":
                self.i += 1
                continue
            if c == "\\" and s[self.i + 1:self.i + 2] == "\n":
                self.i += 2
                continue
            if c == "#":
                nl = s.find("\n", self.i)
                self.i = len(s) if nl < 0 else nl
                continue
            if c == "\n":
                self.tokens.append(Token("nl", "\n", start=self.i, end=self.i + 1))
                self.i += 1
                if self.pending:
                    self.read_heredoc_bodies()
                continue
            op = next((o for o in OPERATORS if s.startswith(o, self.i)), None)
            if op and not (op in "<>" and s[self.i + 1:self.i + 2] == "("):
                tok = Token("op", op, start=self.i, end=self.i + len(op))
                self.i += len(op)
                if op in ("<<", "<<-"):
                    # the delimiter word follows
                    while self.i < len(s) and s[self.i] in " \t":
                        self.i += 1
                    wtok = self.read_word()
                    assert wtok.word is not None
                    delim = "".join(t for _, t in wtok.word.parts)
                    hd = HereDoc(delimiter=delim, quoted=wtok.word.quoted, strip_tabs=op == "<<-")
                    tok.heredoc = hd
                    self.pending.append(hd)
                    self.tokens.append(tok)
                    continue
                self.tokens.append(tok)
                continue
            tok = self.read_word()
            if tok.end == tok.start:     # nothing consumed: a stray metacharacter
                raise self.error(f"unexpected {c!r}")
            # an all-digit word glued to a redirection is a file descriptor number
            if tok.value.isdigit() and s[self.i:self.i + 1] in ("<", ">"):
                tok.kind = "io"
            self.tokens.append(tok)
        if self.pending:
            self.read_heredoc_bodies()
        return self.tokens


# -------------------------------------------------------------------------------------- parser

def parse(src: str) -> list[Command]:
    """Split a bash command string into simple and compound commands, in order."""
    tokens = Lexer(src).tokenize()
    out: list[Command] = []
    i, n = 0, len(tokens)
    connector: str | None = None
    while i < n:
        t = tokens[i]
        if t.kind == "nl" or (t.kind == "op" and t.value in (";", "&", ";;")):
            connector = ";"
            i += 1
            continue
        if t.kind == "op" and t.value in ("&&", "||", "|", "|&"):
            connector = "|" if t.value in ("|", "|&") else t.value
            if connector == "|" and out:
                out[-1].piped = True
            i += 1
            continue
        negated = False
        if t.kind == "word" and t.value == "!":
            negated = True
            i += 1
            if i >= n:
                break
            t = tokens[i]
        # compound commands
        is_func = (t.kind == "word" and i + 2 < n and tokens[i + 1].value == "(" and tokens[i + 2].value == ")"
                   and tokens[i + 1].kind == "op")
        if (t.kind == "word" and t.value in OPENERS) or (t.kind == "op" and t.value == "(") or is_func:
            j = _end_of_compound(tokens, i + 3 if is_func else i)
            end_tok = tokens[j - 1]
            cmd = Command(connector=connector, compound="function" if is_func else t.value,
                          text=src[t.start:end_tok.end], negated=negated)
            cmd.piped = connector == "|"
            # redirections after the compound (e.g. `{ ...; } > file`) belong to it
            while j < n and (tokens[j].kind == "io" or (tokens[j].kind == "op" and tokens[j].value in REDIRECT_OPS)):
                j = _read_redirect(tokens, j, cmd)
            out.append(cmd)
            connector = None
            i = j
            continue
        cmd = Command(connector=connector, negated=negated)
        cmd.piped = connector == "|"
        start = t.start
        last_end = t.end
        while i < n:
            t = tokens[i]
            if t.kind == "nl" or (t.kind == "op" and t.value in SEPARATORS):
                break
            if t.kind == "io" or (t.kind == "op" and t.value in REDIRECT_OPS):
                i = _read_redirect(tokens, i, cmd)
                last_end = tokens[i - 1].end
                continue
            if t.kind == "op":       # a stray ( or ): stop the simple command here
                i += 1
                continue
            assert t.word is not None
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(\+?)=", t.value)
            if not cmd.words and m and t.word.parts and t.word.parts[0][0] == "ulit":
                value = _strip_prefix(t.word, len(m.group(0)))
                cmd.assignments.append((m.group(1), value))
            else:
                cmd.words.append(t.word)
            last_end = t.end
            i += 1
        cmd.text = src[start:last_end]
        out.append(cmd)
        connector = None
    return out


def _strip_prefix(word: Word, k: int) -> Word:
    """The word without its first ``k`` characters (all in the first ulit part)."""
    kind, text = word.parts[0]
    parts = ([(kind, text[k:])] if text[k:] else []) + word.parts[1:]
    if not parts:
        parts = [("lit", "")]
    return Word(raw=word.raw[k:], parts=parts)


def _read_redirect(tokens: list[Token], i: int, cmd: Command) -> int:
    fd = None
    if tokens[i].kind == "io":
        fd = int(tokens[i].value)
        i += 1
    op_tok = tokens[i]
    i += 1
    if op_tok.heredoc is not None:
        cmd.redirects.append(Redirect(fd=fd, op=op_tok.value, heredoc=op_tok.heredoc))
        return i
    target = tokens[i].word if i < len(tokens) and tokens[i].kind in ("word", "io") else None
    if target is None and i < len(tokens) and tokens[i].kind == "word":
        target = tokens[i].word
    cmd.redirects.append(Redirect(fd=fd, op=op_tok.value, target=target))
    return i + 1 if target is not None else i


def _end_of_compound(tokens: list[Token], i: int) -> int:
    """Index just past the compound command starting at tokens[i]."""
    stack: list[str] = []
    at_start = True
    n = len(tokens)
    if tokens[i].kind == "word" and tokens[i].value == "function":
        i += 2
        while i < n and tokens[i].kind == "op" and tokens[i].value in "()":
            i += 1
    while i < n:
        t = tokens[i]
        v = t.value
        if t.kind == "op":
            if v == "(" and (not stack or stack[-1] != "case"):
                stack.append("(")
            elif v == ")" and stack and stack[-1] == "(":
                stack.pop()
                if not stack:
                    return i + 1
            at_start = v in SEPARATORS or v in ("(", ")")
        elif t.kind == "nl":
            at_start = True
        elif t.kind == "word":
            if at_start and v in OPENERS and v != "function":
                stack.append(v)
            elif v in CLOSERS and (at_start or v == "esac"):
                want = CLOSERS[v]
                if stack and (stack[-1] == want or (isinstance(want, tuple) and stack[-1] in want)):
                    stack.pop()
                    if not stack:
                        return i + 1
            at_start = v in ("then", "do", "else", "elif", "{", "in") or (at_start and v == "!")
            if stack and stack[-1] == "case":
                at_start = at_start or v.endswith(")")
        i += 1
    return n
