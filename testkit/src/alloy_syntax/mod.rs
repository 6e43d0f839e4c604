//! A small, strict parser of the Alloy configuration syntax, written from Alloy's grammar
//! (`syntax/scanner` and `syntax/parser` of grafana/alloy) and independent of the crate's writer:
//! the tests render configurations, parse them back here, and compare the decoded values with
//! what went in.
//!
//! Covered: `//` and `/* */` comments; newline statement terminators inserted after an
//! identifier, literal, `)`, `]` or `}` (as Alloy's scanner does); identifiers; double-quoted
//! strings with Alloy's escapes (`\a \b \f \n \r \t \v \\ \"`, 3-digit octal, `\xHH` bytes,
//! `\uHHHH`, `\UHHHHHHHH`); numbers; `true`/`false`/`null`; arrays and objects with commas;
//! attribute and (labelled) block statements; operators with Alloy's precedence; access,
//! index and call. Stricter than Alloy where Alloy would silently misread: a quoted object key
//! with a backslash (Alloy takes quoted keys raw) is an error. Backtick raw strings are not
//! supported (the writer never emits them).
#![allow(dead_code)]

pub mod schema;

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Attribute {
        name: String,
        value: Expr,
    },
    Block {
        name: Vec<String>,
        label: Option<String>,
        body: Vec<Stmt>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Identifier(String),
    /// Decoded bytes of a string literal (escapes may produce any bytes).
    String(Vec<u8>),
    Number(String),
    Bool(bool),
    Null,
    Array(Vec<Expr>),
    Object(Vec<(String, Expr)>),
    Access(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Expr>),
    Unary(&'static str, Box<Expr>),
    Binary(Box<Expr>, &'static str, Box<Expr>),
    Paren(Box<Expr>),
}

impl Expr {
    /// The decoded text of a string literal.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Expr::String(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        }
    }

    /// `a.b.c` as `["a", "b", "c"]`, for identifier access chains.
    pub fn path(&self) -> Option<Vec<String>> {
        match self {
            Expr::Identifier(name) => Some(vec![name.clone()]),
            Expr::Access(inner, name) => {
                let mut path = inner.path()?;
                path.push(name.clone());
                Some(path)
            }
            _ => None,
        }
    }

    /// Every sub-expression, this one first.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Expr)) {
        visit(self);
        match self {
            Expr::Array(items) => items.iter().for_each(|e| e.walk(visit)),
            Expr::Object(fields) => fields.iter().for_each(|(_, e)| e.walk(visit)),
            Expr::Access(inner, _) | Expr::Unary(_, inner) | Expr::Paren(inner) => {
                inner.walk(visit)
            }
            Expr::Index(a, b) | Expr::Binary(a, _, b) => {
                a.walk(visit);
                b.walk(visit);
            }
            Expr::Call(function, args) => {
                function.walk(visit);
                args.iter().for_each(|e| e.walk(visit));
            }
            _ => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// Decoded bytes and the raw text between the quotes.
    Str(Vec<u8>, String),
    Number(String),
    Bool(bool),
    Null,
    Punct(&'static str),
    Terminator,
    Eof,
}

/// Parses a whole file.
pub fn parse(text: &str) -> Result<Vec<Stmt>, Error> {
    let tokens = scan(text)?;
    let mut parser = Parser { tokens, pos: 0 };
    let body = parser.body(None)?;
    parser.expect_eof()?;
    Ok(body)
}

/// Whether `text` is an identifier the way Alloy's scanner reads one (ASCII letters, digits and
/// `_`; not starting with a digit; not a keyword).
pub fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(text, "true" | "false" | "null")
}

fn scan(text: &str) -> Result<Vec<(Tok, usize)>, Error> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut line = 1;
    // Whether a newline here ends a statement (after an identifier, literal, `)`, `]`, `}`).
    let mut insert_term = false;
    let err = |line: usize, message: String| Err(Error { line, message });
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' => i += 1,
            '\n' => {
                if insert_term {
                    tokens.push((Tok::Terminator, line));
                    insert_term = false;
                }
                line += 1;
                i += 1;
            }
            '\0' => return err(line, "illegal character NUL".into()),
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                loop {
                    match chars.get(i) {
                        None => return err(line, "block comment not terminated".into()),
                        Some('*') if chars.get(i + 1) == Some(&'/') => {
                            i += 2;
                            break;
                        }
                        Some('\n') => {
                            // A block comment spanning lines ends the statement like a newline.
                            if insert_term {
                                tokens.push((Tok::Terminator, line));
                                insert_term = false;
                            }
                            line += 1;
                            i += 1;
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c.is_alphabetic()) => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                tokens.push((
                    match word.as_str() {
                        "true" => Tok::Bool(true),
                        "false" => Tok::Bool(false),
                        "null" => Tok::Null,
                        _ => Tok::Ident(word),
                    },
                    line,
                ));
                insert_term = true;
            }
            c if c.is_ascii_digit()
                || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                if chars.get(i) == Some(&'.') {
                    i += 1;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                if matches!(chars.get(i), Some('e' | 'E')) {
                    i += 1;
                    if matches!(chars.get(i), Some('+' | '-')) {
                        i += 1;
                    }
                    let digits = i;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                    if i == digits {
                        return err(line, "exponent has no digits".into());
                    }
                }
                tokens.push((Tok::Number(chars[start..i].iter().collect()), line));
                insert_term = true;
            }
            '"' => {
                let (bytes, next) = scan_string(&chars, i + 1, line)?;
                let raw: String = chars[i + 1..next - 1].iter().collect();
                tokens.push((Tok::Str(bytes, raw), line));
                i = next;
                insert_term = true;
            }
            '\'' => {
                return err(
                    line,
                    "illegal single-quoted string; use double quotes".into(),
                )
            }
            '`' => {
                return err(
                    line,
                    "raw strings are not expected in generated text".into(),
                )
            }
            _ => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let punct = ["||", "&&", "!=", "==", "<=", ">="]
                    .into_iter()
                    .find(|p| two == *p);
                let (punct, width) = match punct {
                    Some(p) => (p, 2),
                    None => {
                        let one = [
                            "!", "=", "<", ">", "+", "-", "*", "/", "%", "^", "{", "}", "(", ")",
                            "[", "]", ",", ".",
                        ]
                        .into_iter()
                        .find(|p| p.starts_with(c));
                        match one {
                            Some(p) => (p, 1),
                            None => return err(line, format!("illegal character {c:?}")),
                        }
                    }
                };
                tokens.push((Tok::Punct(punct), line));
                insert_term = matches!(punct, ")" | "]" | "}");
                i += width;
            }
        }
    }
    if insert_term {
        tokens.push((Tok::Terminator, line));
    }
    tokens.push((Tok::Eof, line));
    Ok(tokens)
}

