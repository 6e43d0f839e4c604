//! The YAML text layer, knowing nothing of KRM or monitoring: the emitter ([`emit`]), the
//! bounded reader and its limits ([`limits`]), the nesting guard in front of it
//! ([`depth_guard`]) and the field path both report ([`path`]).

pub mod depth_guard;
pub mod emit;
pub mod limits;
pub mod path;

pub use emit::{needs_quotes, to_string, write_document, write_item};
