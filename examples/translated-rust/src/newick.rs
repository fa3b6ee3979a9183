//! Newick lexer, parser and writer.

use crate::tree::{add_child, new_node, NodeRef};

/// MAX_DEPTH_GUARD bounds how deeply parentheses may nest. The parser is
/// recursive, so without a limit a hostile input could exhaust the stack.
pub const MAX_DEPTH_GUARD: usize = 4096;

/// TokenKind classifies the lexemes of the Newick grammar.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Eof,
    Open,  // (
    Close, // )
    Comma, // ,
    Colon, // :
    Semi,  // ;
    Label, // a run of label characters: names and numbers alike
}

/// punctuation maps the single-byte tokens to their kinds.
fn punctuation(c: u8) -> Option<TokenKind> {
    match c {
        b'(' => Some(TokenKind::Open),
        b')' => Some(TokenKind::Close),
        b',' => Some(TokenKind::Comma),
        b':' => Some(TokenKind::Colon),
        b';' => Some(TokenKind::Semi),
        _ => None,
    }
}

#[derive(Clone)]
struct Token {
    kind: TokenKind,
    text: String,
    offset: usize,
}

/// NewickLexer splits the input into tokens. It works on raw bytes, so the
/// offsets in error messages are byte offsets. One token of lookahead is
/// kept in peeked.
struct NewickLexer<'a> {
    src: &'a [u8],
    pos: usize,
    peeked: Option<Token>,
}

/// is_label_byte reports whether c may appear in an unquoted label. Quoted
/// labels are not supported, so quote characters are rejected as well.
fn is_label_byte(c: u8) -> bool {
    if c <= b' ' || c > b'~' {
        return false;
    }
    !b"()[]':;,\"\\".contains(&c)
}

/// ParseError carries a finished error message out of the recursive parser.
/// The lexer and parser return it and every caller passes it on with `?`,
/// which keeps the grammar code free of error plumbing.
#[derive(Debug)]
pub struct ParseError {
    pub msg: String,
}

fn fail_parse<T>(msg: String) -> Result<T, ParseError> {
    Err(ParseError { msg })
}

