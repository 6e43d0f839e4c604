//! Go's `js/wasm` host ABI: the part of it that kpt's node glue (a copy of Go's `wasm_exec.js`)
//! offers and this module needs. All unsafe code of the crate's ABI side is here.
//!
//! # How the ABI works
//! Every host function is imported from the wasm module `"go"` and takes one `i32`: the address
//! `sp` of an *argument frame* in linear memory — the address the exported [`getsp`] returns.
//! The host reads the arguments at `sp + 8` onward and writes its results into the same frame,
//! in 8-byte little-endian slots (the offsets are in [`layout`]). A string or byte slice argument
//! is a pointer/length pair (a slice adds a capacity). A JS value travels as one 8-byte [`Raw`]:
//! a number is its own `f64` bits; anything else is NaN-boxed, the high 32 bits
//! `0x7FF8_0000 | type flag` and the low 32 bits an id into the host's value table. The host
//! counts how many references the module holds to each id; [`JsValue`] releases its count with
//! `finalizeRef` when dropped.
//!
//! # Memory
//! The host keeps a `DataView` of the memory (`this.mem`) and uses it to read and write frames.
//! When the memory grows, the old buffer is detached and that view fails. Before every host call
//! the module compares the memory size with the one it last told the host about and, when it
//! changed, calls `runtime.resetMemoryDataView` first (see [`sync_memory_view`]). The module's
//! allocator never grows the memory while its fixed arena lasts (`arena.rs`), so this is for the
//! fallback, and for a host that grows the memory itself (the node tests do).
//!
//! # Re-entrancy
//! There is one frame, in static memory. It is valid because no host call made here runs module
//! code before returning (property reads, `process.stdout.write`, `process.exit`, making the two
//! function wrappers): the module is never re-entered while a frame is in use.
//!
//! The encoding helpers ([`Raw`], [`Frame`], [`layout`]) are plain Rust and unit-tested on the
//! host; the host calls exist only on wasm32.

/// The high 32 bits of every NaN-boxed reference (a quiet NaN), before the type flag.
pub const NAN_HEAD: u32 = 0x7FF8_0000;

/// The host's type flag of a reference (bits 0–2 of the high word).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum TypeFlag {
    /// `null`, booleans, NaN, 0 and other primitives that are neither strings nor symbols.
    None = 0,
    Object = 1,
    String = 2,
    Symbol = 3,
    Function = 4,
}

/// Ids below this are the host's predefined values (NaN, 0, null, true, false, globalThis, the Go
/// object); their reference counts are infinite and never released.
pub const FIRST_DYNAMIC_ID: u32 = 7;

/// A JS value as the ABI passes it (the `ref` type of Go's `syscall/js`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Raw(pub u64);

/// A [`Raw`] taken apart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decoded {
    Undefined,
    Number(f64),
    Ref { id: u32, flag: u32 },
}

impl Raw {
    /// `undefined` is all-zero bits (the `f64` +0.0 is never sent as a number: see [`Raw::ZERO`]).
    pub const UNDEFINED: Raw = Raw(0);
    pub const NAN: Raw = Raw::predefined(0, TypeFlag::None);
    /// The number 0 travels as predefined id 1, because its bits would read as `undefined`.
    pub const ZERO: Raw = Raw::predefined(1, TypeFlag::None);
    pub const NULL: Raw = Raw::predefined(2, TypeFlag::None);
    pub const TRUE: Raw = Raw::predefined(3, TypeFlag::None);
    pub const FALSE: Raw = Raw::predefined(4, TypeFlag::None);
    /// `globalThis`.
    pub const GLOBAL: Raw = Raw::predefined(5, TypeFlag::Object);
    /// The host's `Go` instance (holds `_pendingEvent` and `_makeFuncWrapper`).
    pub const GO: Raw = Raw::predefined(6, TypeFlag::Object);

