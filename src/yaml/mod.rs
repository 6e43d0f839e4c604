//! The YAML text layer, knowing nothing of KRM or monitoring: the emitter ([`emit`]) and its float text ([`float`]), the
//! bounded reader and its limits ([`limits`]), the nesting guard in front of it
//! ([`depth_guard`]), the streaming passes that find its node-budget error and read chosen fields
//! without a value tree ([`stream`]), and the field path they report ([`path`]).

pub mod depth_guard;
pub mod emit;
pub mod float;
pub mod limits;
pub mod path;
#[cfg(feature = "streaming-limits")]
pub mod stream;

pub use emit::{needs_quotes, to_string, write_document, write_item};