impl<'a> NewickLexer<'a> {
    /// skip_blank moves past whitespace and [bracketed comments].
    fn skip_blank(&mut self) -> Result<(), ParseError> {
        while self.pos < self.src.len() {
            match self.src[self.pos] {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'[' => match self.src[self.pos..].iter().position(|&c| c == b']') {
                    None => {
                        return fail_parse(format!("error: unterminated comment at offset {}", self.pos))
                    }
                    Some(end) => self.pos += end + 1,
                },
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    fn next(&mut self) -> Result<Token, ParseError> {
        if let Some(tok) = self.peeked.take() {
            return Ok(tok);
        }
        self.skip_blank()?;
        let start = self.pos;
        if start >= self.src.len() {
            return Ok(Token { kind: TokenKind::Eof, text: String::new(), offset: start });
        }
        if let Some(kind) = punctuation(self.src[start]) {
            self.pos += 1;
            let text = (self.src[start] as char).to_string();
            return Ok(Token { kind, text, offset: start });
        }
        while self.pos < self.src.len() && is_label_byte(self.src[self.pos]) {
            self.pos += 1;
        }
        if self.pos == start {
            return fail_parse(format!("error: invalid character at offset {}", start));
        }
        let text = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
        Ok(Token { kind: TokenKind::Label, text, offset: start })
    }

    fn peek(&mut self) -> Result<Token, ParseError> {
        if self.peeked.is_none() {
            let tok = self.next()?;
            self.peeked = Some(tok);
        }
        Ok(self.peeked.clone().unwrap())
    }
}

/// unexpected reports a token that the grammar does not allow here.
fn unexpected<T>(tok: &Token) -> Result<T, ParseError> {
    if tok.kind == TokenKind::Eof {
        return fail_parse("error: unexpected end of input".to_string());
    }
    fail_parse(format!("error: unexpected token {:?} at offset {}", tok.text, tok.offset))
}

/// parse_newick reads every tree in src. Each tree must end with a semicolon.
pub fn parse_newick(src: &[u8]) -> Result<Vec<NodeRef>, ParseError> {
    let mut lx = NewickLexer { src, pos: 0, peeked: None };
    let mut trees = Vec::new();
    while lx.peek()?.kind != TokenKind::Eof {
        let tok = lx.peek()?;
        if tok.kind != TokenKind::Open && tok.kind != TokenKind::Label {
            return unexpected(&tok);
        }
        let root = parse_subtree(&mut lx, 0)?;
        let tok = lx.next()?;
        if tok.kind != TokenKind::Semi {
            return unexpected(&tok);
        }
        trees.push(root);
    }
    if trees.is_empty() {
        return fail_parse("error: no trees in input".to_string());
    }
    Ok(trees)
}

/// parse_subtree parses "(child,child,...)label:length" or "label:length",
/// where label and length are optional. depth counts the open parentheses.
fn parse_subtree(lx: &mut NewickLexer, depth: usize) -> Result<NodeRef, ParseError> {
    let n = new_node();
    let tok = lx.peek()?;
    if tok.kind == TokenKind::Open {
        if depth + 1 > MAX_DEPTH_GUARD {
            return fail_parse(format!(
                "error: nesting deeper than {} levels at offset {}",
                MAX_DEPTH_GUARD, tok.offset
            ));
        }
        lx.next()?;
        loop {
            let child = parse_subtree(lx, depth + 1)?;
            add_child(&n, &child);
            let tok = lx.next()?;
            if tok.kind == TokenKind::Close {
                break;
            }
            if tok.kind != TokenKind::Comma {
                return unexpected(&tok);
            }
        }
    }
    parse_label_and_length(lx, &n)?;
    Ok(n)
}

/// parse_label_and_length reads the optional name and ":length" that may
/// follow a tip or a closing parenthesis.
fn parse_label_and_length(lx: &mut NewickLexer, n: &NodeRef) -> Result<(), ParseError> {
    let tok = lx.peek()?;
    if tok.kind == TokenKind::Label {
        n.borrow_mut().label = tok.text;
        lx.next()?;
    }
    if lx.peek()?.kind != TokenKind::Colon {
        return Ok(());
    }
    lx.next()?;
    let tok = lx.next()?;
    if tok.kind != TokenKind::Label {
        return unexpected(&tok);
    }
    match parse_length(&tok.text) {
        None => fail_parse(format!("error: invalid branch length {:?} at offset {}", tok.text, tok.offset)),
        Some(value) => {
            let mut node = n.borrow_mut();
            node.length = value;
            node.has_length = true;
            Ok(())
        }
    }
}

/// skip_digits returns the index of the first non-digit at or after i and
/// how many digits it passed over.
fn skip_digits(text: &[u8], mut i: usize) -> (usize, usize) {
    let start = i;
    while i < text.len() && text[i].is_ascii_digit() {
        i += 1;
    }
    (i, i - start)
}

/// parse_length accepts plain decimal numbers with an optional exponent, such
/// as "0.25", "-1" or "3.5e-4". str::parse::<f64> on its own would also take
/// "inf" and "NaN", which have no business in a branch length.
fn parse_length(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut i = 0;
    if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
        i += 1;
    }
    let (next, whole) = skip_digits(bytes, i);
    i = next;
    let mut frac = 0;
    if i < bytes.len() && bytes[i] == b'.' {
        (i, frac) = skip_digits(bytes, i + 1);
    }
    if whole + frac == 0 {
        return None;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let exp_digits;
        (i, exp_digits) = skip_digits(bytes, i);
        if exp_digits == 0 {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    // an infinite result can only mean overflow
    if value.is_infinite() {
        return None;
    }
    Some(value)
}

/// write_newick renders a tree as Newick text, ending with a semicolon.
pub fn write_newick(root: &NodeRef) -> String {
    let mut sb = String::new();
    write_subtree(&mut sb, root);
    sb.push(';');
    sb
}

fn write_subtree(sb: &mut String, n: &NodeRef) {
    let node = n.borrow();
    if !node.is_tip() {
        sb.push('(');
        for (i, child) in node.children.iter().enumerate() {
            if i > 0 {
                sb.push(',');
            }
            write_subtree(sb, child);
        }
        sb.push(')');
    }
    sb.push_str(&node.label);
    if node.has_length {
        sb.push(':');
        sb.push_str(&format_length(node.length));
    }
}

/// format_length prints a length with at most six decimals and no trailing
/// zeros: 0.500000 becomes 0.5 and 2.000000 becomes 2. Infinities and NaN
/// are spelled +Inf, -Inf and NaN.
pub fn format_length(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf".to_string() } else { "-Inf".to_string() };
    }
    let mut s = format!("{:.6}", x);
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    s
}
