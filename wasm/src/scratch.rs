//! A scratch area in WebAssembly memory that JavaScript writes keys and values into directly.
//!
//! The hot calls (`get`, `set`, `has`, …) hand the address of a region of this area to
//! `js/values.js`, which writes the key's (and value's) UTF-8 there; Rust then reads it in
//! place and passes slices to the store, which makes its own copy. That replaces
//! wasm-bindgen's generic string transfer (a type check, a length, a fresh allocation and a
//! copy in JavaScript, then another copy in Rust) with one copy.
//!
//! Regions are taken like a stack: a call reserves its region on top and releases it when it
//! returns. A call that runs the caller's code (a getter, the `now` clock) while it holds a
//! region may be re-entered; the inner call reserves above the outer one, or, if the area is
//! full, takes the general path, so nothing the outer call wrote is overwritten.

use core::cell::RefCell;

/// Bytes in the area. Larger keys and values take the general path.
const SIZE: usize = 64 * 1024;

/// The area and the start of its free part.
struct Area {
    buf: Box<[u8]>,
    top: usize,
}

thread_local! {
    static AREA: RefCell<Option<Area>> = const { RefCell::new(None) };
}

/// A reserved region: `len` bytes at `start` in the area, released on drop.
pub(crate) struct Region {
    start: usize,
    len: usize,
    addr: u32,
}

/// Reserves a region of at least `min` bytes: all of the free part of the area if `rest`,
/// else exactly `min`. `None` if there is not enough room.
pub(crate) fn reserve(min: usize, rest: bool) -> Option<Region> {
    AREA.with(|area| {
        // Busy only if JavaScript re-entered while a region was being read (see `read`): then
        // the caller takes the general path.
        let mut area = area.try_borrow_mut().ok()?;
        let area = area.get_or_insert_with(|| Area {
            buf: vec![0; SIZE].into_boxed_slice(),
            top: 0,
        });
        let free = SIZE - area.top;
        if free < min {
            return None;
        }
        let len = if rest { free } else { min };
        // The address as JavaScript sees it: an offset into the module's memory.
        let base = area.buf.as_mut_ptr() as usize;
        let addr = u32::try_from(base + area.top).ok()?;
        let region = Region {
            start: area.top,
            len,
            addr,
        };
        area.top += len;
        Some(region)
    })
}

impl Region {
    /// The region's address in WebAssembly memory.
    pub(crate) fn addr(&self) -> u32 {
        self.addr
    }

    /// The region's length.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Gives back all but the first `len` bytes (before running code that may re-enter).
    pub(crate) fn shrink(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
            self.set_top(self.start + len);
        }
    }

    /// Runs `read` on the region's bytes. The caller's JavaScript must not run inside `read`
    /// (should it anyway, through an error's setter say, a re-entering call finds the area
    /// busy and takes the general path).
    pub(crate) fn read<R>(&self, read: impl FnOnce(&[u8]) -> R) -> R {
        AREA.with_borrow(|area| {
            let bytes = area
                .as_ref()
                .and_then(|area| area.buf.get(self.start..self.start + self.len))
                .unwrap_or(&[]);
            read(bytes)
        })
    }
}

impl Region {
    /// Moves the start of the free part of the area.
    fn set_top(&self, top: usize) {
        AREA.with(|area| {
            if let Ok(mut area) = area.try_borrow_mut()
                && let Some(area) = area.as_mut()
            {
                area.top = top;
            }
        });
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        self.set_top(self.start);
    }
}

/// Bytes in the direct area (also what `js/values.js` is told, so the wrappers never write
/// past it).
pub(crate) const DIRECT_SIZE: usize = 64 * 1024;

thread_local! {
    static DIRECT: RefCell<Option<Box<[u8]>>> = const { RefCell::new(None) };
}

/// The address of the direct area: a second scratch area that the JavaScript wrappers of the
/// hot methods (see `installFastPaths` in `js/values.js`) fill *before* they call into the
/// module, when no code of the caller can run between filling and reading it. Its first 8
/// bytes return a location (address and length, little-endian `u32`s) to JavaScript.
pub(crate) fn direct_addr() -> u32 {
    DIRECT.with_borrow_mut(|area| {
        let area = area.get_or_insert_with(|| vec![0; DIRECT_SIZE].into_boxed_slice());
        u32::try_from(area.as_mut_ptr() as usize).unwrap_or(0)
    })
}

/// Runs `run` on the direct area split into its 8-byte header and the rest, or returns
/// `busy` if it is in use (only if JavaScript re-entered during `run`) or not allocated.
pub(crate) fn with_direct<R>(busy: R, run: impl FnOnce(&mut [u8], &[u8]) -> R) -> R {
    DIRECT.with(|area| {
        let Ok(mut area) = area.try_borrow_mut() else {
            return busy;
        };
        match area.as_mut() {
            Some(area) if area.len() > 8 => {
                let (header, rest) = area.split_at_mut(8);
                run(header, rest)
            }
            _ => busy,
        }
    })
}