/// Scans a string body starting after the opening quote; returns the decoded bytes and the
/// index after the closing quote.
fn scan_string(chars: &[char], mut i: usize, line: usize) -> Result<(Vec<u8>, usize), Error> {
    let err = |message: &str| {
        Err(Error {
            line,
            message: message.to_string(),
        })
    };
    let mut out = Vec::new();
    loop {
        let Some(&c) = chars.get(i) else {
            return err("string literal not terminated");
        };
        i += 1;
        match c {
            '"' => return Ok((out, i)),
            '\n' => return err("string literal not terminated (raw newline)"),
            '\0' => return err("illegal character NUL"),
            '\\' => {
                let Some(&e) = chars.get(i) else {
                    return err("escape sequence not terminated");
                };
                i += 1;
                let simple = match e {
                    'a' => Some(7u8),
                    'b' => Some(8),
                    'f' => Some(12),
                    'n' => Some(b'\n'),
                    'r' => Some(b'\r'),
                    't' => Some(b'\t'),
                    'v' => Some(11),
                    '\\' => Some(b'\\'),
                    '"' => Some(b'"'),
                    _ => None,
                };
                if let Some(byte) = simple {
                    out.push(byte);
                    continue;
                }
                let (digits, base, byte) = match e {
                    '0'..='7' => {
                        i -= 1;
                        (3, 8, true)
                    }
                    'x' => (2, 16, true),
                    'u' => (4, 16, false),
                    'U' => (8, 16, false),
                    _ => return err(&format!("unknown escape sequence \\{e}")),
                };
                let mut value: u32 = 0;
                for _ in 0..digits {
                    let Some(d) = chars.get(i).and_then(|d| d.to_digit(base)) else {
                        return err("illegal character in escape sequence");
                    };
                    value = value * base + d;
                    i += 1;
                }
                if byte {
                    if value > 255 {
                        return err("escape sequence is invalid Unicode code point");
                    }
                    out.push(value as u8);
                } else {
                    let Some(ch) = char::from_u32(value) else {
                        return err("escape sequence is invalid Unicode code point");
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

struct Parser {
    tokens: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos].0
    }

    fn line(&self) -> usize {
        self.tokens[self.pos].1
    }

    fn next(&mut self) -> Tok {
        let tok = self.tokens[self.pos].0.clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        tok
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, Error> {
        Err(Error {
            line: self.line(),
            message: message.into(),
        })
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }

    fn expect_punct(&mut self, p: &str) -> Result<(), Error> {
        if self.is_punct(p) {
            self.next();
            Ok(())
        } else {
            self.fail(format!("expected {p:?}, got {:?}", self.peek()))
        }
    }

    fn expect_eof(&mut self) -> Result<(), Error> {
        match self.peek() {
            Tok::Eof => Ok(()),
            other => self.fail(format!("expected end of file, got {other:?}")),
        }
    }

    /// `Body = [ Statement { terminator Statement } ]`, up to `}` (or EOF at the top).
    fn body(&mut self, until_curly: Option<()>) -> Result<Vec<Stmt>, Error> {
        let mut body = Vec::new();
        loop {
            // Blank statements do not exist: terminators only follow statements, but a
            // leading one (after `{` on its own line) is skipped by the scanner already.
            let at_end = match self.peek() {
                Tok::Eof => true,
                Tok::Punct("}") => until_curly.is_some(),
                _ => false,
            };
            if at_end {
                return Ok(body);
            }
            body.push(self.statement()?);
            match self.peek() {
                Tok::Terminator => {
                    self.next();
                }
                Tok::Punct("}") if until_curly.is_some() => {}
                Tok::Eof => {}
                other => return self.fail(format!("expected end of statement, got {other:?}")),
            }
        }
    }

    /// `Attribute = identifier "=" Expression`; `Block = identifier { "." identifier }
    /// [ string ] "{" Body "}"`.
    fn statement(&mut self) -> Result<Stmt, Error> {
        let mut name = match self.next() {
            Tok::Ident(name) => vec![name],
            other => return self.fail(format!("expected identifier, got {other:?}")),
        };
        while self.is_punct(".") {
            self.next();
            match self.next() {
                Tok::Ident(part) => name.push(part),
                other => return self.fail(format!("expected identifier after '.', got {other:?}")),
            }
        }
        let mut label = None;
        if let Tok::Str(_, raw) = self.peek().clone() {
            self.next();
            // Alloy takes the label raw, between the quotes.
            let text = raw;
            if !text.is_empty() && !is_identifier(&text) {
                return self.fail(format!(
                    "expected block label to be a valid identifier, but got {text:?}"
                ));
            }
            label = Some(text);
        }
        if self.is_punct("=") {
            if name.len() != 1 {
                return self.fail("attribute names may only consist of a single identifier");
            }
            if label.is_some() {
                return self.fail("attribute names may not have labels");
            }
            self.next();
            let value = self.expression()?;
            return Ok(Stmt::Attribute {
                name: name.remove(0),
                value,
            });
        }
        self.expect_punct("{")?;
        let body = self.body(Some(()))?;
        self.expect_punct("}")?;
        Ok(Stmt::Block { name, label, body })
    }

    fn expression(&mut self) -> Result<Expr, Error> {
        self.binary(1)
    }

    fn precedence(&self) -> Option<(usize, &'static str)> {
        let Tok::Punct(p) = self.peek() else {
            return None;
        };
        let prec = match *p {
            "||" => 1,
            "&&" => 2,
            "==" | "!=" | "<" | "<=" | ">" | ">=" => 3,
            "+" | "-" => 4,
            "*" | "/" | "%" => 5,
            _ => return None,
        };
        Some((prec, p))
    }

    fn binary(&mut self, min: usize) -> Result<Expr, Error> {
        let mut lhs = self.power()?;
        while let Some((prec, op)) = self.precedence() {
            if prec < min {
                break;
            }
            self.next();
            let rhs = self.binary(prec + 1)?;
            lhs = Expr::Binary(Box::new(lhs), op, Box::new(rhs));
        }
        Ok(lhs)
    }

    fn power(&mut self) -> Result<Expr, Error> {
        let lhs = self.unary()?;
        if self.is_punct("^") {
            self.next();
            let rhs = self.power()?;
            return Ok(Expr::Binary(Box::new(lhs), "^", Box::new(rhs)));
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, Error> {
        for op in ["!", "-"] {
            if self.is_punct(op) {
                self.next();
                return Ok(Expr::Unary(op, Box::new(self.unary()?)));
            }
        }
        let mut expr = self.primary()?;
        loop {
            if self.is_punct(".") {
                self.next();
                match self.next() {
                    Tok::Ident(name) => expr = Expr::Access(Box::new(expr), name),
                    other => return self.fail(format!("expected identifier, got {other:?}")),
                }
            } else if self.is_punct("[") {
                self.next();
                let index = self.expression()?;
                self.expect_punct("]")?;
                expr = Expr::Index(Box::new(expr), Box::new(index));
            } else if self.is_punct("(") {
                self.next();
                let args = self.list(")")?;
                self.expect_punct(")")?;
                expr = Expr::Call(Box::new(expr), args);
            } else if self.is_punct("{") || matches!(self.peek(), Tok::Str(..)) {
                return self.fail("cannot use a block as an expression");
            } else {
                return Ok(expr);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, Error> {
        match self.next() {
            Tok::Ident(name) => Ok(Expr::Identifier(name)),
            Tok::Str(bytes, _) => Ok(Expr::String(bytes)),
            Tok::Number(n) => Ok(Expr::Number(n)),
            Tok::Bool(b) => Ok(Expr::Bool(b)),
            Tok::Null => Ok(Expr::Null),
            Tok::Punct("(") => {
                let inner = self.expression()?;
                self.expect_punct(")")?;
                Ok(Expr::Paren(Box::new(inner)))
            }
            Tok::Punct("[") => {
                let items = self.list("]")?;
                self.expect_punct("]")?;
                Ok(Expr::Array(items))
            }
            Tok::Punct("{") => {
                let mut fields = Vec::new();
                while !self.is_punct("}") {
                    let key = match self.next() {
                        Tok::Ident(name) => name,
                        Tok::Str(_, raw) => {
                            // Alloy strips the quotes and keeps the rest raw: an escape would
                            // reach it undecoded.
                            if raw.contains('\\') || raw.is_empty() {
                                return self.fail(format!(
                                    "quoted object key {raw:?} is empty or has an escape, which Alloy would read raw"
                                ));
                            }
                            raw
                        }
                        other => {
                            return self.fail(format!(
                                "expected field name (string or identifier), got {other:?}"
                            ))
                        }
                    };
                    self.expect_punct("=")?;
                    let value = self.expression()?;
                    if fields.iter().any(|(k, _)| *k == key) {
                        return self.fail(format!("duplicate object key {key:?}"));
                    }
                    fields.push((key, value));
                    if self.is_punct("}") {
                        break;
                    }
                    if !self.is_punct(",") {
                        return self
                            .fail(format!("missing ',' in field list, got {:?}", self.peek()));
                    }
                    self.next();
                }
                self.expect_punct("}")?;
                Ok(Expr::Object(fields))
            }
            other => self.fail(format!("expected expression, got {other:?}")),
        }
    }

    /// `ExpressionList = Expression { "," Expression } [ "," ]`, up to `close`.
    fn list(&mut self, close: &str) -> Result<Vec<Expr>, Error> {
        let mut items = Vec::new();
        while !self.is_punct(close) {
            items.push(self.expression()?);
            if self.is_punct(close) {
                break;
            }
            if !self.is_punct(",") {
                return self.fail(format!(
                    "missing ',' in expression list, got {:?}",
                    self.peek()
                ));
            }
            self.next();
        }
        Ok(items)
    }
}

/// Every block of a file with its path of names from the top (`["loki.write", "endpoint"]`).
pub fn blocks(body: &[Stmt]) -> Vec<(Vec<String>, Option<String>, &[Stmt])> {
    fn walk<'a>(
        body: &'a [Stmt],
        prefix: &[String],
        out: &mut Vec<(Vec<String>, Option<String>, &'a [Stmt])>,
    ) {
        for stmt in body {
            if let Stmt::Block { name, label, body } = stmt {
                let mut path = prefix.to_vec();
                path.push(name.join("."));
                out.push((path.clone(), label.clone(), body));
                walk(body, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(body, &[], &mut out);
    out
}

/// The attribute `name` of a body.
pub fn attribute<'a>(body: &'a [Stmt], name: &str) -> Option<&'a Expr> {
    body.iter().find_map(|stmt| match stmt {
        Stmt::Attribute { name: n, value } if n == name => Some(value),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_shapes_alloy_uses() {
        let text = r#"// comment
discovery.kubernetes "pods" {
  role = "pod" /* inline */
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }
}

loki.process "x" {
  stage.static_labels {
    values = {
      cluster = sys.env("CLUSTER_NAME"),
      "quoted-key" = 1.5e3,
    }
  }
  forward_to = [loki.write.loki.receiver, a["k"]]
  n = -(1 + 2) * 3 ^ 2 ^ 1 == 27 || !false && null == null
}
"#;
        let file = parse(text).expect("valid");
        assert_eq!(file.len(), 2);
        let all = blocks(&file);
        let names: Vec<String> = all.iter().map(|(p, _, _)| p.join("/")).collect();
        assert_eq!(
            names,
            [
                "discovery.kubernetes",
                "discovery.kubernetes/selectors",
                "loki.process",
                "loki.process/stage.static_labels"
            ]
        );
        let field = attribute(all[1].2, "field").expect("field");
        let Expr::Binary(lhs, "+", rhs) = field else {
            panic!("{field:?}")
        };
        assert_eq!(lhs.as_str(), Some("spec.nodeName="));
        let Expr::Call(function, args) = rhs.as_ref() else {
            panic!("{rhs:?}")
        };
        assert_eq!(function.path(), Some(vec!["sys".into(), "env".into()]));
        assert_eq!(args[0].as_str(), Some("HOSTNAME"));
    }

    #[test]
    fn decodes_every_escape() {
        let file = parse(r#"a = "q\" b\\ n\n t\t r\r \a\b\f\v \101 \x41 \u00e9 \U0001F600 ü""#)
            .expect("valid");
        let Stmt::Attribute { value, .. } = &file[0] else {
            panic!()
        };
        assert_eq!(
            value.as_str(),
            Some("q\" b\\ n\n t\t r\r \u{7}\u{8}\u{c}\u{b} A A é 😀 ü")
        );
    }

    #[test]
    fn rejects_what_alloy_rejects() {
        for bad in [
            "a = \"unterminated",
            "a = \"raw\nnewline\"",
            r#"a = "\q""#,
            r#"a = "\u12""#,
            "a = 'single'",
            "a = [1 2]",
            "a = [1,\n 2\n]",
            "a = { b = 1 c = 2 }",
            "a = {\n b = 1\n}",
            "b \"not-an-ident\" { }",
            "a.b = 1",
            "a \"l\" = 1",
            "a = 1 b = 2",
            "blk {",
            "blk { a = 1 }}",
            "a = { \"k\\\"\" = 1 }",
            "a = { k = 1, k = 2 }",
            "a = b { }",
            "/* open",
            "a = 1e",
            "a = #",
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