    pub const fn predefined(id: u32, flag: TypeFlag) -> Raw {
        Raw((((NAN_HEAD | flag as u32) as u64) << 32) | id as u64)
    }

    /// A number as the host's `storeValue` would write it.
    pub fn number(value: f64) -> Raw {
        if value == 0.0 {
            Raw::ZERO
        } else if value.is_nan() {
            Raw::NAN
        } else {
            Raw(value.to_bits())
        }
    }

    /// The host's `loadValue`, on the module side.
    pub fn decode(self) -> Decoded {
        let value = f64::from_bits(self.0);
        if self.0 == 0 {
            Decoded::Undefined
        } else if !value.is_nan() {
            Decoded::Number(value)
        } else {
            Decoded::Ref {
                id: self.0 as u32,
                flag: ((self.0 >> 32) as u32) & 0x7,
            }
        }
    }

    /// The number this value is (0 and NaN included), if it is one.
    pub fn as_f64(self) -> Option<f64> {
        match self.decode() {
            Decoded::Number(n) => Some(n),
            _ if self == Raw::ZERO => Some(0.0),
            _ if self == Raw::NAN => Some(f64::NAN),
            _ => None,
        }
    }

    pub fn is_object(self) -> bool {
        matches!(self.decode(), Decoded::Ref { flag, .. } if flag == TypeFlag::Object as u32)
    }

    /// Whether the host counts this reference, so that dropping it must call `finalizeRef`.
    pub fn is_counted_ref(self) -> bool {
        matches!(self.decode(), Decoded::Ref { id, .. } if id >= FIRST_DYNAMIC_ID)
    }
}

/// Byte offsets of each host function's arguments and results in the frame (Go's `wasm_exec.js`
/// layout; a string is pointer +0 / length +8, a slice adds capacity +16).
pub mod layout {
    pub mod value_get {
        pub const VALUE: usize = 8;
        pub const NAME: usize = 16;
        pub const RESULT: usize = 32;
    }
    pub mod value_set {
        pub const VALUE: usize = 8;
        pub const NAME: usize = 16;
        pub const X: usize = 32;
    }
    pub mod value_index {
        pub const VALUE: usize = 8;
        pub const INDEX: usize = 16;
        pub const RESULT: usize = 24;
    }
    pub mod value_call {
        pub const VALUE: usize = 8;
        pub const METHOD: usize = 16;
        pub const ARGS: usize = 32;
        pub const RESULT: usize = 56;
        /// One byte: 1 when the call returned, 0 when it threw (RESULT is then the exception).
        pub const OK: usize = 64;
    }
    pub mod string_val {
        pub const STRING: usize = 8;
        pub const RESULT: usize = 24;
    }
    pub mod value_prepare_string {
        pub const VALUE: usize = 8;
        /// A `Uint8Array` of the UTF-8 bytes, then their count.
        pub const BYTES: usize = 16;
        pub const LENGTH: usize = 24;
    }
    pub mod value_load_string {
        pub const BYTES: usize = 8;
        pub const BUFFER: usize = 16;
    }
    pub mod finalize_ref {
        pub const VALUE: usize = 8;
    }
}

/// Bytes in the frame: enough for the largest call (`valueCall`: its `OK` byte at 64).
pub const FRAME_BYTES: usize = 72;

/// One argument frame (8-byte aligned, little-endian slots, as the host reads it).
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(C, align(8))]
pub struct Frame([u8; FRAME_BYTES]);

impl Default for Frame {
    fn default() -> Self {
        Frame::new()
    }
}

impl Frame {
    pub const fn new() -> Frame {
        Frame([0; FRAME_BYTES])
    }

    pub fn put_u64(&mut self, offset: usize, value: u64) {
        self.0[offset..offset + 8].copy_from_slice(&value.to_le_bytes());
    }

    pub fn get_u64(&self, offset: usize) -> u64 {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(&self.0[offset..offset + 8]);
        u64::from_le_bytes(bytes)
    }

