//! Reading and writing the parenthesised tree notation.
//!
//! The input is cut into lexemes in one go. Reading is iterative: the
//! vertices whose `)` is still to come sit on an explicit stack.

use crate::forest::Tree;

/// How many parentheses may be open at once.
const NEST_LIMIT: usize = 4096;

enum Lexeme {
    Punct(u8, usize),
    Word(String, usize),
    End,
    /// The scanner stopped here; the message is only shown if the reader
    /// actually gets this far.
    Broken(String),
}

fn word_byte(b: u8) -> bool {
    (b'!'..=b'~').contains(&b) && !b"()[]':;,\"\\".contains(&b)
}

fn scan(text: &[u8]) -> Vec<Lexeme> {
    let mut found = Vec::new();
    let mut at = 0;
    loop {
        while let Some(&b) = text.get(at) {
            if b == b'[' {
                match text[at..].iter().position(|&c| c == b']') {
                    Some(len) => at += len + 1,
                    None => {
                        found.push(Lexeme::Broken(format!("error: unterminated comment at offset {}", at)));
                        return found;
                    }
                }
            } else if b" \t\r\n".contains(&b) {
                at += 1;
            } else {
                break;
            }
        }
        let Some(&b) = text.get(at) else {
            found.push(Lexeme::End);
            return found;
        };
        if b"(),:;".contains(&b) {
            found.push(Lexeme::Punct(b, at));
            at += 1;
            continue;
        }
        let len = text[at..].iter().take_while(|&&c| word_byte(c)).count();
        if len == 0 {
            found.push(Lexeme::Broken(format!("error: invalid character at offset {}", at)));
            return found;
        }
        let word = String::from_utf8_lossy(&text[at..at + len]).into_owned();
        found.push(Lexeme::Word(word, at));
        at += len;
    }
}

/// Builds the message for a lexeme that does not fit where it was found.
fn complaint(lx: &Lexeme) -> String {
    match lx {
        Lexeme::Broken(msg) => msg.clone(),
        Lexeme::End => "error: unexpected end of input".to_string(),
        Lexeme::Punct(b, at) => format!("error: unexpected token \"{}\" at offset {}", *b as char, at),
        Lexeme::Word(w, at) => format!("error: unexpected token \"{}\" at offset {}", w, at),
    }
}

struct Cursor {
    items: Vec<Lexeme>,
    at: usize,
}

impl Cursor {
    fn here(&self) -> &Lexeme {
        &self.items[self.at]
    }
    fn is_punct(&self, want: u8) -> bool {
        matches!(self.here(), Lexeme::Punct(b, _) if *b == want)
    }
    /// Moves on, except that `End` and `Broken` are never stepped over.
    fn bump(&mut self) {
        if self.at + 1 < self.items.len() {
            self.at += 1;
        }
    }
}

/// Reads all trees; each one has to be closed by `;`.
pub fn read_trees(text: &[u8]) -> Result<Vec<Tree>, String> {
    let mut cur = Cursor { items: scan(text), at: 0 };
    let mut trees = Vec::new();
    while !matches!(cur.here(), Lexeme::End) {
        if !matches!(cur.here(), Lexeme::Punct(b'(', _) | Lexeme::Word(..)) {
            return Err(complaint(cur.here()));
        }
        trees.push(read_tree(&mut cur)?);
    }
    if trees.is_empty() {
        return Err("error: no trees in input".to_string());
    }
    Ok(trees)
}

