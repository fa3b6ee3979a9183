package main

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxDepthGuard bounds how deeply parentheses may nest. The parser is
// recursive, so without a limit a hostile input could exhaust the stack.
const maxDepthGuard = 4096

// tokenKind classifies the lexemes of the Newick grammar.
type tokenKind int

const (
	tokEOF   tokenKind = iota
	tokOpen            // (
	tokClose           // )
	tokComma           // ,
	tokColon           // :
	tokSemi            // ;
	tokLabel           // a run of label characters: names and numbers alike
)

// punctuation maps the single-byte tokens to their kinds.
var punctuation = map[byte]tokenKind{
	'(': tokOpen, ')': tokClose, ',': tokComma, ':': tokColon, ';': tokSemi,
}

type token struct {
	kind   tokenKind
	text   string
	offset int
}

// newickLexer splits the input into tokens. It works on raw bytes, so the
// offsets in error messages are byte offsets. One token of lookahead is
// kept in peeked.
type newickLexer struct {
	src    []byte
	pos    int
	peeked *token
}

// isLabelByte reports whether c may appear in an unquoted label. Quoted
// labels are not supported, so quote characters are rejected as well.
func isLabelByte(c byte) bool {
	if c <= ' ' || c > '~' {
		return false
	}
	return !strings.ContainsRune("()[]':;,\"\\", rune(c))
}

// parseError carries a finished error message out of the recursive parser.
// The lexer and parser panic with it and parseNewick recovers it, which
// keeps the grammar code free of error plumbing.
type parseError struct{ msg string }

func failParse(format string, args ...interface{}) {
	panic(parseError{fmt.Sprintf(format, args...)})
}

// skipBlank moves past whitespace and [bracketed comments].
func (lx *newickLexer) skipBlank() {
	for lx.pos < len(lx.src) {
		switch c := lx.src[lx.pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			lx.pos++
		case c == '[':
			end := bytes.IndexByte(lx.src[lx.pos:], ']')
			if end < 0 {
				failParse("error: unterminated comment at offset %d", lx.pos)
			}
			lx.pos += end + 1
		default:
			return
		}
	}
}

func (lx *newickLexer) next() token {
	if lx.peeked != nil {
		tok := *lx.peeked
		lx.peeked = nil
		return tok
	}
	lx.skipBlank()
	start := lx.pos
	if start >= len(lx.src) {
		return token{kind: tokEOF, offset: start}
	}
	if kind, ok := punctuation[lx.src[start]]; ok {
		lx.pos++
		return token{kind: kind, text: string(lx.src[start]), offset: start}
	}
	for lx.pos < len(lx.src) && isLabelByte(lx.src[lx.pos]) {
		lx.pos++
	}
	if lx.pos == start {
		failParse("error: invalid character at offset %d", start)
	}
	return token{kind: tokLabel, text: string(lx.src[start:lx.pos]), offset: start}
}

func (lx *newickLexer) peek() token {
	if lx.peeked == nil {
		tok := lx.next()
		lx.peeked = &tok
	}
	return *lx.peeked
}

// unexpected reports a token that the grammar does not allow here.
func unexpected(tok token) {
	if tok.kind == tokEOF {
		failParse("error: unexpected end of input")
	}
	failParse("error: unexpected token %q at offset %d", tok.text, tok.offset)
}

// parseNewick reads every tree in src. Each tree must end with a semicolon.
func parseNewick(src []byte) (trees []*node, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(parseError)
			if !ok {
				panic(r)
			}
			trees, err = nil, errors.New(pe.msg)
		}
	}()
	lx := &newickLexer{src: src}
	for lx.peek().kind != tokEOF {
		if tok := lx.peek(); tok.kind != tokOpen && tok.kind != tokLabel {
			unexpected(tok)
		}
		root := parseSubtree(lx, 0)
		if tok := lx.next(); tok.kind != tokSemi {
			unexpected(tok)
		}
		trees = append(trees, root)
	}
	if len(trees) == 0 {
		return nil, errors.New("error: no trees in input")
	}
	return trees, nil
}

// parseSubtree parses "(child,child,...)label:length" or "label:length",
// where label and length are optional. depth counts the open parentheses.
func parseSubtree(lx *newickLexer, depth int) *node {
	n := &node{}
	if tok := lx.peek(); tok.kind == tokOpen {
		if depth+1 > maxDepthGuard {
			failParse("error: nesting deeper than %d levels at offset %d", maxDepthGuard, tok.offset)
		}
		lx.next()
		for {
			addChild(n, parseSubtree(lx, depth+1))
			tok = lx.next()
			if tok.kind == tokClose {
				break
			}
			if tok.kind != tokComma {
				unexpected(tok)
			}
		}
	}
	parseLabelAndLength(lx, n)
	return n
}

// parseLabelAndLength reads the optional name and ":length" that may follow
// a tip or a closing parenthesis.
func parseLabelAndLength(lx *newickLexer, n *node) {
	if tok := lx.peek(); tok.kind == tokLabel {
		n.label = tok.text
		lx.next()
	}
	if lx.peek().kind != tokColon {
		return
	}
	lx.next()
	tok := lx.next()
	if tok.kind != tokLabel {
		unexpected(tok)
	}
	value, ok := parseLength(tok.text)
	if !ok {
		failParse("error: invalid branch length %q at offset %d", tok.text, tok.offset)
	}
	n.length, n.hasLength = value, true
}

// skipDigits returns the index of the first non-digit at or after i and
// how many digits it passed over.
func skipDigits(text string, i int) (int, int) {
	start := i
	for i < len(text) && text[i] >= '0' && text[i] <= '9' {
		i++
	}
	return i, i - start
}

// parseLength accepts plain decimal numbers with an optional exponent, such
// as "0.25", "-1" or "3.5e-4". strconv.ParseFloat on its own would also take
// "Inf", "NaN" and hex floats, which have no business in a branch length.
func parseLength(text string) (float64, bool) {
	i := 0
	if i < len(text) && (text[i] == '+' || text[i] == '-') {
		i++
	}
	i, whole := skipDigits(text, i)
	frac := 0
	if i < len(text) && text[i] == '.' {
		i, frac = skipDigits(text, i+1)
	}
	if whole+frac == 0 {
		return 0, false
	}
	if i < len(text) && (text[i] == 'e' || text[i] == 'E') {
		i++
		if i < len(text) && (text[i] == '+' || text[i] == '-') {
			i++
		}
		var expDigits int
		if i, expDigits = skipDigits(text, i); expDigits == 0 {
			return 0, false
		}
	}
	if i != len(text) {
		return 0, false
	}
	value, err := strconv.ParseFloat(text, 64)
	return value, err == nil // err here can only mean overflow
}

// writeNewick renders a tree as Newick text, ending with a semicolon.
func writeNewick(root *node) string {
	var sb strings.Builder
	writeSubtree(&sb, root)
	sb.WriteByte(';')
	return sb.String()
}

func writeSubtree(sb *strings.Builder, n *node) {
	if !n.isTip() {
		sb.WriteByte('(')
		for i, child := range n.children {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeSubtree(sb, child)
		}
		sb.WriteByte(')')
	}
	sb.WriteString(n.label)
	if n.hasLength {
		sb.WriteByte(':')
		sb.WriteString(formatLength(n.length))
	}
}

// formatLength prints a length with at most six decimals and no trailing
// zeros: 0.500000 becomes 0.5 and 2.000000 becomes 2.
func formatLength(x float64) string {
	s := strconv.FormatFloat(x, 'f', 6, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}
