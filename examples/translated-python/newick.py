"""Newick lexer, parser and writer."""

import math

from tree import Node, add_child

# MAX_DEPTH_GUARD bounds how deeply parentheses may nest. The parser is
# recursive, so without a limit a hostile input could exhaust the stack.
MAX_DEPTH_GUARD = 4096

# Token kinds: the lexemes of the Newick grammar.
TOK_EOF = "eof"
TOK_OPEN = "("
TOK_CLOSE = ")"
TOK_COMMA = ","
TOK_COLON = ":"
TOK_SEMI = ";"
TOK_LABEL = "label"  # a run of label characters: names and numbers alike

# PUNCTUATION maps the single-byte tokens to their kinds.
PUNCTUATION = {
    ord("("): TOK_OPEN, ord(")"): TOK_CLOSE, ord(","): TOK_COMMA,
    ord(":"): TOK_COLON, ord(";"): TOK_SEMI,
}


class Token:
    def __init__(self, kind, text, offset):
        self.kind = kind
        self.text = text
        self.offset = offset


def is_label_byte(c):
    """Report whether byte c may appear in an unquoted label. Quoted labels
    are not supported, so quote characters are rejected as well."""
    if c <= ord(" ") or c > ord("~"):
        return False
    return c not in b"()[]':;,\"\\"


class ParseError(Exception):
    """Carries a finished error message out of the recursive parser. The
    lexer and parser raise it and the caller of parse_newick catches it,
    which keeps the grammar code free of error plumbing."""

    def __init__(self, msg):
        super().__init__(msg)
        self.msg = msg


def fail_parse(msg):
    raise ParseError(msg)


class NewickLexer:
    """Splits the input into tokens. It works on raw bytes, so the offsets in
    error messages are byte offsets. One token of lookahead is kept in
    peeked."""

    def __init__(self, src):
        self.src = src
        self.pos = 0
        self.peeked = None

    def skip_blank(self):
        """Move past whitespace and [bracketed comments]."""
        while self.pos < len(self.src):
            c = self.src[self.pos]
            if c in b" \t\n\r":
                self.pos += 1
            elif c == ord("["):
                end = self.src.find(b"]", self.pos)
                if end < 0:
                    fail_parse("error: unterminated comment at offset %d" % self.pos)
                self.pos = end + 1
            else:
                return

    def next(self):
        if self.peeked is not None:
            tok = self.peeked
            self.peeked = None
            return tok
        self.skip_blank()
        start = self.pos
        if start >= len(self.src):
            return Token(TOK_EOF, "", start)
        kind = PUNCTUATION.get(self.src[start])
        if kind is not None:
            self.pos += 1
            return Token(kind, chr(self.src[start]), start)
        while self.pos < len(self.src) and is_label_byte(self.src[self.pos]):
            self.pos += 1
        if self.pos == start:
            fail_parse("error: invalid character at offset %d" % start)
        return Token(TOK_LABEL, self.src[start:self.pos].decode("ascii"), start)

    def peek(self):
        if self.peeked is None:
            self.peeked = self.next()
        return self.peeked


def unexpected(tok):
    """Report a token that the grammar does not allow here."""
    if tok.kind == TOK_EOF:
        fail_parse("error: unexpected end of input")
    fail_parse('error: unexpected token "%s" at offset %d' % (tok.text, tok.offset))


def parse_newick(src):
    """Read every tree in src. Each tree must end with a semicolon."""
    lx = NewickLexer(src)
    trees = []
    while lx.peek().kind != TOK_EOF:
        tok = lx.peek()
        if tok.kind != TOK_OPEN and tok.kind != TOK_LABEL:
            unexpected(tok)
        root = parse_subtree(lx, 0)
        tok = lx.next()
        if tok.kind != TOK_SEMI:
            unexpected(tok)
        trees.append(root)
    if not trees:
        fail_parse("error: no trees in input")
    return trees


def parse_subtree(lx, depth):
    """Parse "(child,child,...)label:length" or "label:length", where label
    and length are optional. depth counts the open parentheses."""
    n = Node()
    tok = lx.peek()
    if tok.kind == TOK_OPEN:
        if depth + 1 > MAX_DEPTH_GUARD:
            fail_parse("error: nesting deeper than %d levels at offset %d"
                       % (MAX_DEPTH_GUARD, tok.offset))
        lx.next()
        while True:
            add_child(n, parse_subtree(lx, depth + 1))
            tok = lx.next()
            if tok.kind == TOK_CLOSE:
                break
            if tok.kind != TOK_COMMA:
                unexpected(tok)
    parse_label_and_length(lx, n)
    return n


def parse_label_and_length(lx, n):
    """Read the optional name and ":length" that may follow a tip or a
    closing parenthesis."""
    tok = lx.peek()
    if tok.kind == TOK_LABEL:
        n.label = tok.text
        lx.next()
    if lx.peek().kind != TOK_COLON:
        return
    lx.next()
    tok = lx.next()
    if tok.kind != TOK_LABEL:
        unexpected(tok)
    value = parse_length(tok.text)
    if value is None:
        fail_parse('error: invalid branch length "%s" at offset %d' % (tok.text, tok.offset))
    n.length, n.has_length = value, True


def skip_digits(text, i):
    """Return the index of the first non-digit at or after i and how many
    digits were passed over."""
    start = i
    while i < len(text) and "0" <= text[i] <= "9":
        i += 1
    return i, i - start


def parse_length(text):
    """Accept plain decimal numbers with an optional exponent, such as
    "0.25", "-1" or "3.5e-4". float() on its own would also take "inf",
    "nan", underscores and surrounding blanks, which have no business in a
    branch length. Returns None for anything else."""
    i = 0
    if i < len(text) and text[i] in "+-":
        i += 1
    i, whole = skip_digits(text, i)
    frac = 0
    if i < len(text) and text[i] == ".":
        i, frac = skip_digits(text, i + 1)
    if whole + frac == 0:
        return None
    if i < len(text) and text[i] in "eE":
        i += 1
        if i < len(text) and text[i] in "+-":
            i += 1
        i, exp_digits = skip_digits(text, i)
        if exp_digits == 0:
            return None
    if i != len(text):
        return None
    value = float(text)
    if math.isinf(value):  # an infinite result can only mean overflow
        return None
    return value


def write_newick(root):
    """Render a tree as Newick text, ending with a semicolon."""
    parts = []
    write_subtree(parts, root)
    parts.append(";")
    return "".join(parts)


def write_subtree(parts, n):
    if not n.is_tip():
        parts.append("(")
        for i, child in enumerate(n.children):
            if i > 0:
                parts.append(",")
            write_subtree(parts, child)
        parts.append(")")
    parts.append(n.label)
    if n.has_length:
        parts.append(":")
        parts.append(format_length(n.length))


def format_length(x):
    """Print a length with at most six decimals and no trailing zeros:
    0.500000 becomes 0.5 and 2.000000 becomes 2. Infinities and NaN are
    spelled +Inf, -Inf and NaN."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    s = "%.6f" % x
    if "." in s:
        s = s.rstrip("0")
        s = s[:-1] if s.endswith(".") else s
    return s