    pub fn get_u8(&self, offset: usize) -> u8 {
        self.0[offset]
    }

    pub fn put_raw(&mut self, offset: usize, value: Raw) {
        self.put_u64(offset, value.0);
    }

    pub fn get_raw(&self, offset: usize) -> Raw {
        Raw(self.get_u64(offset))
    }

    /// A string or byte-slice argument: address at `offset`, length at `offset + 8`.
    pub fn put_str(&mut self, offset: usize, address: usize, len: usize) {
        self.put_u64(offset, address as u64);
        self.put_u64(offset + 8, len as u64);
    }

    /// A Go slice argument: address, length, capacity.
    pub fn put_slice(&mut self, offset: usize, address: usize, len: usize, capacity: usize) {
        self.put_str(offset, address, len);
        self.put_u64(offset + 16, capacity as u64);
    }

    pub fn bytes(&self) -> &[u8; FRAME_BYTES] {
        &self.0
    }
}

#[cfg(target_arch = "wasm32")]
pub use host::*;

#[cfg(target_arch = "wasm32")]
mod host {
    use super::{layout, Frame, Raw};
    use core::cell::UnsafeCell;

    #[link(wasm_import_module = "go")]
    extern "C" {
        #[link_name = "syscall/js.valueGet"]
        fn value_get(sp: u32);
        #[link_name = "syscall/js.valueSet"]
        fn value_set(sp: u32);
        #[link_name = "syscall/js.valueIndex"]
        fn value_index(sp: u32);
        #[link_name = "syscall/js.valueCall"]
        fn value_call(sp: u32);
        #[link_name = "syscall/js.stringVal"]
        fn string_val(sp: u32);
        #[link_name = "syscall/js.valuePrepareString"]
        fn value_prepare_string(sp: u32);
        #[link_name = "syscall/js.valueLoadString"]
        fn value_load_string(sp: u32);
        #[link_name = "syscall/js.finalizeRef"]
        fn finalize_ref(sp: u32);
        #[link_name = "runtime.resetMemoryDataView"]
        fn reset_memory_data_view(sp: u32);
    }

    struct FrameCell(UnsafeCell<Frame>);
    // SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
    unsafe impl Sync for FrameCell {}

    static FRAME: FrameCell = FrameCell(UnsafeCell::new(Frame::new()));

    struct PagesCell(UnsafeCell<usize>);
    // SAFETY: as above, one thread.
    unsafe impl Sync for PagesCell {}

    /// The memory size (in 64 KiB pages) the host's view was last made for; 0 = never.
    static VIEW_PAGES: PagesCell = PagesCell(UnsafeCell::new(0));

    /// The frame's address: the host calls this (ABI export `getsp`) after any call that may have
    /// run module code, to find the frame again.
    #[no_mangle]
    pub extern "C" fn getsp() -> u32 {
        FRAME.0.get() as u32
    }

    /// Makes the host re-read `memory.buffer` if the memory grew since it last did.
    pub fn sync_memory_view() {
        let pages = core::arch::wasm32::memory_size::<0>();
        // SAFETY: one thread; no reference to the cell outlives this statement.
        let known = unsafe { &mut *VIEW_PAGES.0.get() };
        if *known != pages {
            // SAFETY: an import of the Go ABI; it reads nothing from the frame.
            unsafe { reset_memory_data_view(getsp()) };
            *known = pages;
        }
    }

    /// Fills the frame, calls the host, reads the results. The closure-free shape keeps every
    /// access to the static frame inside this function.
    fn call(import: unsafe extern "C" fn(u32), fill: &dyn Fn(&mut Frame)) -> Frame {
        // SAFETY: one thread, and the host never re-enters the module during these calls (module
        // docs), so this is the only live reference to the frame.
        let frame = unsafe { &mut *FRAME.0.get() };
        fill(frame);
        sync_memory_view();
        // SAFETY: `import` is one of the Go ABI imports above; it reads its arguments from the
        // frame just filled, whose pointers refer to live data borrowed by `fill`'s captures.
        unsafe { import(getsp()) };
        frame.clone()
    }

