//! The module's global allocator: [talc] over a fixed arena in static memory, so the linear
//! memory never grows.
//!
//! The arena is a zeroed static array of [`ARENA_BYTES`](crate::ARENA_BYTES): it lives in the
//! module's `.bss`, so the memory the module declares (`initial` pages) already holds it and the
//! `.wasm` file does not. kpt's wasmtime runtime captures the memory once before `run` and breaks
//! when it grows; node copes only when told (`go_js::sync_memory_view`). Inputs above
//! [`MAX_INPUT_BYTES`](crate::MAX_INPUT_BYTES) are refused with an error result before anything
//! is allocated for them, which keeps every accepted input well inside the arena (the node tests
//! measure the peak on a 10 MB input).
//!
//! Should the arena still run out, the allocator falls back to `memory.grow` (as Rust's default
//! allocator does): that works under node, whose view the module then refreshes. If even that
//! fails, the module reports a clear error through node's `process` and exits 1 instead of
//! trapping.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::{null_mut, NonNull};
use talc::{OomHandler, Span, Talc};

/// 64 KiB.
const PAGE_BYTES: usize = 1 << 16;

struct ArenaStorage(UnsafeCell<[u8; crate::ARENA_BYTES]>);
// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread; only the allocator
// touches the storage, through talc.
unsafe impl Sync for ArenaStorage {}

static ARENA: ArenaStorage = ArenaStorage(UnsafeCell::new([0; crate::ARENA_BYTES]));

/// Claims the arena on the first allocation, then grows the memory (the fallback).
struct ArenaThenGrow {
    claimed: bool,
    /// The heap made of grown pages, extended while growth stays contiguous.
    grown: Span,
}

impl OomHandler for ArenaThenGrow {
    fn handle_oom(talc: &mut Talc<Self>, layout: Layout) -> Result<(), ()> {
        if !talc.oom_handler.claimed {
            talc.oom_handler.claimed = true;
            // SAFETY: the arena is static, used by nothing else, and claimed once.
            unsafe {
                talc.claim(Span::from_base_size(
                    ARENA.0.get().cast(),
                    crate::ARENA_BYTES,
                ))?
            };
            return Ok(());
        }
        let needed = layout.size().max(layout.align()) + 2 * PAGE_BYTES;
        let pages = needed.div_ceil(PAGE_BYTES);
        let previous = core::arch::wasm32::memory_grow::<0>(pages);
        if previous == usize::MAX {
            return Err(());
        }
        STATS.grown_pages.set(STATS.grown_pages.get() + pages);
        let base = (previous * PAGE_BYTES) as *mut u8;
        let acme = base.wrapping_add(pages * PAGE_BYTES);
        let grown = talc.oom_handler.grown;
        // SAFETY: the new pages belong to no one; extend only a heap that ends where they begin.
        talc.oom_handler.grown = unsafe {
            match grown.get_base_acme() {
                Some((old_base, old_acme)) if old_acme == base => {
                    talc.extend(grown, Span::new(old_base, acme))
                }
                _ => talc.claim(Span::new(base, acme))?,
            }
        };
        Ok(())
    }
}

/// Allocation statistics (exported for the tests: `ms_arena_peak_bytes`, `ms_grown_pages`).
struct Stats {
    in_use: core::cell::Cell<usize>,
    peak: core::cell::Cell<usize>,
    grown_pages: core::cell::Cell<usize>,
}

// SAFETY: one thread (see above).
unsafe impl Sync for Stats {}

static STATS: Stats = Stats {
    in_use: core::cell::Cell::new(0),
    peak: core::cell::Cell::new(0),
    grown_pages: core::cell::Cell::new(0),
};

fn allocated(bytes: usize) {
    let now = STATS.in_use.get() + bytes;
    STATS.in_use.set(now);
    if now > STATS.peak.get() {
        STATS.peak.set(now);
    }
}

fn freed(bytes: usize) {
    STATS.in_use.set(STATS.in_use.get() - bytes);
}

/// The largest number of bytes allocated at once since the module started.
#[no_mangle]
pub extern "C" fn ms_arena_peak_bytes() -> u32 {
    STATS.peak.get() as u32
}

/// Pages added by the fallback `memory.grow` (0 while the arena lasts).
#[no_mangle]
pub extern "C" fn ms_grown_pages() -> u32 {
    STATS.grown_pages.get() as u32
}

struct Allocator(UnsafeCell<Talc<ArenaThenGrow>>);
// SAFETY: one thread (see above).
unsafe impl Sync for Allocator {}

#[global_allocator]
static ALLOCATOR: Allocator = Allocator(UnsafeCell::new(Talc::new(ArenaThenGrow {
    claimed: false,
    grown: Span::empty(),
})));

impl Allocator {
    /// SAFETY: the caller holds no other reference to the allocator (it is not re-entered: the
    /// out-of-memory report below allocates nothing).
    #[allow(clippy::mut_from_ref)]
    unsafe fn talc(&self) -> &mut Talc<ArenaThenGrow> {
        &mut *self.0.get()
    }
}

unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.talc().malloc(layout) {
            Ok(pointer) => {
                allocated(layout.size());
                pointer.as_ptr()
            }
            Err(()) => out_of_memory(layout.size()),
        }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        freed(layout.size());
        self.talc().free(NonNull::new_unchecked(pointer), layout);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let talc = self.talc();
        let pointer = NonNull::new_unchecked(pointer);
        if new_size > layout.size() {
            match talc.grow(pointer, layout, new_size) {
                Ok(moved) => {
                    allocated(new_size - layout.size());
                    moved.as_ptr()
                }
                Err(()) => out_of_memory(new_size),
            }
        } else {
            talc.shrink(pointer, layout, new_size);
            freed(layout.size() - new_size);
            pointer.as_ptr()
        }
    }
}

/// Arena and growth both failed: report through node and exit 1 (allocates nothing). Returns
/// null (Rust then aborts) only on a host without `process`.
fn out_of_memory(bytes: usize) -> *mut u8 {
    crate::function::fatal_out_of_memory(bytes);
    null_mut()
}