fn read_tree(cur: &mut Cursor) -> Result<Tree, String> {
    let mut tree = Tree::default();
    let mut pending: Vec<usize> = Vec::new();
    loop {
        // Any number of "(", then a leaf.
        while let Lexeme::Punct(b'(', at) = *cur.here() {
            if pending.len() == NEST_LIMIT {
                return Err(format!("error: nesting deeper than {} levels at offset {}", NEST_LIMIT, at));
            }
            cur.bump();
            let v = tree.add(pending.last().copied());
            pending.push(v);
        }
        let leaf = tree.add(pending.last().copied());
        read_name_and_edge(cur, &mut tree, leaf)?;
        // Close groups until a "," starts the next sibling or ";" ends it all.
        loop {
            if pending.is_empty() {
                if !cur.is_punct(b';') {
                    return Err(complaint(cur.here()));
                }
                cur.bump();
                return Ok(tree);
            }
            if cur.is_punct(b',') {
                cur.bump();
                break;
            }
            if !cur.is_punct(b')') {
                return Err(complaint(cur.here()));
            }
            cur.bump();
            let group = pending.pop().unwrap();
            read_name_and_edge(cur, &mut tree, group)?;
        }
    }
}

/// The optional name and ":length" after a leaf or a ")".
fn read_name_and_edge(cur: &mut Cursor, tree: &mut Tree, v: usize) -> Result<(), String> {
    if let Lexeme::Word(w, _) = cur.here() {
        tree.slots[v].name = w.clone();
        cur.bump();
    }
    if !cur.is_punct(b':') {
        return Ok(());
    }
    cur.bump();
    let Lexeme::Word(w, at) = cur.here() else {
        return Err(complaint(cur.here()));
    };
    let value = decimal(w).ok_or_else(|| format!("error: invalid branch length \"{}\" at offset {}", w, at))?;
    tree.slots[v].edge = Some(value);
    cur.bump();
    Ok(())
}

/// Reads a length. Only plain decimal notation is allowed (sign, digits, one
/// point, exponent), checked with a small state machine before the standard
/// library converts it; values too large for an f64 are refused.
fn decimal(w: &str) -> Option<f64> {
    #[derive(Clone, Copy)]
    enum At { Start, Sign, Int, Dot, Frac, E, ESign, Exp }
    let mut state = At::Start;
    for c in w.bytes() {
        state = match (state, c) {
            (At::Start, b'+' | b'-') => At::Sign,
            (At::Start | At::Sign | At::Int, b'0'..=b'9') => At::Int,
            (At::Start | At::Sign, b'.') => At::Dot,
            (At::Int, b'.') | (At::Dot | At::Frac, b'0'..=b'9') => At::Frac,
            (At::Int | At::Frac, b'e' | b'E') => At::E,
            (At::E, b'+' | b'-') => At::ESign,
            (At::E | At::ESign | At::Exp, b'0'..=b'9') => At::Exp,
            _ => return None,
        };
    }
    if !matches!(state, At::Int | At::Frac | At::Exp) {
        return None;
    }
    w.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Six decimals at most, trailing zeros and a bare point dropped.
pub fn show_len(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return (if x < 0.0 { "-Inf" } else { "+Inf" }).to_string();
    }
    let fixed = format!("{:.6}", x);
    let trimmed = fixed.trim_end_matches('0');
    trimmed.strip_suffix('.').unwrap_or(trimmed).to_string()
}

/// Writes a tree back out, without recursion.
pub fn render(tree: &Tree) -> String {
    enum Step {
        Enter(usize),
        Exit(usize),
        Comma,
    }
    let label = |out: &mut String, v: usize| {
        out.push_str(&tree.slots[v].name);
        if let Some(x) = tree.slots[v].edge {
            out.push(':');
            out.push_str(&show_len(x));
        }
    };
    let mut out = String::new();
    let mut steps = vec![Step::Enter(tree.root)];
    while let Some(step) = steps.pop() {
        match step {
            Step::Comma => out.push(','),
            Step::Exit(v) => {
                out.push(')');
                label(&mut out, v);
            }
            Step::Enter(v) if tree.slots[v].kids.is_empty() => label(&mut out, v),
            Step::Enter(v) => {
                out.push('(');
                steps.push(Step::Exit(v));
                for (k, &kid) in tree.slots[v].kids.iter().enumerate().rev() {
                    steps.push(Step::Enter(kid));
                    if k > 0 {
                        steps.push(Step::Comma);
                    }
                }
            }
        }
    }
    out.push(';');
    out
}