    /// An owned JS value: the host's reference count is released on drop.
    #[derive(Debug)]
    pub struct JsValue(Raw);

    impl Drop for JsValue {
        fn drop(&mut self) {
            if self.0.is_counted_ref() {
                let raw = self.0;
                call(finalize_ref, &|f| {
                    f.put_raw(layout::finalize_ref::VALUE, raw)
                });
            }
        }
    }

    impl JsValue {
        pub fn global() -> JsValue {
            JsValue(Raw::GLOBAL)
        }

        pub fn go() -> JsValue {
            JsValue(Raw::GO)
        }

        pub fn null() -> JsValue {
            JsValue(Raw::NULL)
        }

        pub fn undefined() -> JsValue {
            JsValue(Raw::UNDEFINED)
        }

        pub fn number(value: f64) -> JsValue {
            JsValue(Raw::number(value))
        }

        pub fn raw(&self) -> Raw {
            self.0
        }

        /// A JS string with the text (copied by the host).
        pub fn string(text: &str) -> JsValue {
            let (address, len) = (text.as_ptr() as usize, text.len());
            let frame = call(string_val, &|f| {
                f.put_str(layout::string_val::STRING, address, len)
            });
            JsValue(frame.get_raw(layout::string_val::RESULT))
        }

        /// `this[name]`.
        pub fn get(&self, name: &str) -> JsValue {
            let (this, address, len) = (self.0, name.as_ptr() as usize, name.len());
            let frame = call(value_get, &|f| {
                f.put_raw(layout::value_get::VALUE, this);
                f.put_str(layout::value_get::NAME, address, len);
            });
            JsValue(frame.get_raw(layout::value_get::RESULT))
        }

        /// `this[name] = value`.
        pub fn set(&self, name: &str, value: &JsValue) {
            let (this, address, len, x) = (self.0, name.as_ptr() as usize, name.len(), value.0);
            call(value_set, &|f| {
                f.put_raw(layout::value_set::VALUE, this);
                f.put_str(layout::value_set::NAME, address, len);
                f.put_raw(layout::value_set::X, x);
            });
        }

        /// `this[index]`.
        pub fn index(&self, index: usize) -> JsValue {
            let this = self.0;
            let frame = call(value_index, &|f| {
                f.put_raw(layout::value_index::VALUE, this);
                f.put_u64(layout::value_index::INDEX, index as u64);
            });
            JsValue(frame.get_raw(layout::value_index::RESULT))
        }

        /// `this[method](...args)`; `Err` holds what it threw.
        pub fn call(&self, method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
            // At most four arguments, on the stack: no allocation (the out-of-memory path uses
            // this too).
            let mut raws = [Raw::UNDEFINED; 4];
            assert!(args.len() <= raws.len(), "at most 4 arguments");
            for (slot, arg) in raws.iter_mut().zip(args) {
                *slot = arg.0;
            }
            let (this, address, len) = (self.0, method.as_ptr() as usize, method.len());
            let (args_address, count) = (raws.as_ptr() as usize, args.len());
            let frame = call(value_call, &|f| {
                f.put_raw(layout::value_call::VALUE, this);
                f.put_str(layout::value_call::METHOD, address, len);
                f.put_slice(layout::value_call::ARGS, args_address, count, count);
            });
            let result = JsValue(frame.get_raw(layout::value_call::RESULT));
            if frame.get_u8(layout::value_call::OK) == 1 {
                Ok(result)
            } else {
                Err(result)
            }
        }

