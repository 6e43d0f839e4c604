//! `json!` compiled to a template: the constant part of a JSON body (keys, strings, `null`,
//! booleans, nesting) becomes one byte string that `crate::json::build` reads at run time, and
//! only the Rust expressions in it are code (each a call to `crate::json::leaf`). serde_json's
//! `json!` writes code for every key and value: about 50 bytes of WebAssembly per entry.
//!
//! Template encoding (read by `src/json.rs`): `n` null, `t` true, `f` false, `h` the next hole
//! (the next expression's value, in the order they are written), `s` + string, `{` + count +
//! count × (string, value), `[` + count + count × value; a string is its length then its UTF-8
//! bytes; lengths and counts are LEB128.
//!
//! Keys must be string literals; anything else (a computed key) expands through
//! `crate::json::json_internal!`, serde_json's own rules.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::quote;

pub fn expand(input: TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = input.clone().into_iter().collect();
    let mut template = Vec::new();
    let mut holes = Vec::new();
    if value(&tokens, &mut template, &mut holes).is_none() {
        return quote!(crate::json::json_internal!(#input));
    }
    let template = proc_macro2::Literal::byte_string(&template);
    // Each hole picks its conversion by its type (`json::Probe`): a JSON value is cloned, any
    // other `Serialize` value goes through serde.
    quote!({
        #[allow(unused_imports)]
        use crate::json::{ByClone as _, BySerde as _};
        crate::json::build(
            #template,
            &[#(&(&&crate::json::Probe(&(#holes))).hole() as &dyn crate::json::Hole),*],
        )
    })
}

fn push_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn push_str(out: &mut Vec<u8>, text: &str) {
    push_len(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

/// The value of a string literal token (`"..."` or `r"..."`), if it is one.
fn string_literal(tree: &TokenTree) -> Option<String> {
    let TokenTree::Literal(literal) = tree else {
        return None;
    };
    let lit: syn::LitStr = syn::parse2(TokenStream::from(tree.clone())).ok()?;
    let _ = literal;
    Some(lit.value())
}

fn is_comma(tree: &TokenTree) -> bool {
    matches!(tree, TokenTree::Punct(p) if p.as_char() == ',')
}

/// One whole value: `tokens` is everything between two top-level commas. `None`: not
/// something this compiles (the caller falls back to serde_json's rules).
fn value(tokens: &[TokenTree], out: &mut Vec<u8>, holes: &mut Vec<TokenStream>) -> Option<()> {
    if tokens.is_empty() {
        return None;
    }
    if let [single] = tokens {
        match single {
            TokenTree::Ident(ident) if ident == "null" => {
                out.push(b'n');
                return Some(());
            }
            TokenTree::Ident(ident) if ident == "true" => {
                out.push(b't');
                return Some(());
            }
            TokenTree::Ident(ident) if ident == "false" => {
                out.push(b'f');
                return Some(());
            }
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
                return object(group.stream(), out, holes);
            }
            TokenTree::Group(group) if group.delimiter() == Delimiter::Bracket => {
                return array(group.stream(), out, holes);
            }
            _ => {
                if let Some(text) = string_literal(single) {
                    out.push(b's');
                    push_str(out, &text);
                    return Some(());
                }
            }
        }
    }
    // Any other expression: its value is computed where the macro is used.
    out.push(b'h');
    holes.push(tokens.iter().cloned().collect());
    Some(())
}

/// Splits on top-level commas (a trailing comma is allowed).
fn split(stream: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut parts = vec![Vec::new()];
    for tree in stream {
        if is_comma(&tree) {
            parts.push(Vec::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(tree);
        }
    }
    if parts.last().is_some_and(Vec::is_empty) {
        parts.pop();
    }
    parts
}

fn array(stream: TokenStream, out: &mut Vec<u8>, holes: &mut Vec<TokenStream>) -> Option<()> {
    let items = split(stream);
    out.push(b'[');
    push_len(out, items.len());
    for item in &items {
        value(item, out, holes)?;
    }
    Some(())
}

fn object(stream: TokenStream, out: &mut Vec<u8>, holes: &mut Vec<TokenStream>) -> Option<()> {
    let entries = split(stream);
    out.push(b'{');
    push_len(out, entries.len());
    for entry in &entries {
        // `"key": value`: a string literal, then a lone `:` (not the first of `::`).
        let [key, colon, rest @ ..] = entry.as_slice() else {
            return None;
        };
        let key = string_literal(key)?;
        match colon {
            TokenTree::Punct(p) if p.as_char() == ':' && p.spacing() == Spacing::Alone => {}
            _ => return None,
        }
        push_str(out, &key);
        value(rest, out, holes)?;
    }
    Some(())
}