        /// The UTF-8 bytes of `String(this)`, or `Err(length)` when there are more than `limit`
        /// (checked before anything is allocated in the module).
        pub fn to_utf8(&self, limit: usize) -> Result<Vec<u8>, usize> {
            let this = self.0;
            let frame = call(value_prepare_string, &|f| {
                f.put_raw(layout::value_prepare_string::VALUE, this);
            });
            let bytes = JsValue(frame.get_raw(layout::value_prepare_string::BYTES));
            let len = frame.get_u64(layout::value_prepare_string::LENGTH) as usize;
            if len > limit {
                return Err(len);
            }
            let mut buffer = vec![0u8; len];
            let (address, raw) = (buffer.as_mut_ptr() as usize, bytes.0);
            call(value_load_string, &|f| {
                f.put_raw(layout::value_load_string::BYTES, raw);
                f.put_slice(layout::value_load_string::BUFFER, address, len, len);
            });
            Ok(buffer)
        }

        pub fn as_f64(&self) -> Option<f64> {
            self.0.as_f64()
        }

        pub fn is_object(&self) -> bool {
            self.0.is_object()
        }

        pub fn is_undefined(&self) -> bool {
            self.0 == Raw::UNDEFINED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_values_match_the_host_table() {
        // wasm_exec.js: _values = [NaN, 0, null, true, false, globalThis, this]
        assert_eq!(Raw::NAN.0, 0x7FF8_0000_0000_0000);
        assert_eq!(Raw::ZERO.0, 0x7FF8_0000_0000_0001);
        assert_eq!(Raw::NULL.0, 0x7FF8_0000_0000_0002);
        assert_eq!(Raw::TRUE.0, 0x7FF8_0000_0000_0003);
        assert_eq!(Raw::FALSE.0, 0x7FF8_0000_0000_0004);
        assert_eq!(Raw::GLOBAL.0, 0x7FF8_0001_0000_0005);
        assert_eq!(Raw::GO.0, 0x7FF8_0001_0000_0006);
        assert_eq!(Raw::UNDEFINED.decode(), Decoded::Undefined);
    }

    #[test]
    fn numbers_are_their_own_bits_except_zero_and_nan() {
        assert_eq!(Raw::number(1.0).0, 1.0f64.to_bits());
        assert_eq!(Raw::number(-2.5).decode(), Decoded::Number(-2.5));
        assert_eq!(Raw::number(0.0), Raw::ZERO);
        assert_eq!(Raw::number(-0.0), Raw::ZERO);
        assert_eq!(Raw::number(f64::NAN), Raw::NAN);
        assert_eq!(Raw::number(1.0).as_f64(), Some(1.0));
        assert_eq!(Raw::ZERO.as_f64(), Some(0.0));
        assert!(Raw::NAN.as_f64().is_some_and(f64::is_nan));
        assert_eq!(Raw::UNDEFINED.as_f64(), None);
        assert_eq!(Raw::GLOBAL.as_f64(), None);
        // The largest id and an infinity stay what they are.
        assert_eq!(
            Raw::number(f64::INFINITY).decode(),
            Decoded::Number(f64::INFINITY)
        );
    }

    #[test]
    fn references_decode_to_id_and_type_flag() {
        // What storeValue writes for a string stored at id 42: high 0x7FF80002, low 42.
        let string = Raw(0x7FF8_0002_0000_002A);
        assert_eq!(string.decode(), Decoded::Ref { id: 42, flag: 2 });
        assert!(string.is_counted_ref());
        assert!(!string.is_object());
        let function = Raw::predefined(9, TypeFlag::Function);
        assert_eq!(function.decode(), Decoded::Ref { id: 9, flag: 4 });
        let object = Raw::predefined(u32::MAX, TypeFlag::Object);
        assert_eq!(
            object.decode(),
            Decoded::Ref {
                id: u32::MAX,
                flag: 1
            }
        );
        assert!(object.is_object());
        // Predefined values are never released.
        for raw in [
            Raw::NULL,
            Raw::GLOBAL,
            Raw::GO,
            Raw::UNDEFINED,
            Raw::number(3.0),
        ] {
            assert!(!raw.is_counted_ref(), "{raw:?}");
        }
        assert!(Raw::predefined(FIRST_DYNAMIC_ID, TypeFlag::None).is_counted_ref());
    }

    #[test]
    fn frame_slots_are_little_endian_at_their_offsets() {
        let mut frame = Frame::new();
        frame.put_u64(8, 0x0102_0304_0506_0708);
        assert_eq!(&frame.bytes()[8..16], &[8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(frame.get_u64(8), 0x0102_0304_0506_0708);
        frame.put_raw(layout::value_get::RESULT, Raw::GO);
        assert_eq!(frame.get_raw(layout::value_get::RESULT), Raw::GO);
        // The host stores a NaN-boxed id as two u32 halves: id at +0, head | flag at +4.
        assert_eq!(&frame.bytes()[32..36], &6u32.to_le_bytes());
        assert_eq!(&frame.bytes()[36..40], &0x7FF8_0001u32.to_le_bytes());
        frame.put_str(layout::value_get::NAME, 0x1000, 5);
        assert_eq!(frame.get_u64(16), 0x1000);
        assert_eq!(frame.get_u64(24), 5);
        frame.put_slice(layout::value_call::ARGS, 0x2000, 2, 3);
        assert_eq!(
            (frame.get_u64(32), frame.get_u64(40), frame.get_u64(48)),
            (0x2000, 2, 3)
        );
        assert_eq!(frame.get_u8(layout::value_call::OK), 0);
        assert_eq!(core::mem::align_of::<Frame>(), 8);
    }

    /// Each call's fields as (offset, bytes): they must follow each other without overlap from
    /// `sp + 8` (Go's calling convention: the slot at +0 is the return address) and fit the frame.
    #[test]
    fn frame_offsets_follow_gos_layout() {
        use layout::*;
        let calls: &[(&str, &[(usize, usize)])] = &[
            (
                "valueGet",
                &[
                    (value_get::VALUE, 8),
                    (value_get::NAME, 16),
                    (value_get::RESULT, 8),
                ],
            ),
            (
                "valueSet",
                &[
                    (value_set::VALUE, 8),
                    (value_set::NAME, 16),
                    (value_set::X, 8),
                ],
            ),
            (
                "valueIndex",
                &[
                    (value_index::VALUE, 8),
                    (value_index::INDEX, 8),
                    (value_index::RESULT, 8),
                ],
            ),
            (
                "valueCall",
                &[
                    (value_call::VALUE, 8),
                    (value_call::METHOD, 16),
                    (value_call::ARGS, 24),
                    (value_call::RESULT, 8),
                    (value_call::OK, 1),
                ],
            ),
            (
                "stringVal",
                &[(string_val::STRING, 16), (string_val::RESULT, 8)],
            ),
            (
                "valuePrepareString",
                &[
                    (value_prepare_string::VALUE, 8),
                    (value_prepare_string::BYTES, 8),
                    (value_prepare_string::LENGTH, 8),
                ],
            ),
            (
                "valueLoadString",
                &[
                    (value_load_string::BYTES, 8),
                    (value_load_string::BUFFER, 24),
                ],
            ),
            ("finalizeRef", &[(finalize_ref::VALUE, 8)]),
        ];
        for (name, fields) in calls {
            let mut next = 8;
            for &(offset, size) in *fields {
                assert_eq!(offset, next, "{name}: field at {offset}, expected {next}");
                next = offset + size;
            }
            assert!(next <= FRAME_BYTES, "{name} needs {next} bytes");
        }
        // The documented anchors (krm-runtimes.md, "The Go-js ABI in detail").
        assert_eq!(
            (value_call::RESULT, value_call::OK, string_val::RESULT),
            (56, 64, 24)
        );
        assert_eq!(FRAME_BYTES, value_call::OK + 8);
    }
}
