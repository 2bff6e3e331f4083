//! [`SharedBytes`]: an immutable byte buffer behind one thin, reference-counted pointer.
//!
//! This is the crate's only unsafe code. One allocation holds an 8-byte [`Header`] (a `u32`
//! reference count and a `u32` length) followed by the bytes, so a slot of the store keeps one
//! 8-byte pointer where a `Box<[u8]>` took 16: sharing costs no memory per entry. Cloning bumps
//! the count; the bytes are only ever written while the count is 1 (through `&mut`, by
//! [`SharedBytes::get_mut`]). The empty buffer is a static header that is never counted or
//! freed, so an empty (vacant) buffer allocates nothing.
//!
//! The reasoning is `std::sync::Arc`'s: increments are `Relaxed` (a new reference is made from
//! an existing one, which keeps the buffer alive), the decrement that may be the last is
//! `Release` and the freeing thread first synchronises with every earlier decrement by an
//! `Acquire` fence (or an `Acquire` load that sees the count at 1: then no other reference
//! exists, so none can be made concurrently).

use alloc::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use core::fmt;
use core::marker::PhantomData;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicU32, Ordering, fence};

/// The start of every buffer's allocation; the bytes follow at offset 8.
#[repr(C)]
struct Header {
    count: AtomicU32,
    len: u32,
}

/// The empty buffer: never counted, never freed, never written.
static EMPTY: Header = Header {
    count: AtomicU32::new(1),
    len: 0,
};

/// More references than this make `clone` panic (after undoing its increment), where `Arc`
/// aborts past `isize::MAX`: only clones leaked with `mem::forget` get there, and the count must
/// not wrap.
const MAX_COUNT: u32 = u32::MAX / 2;

/// An immutable byte buffer shared by reference counting, 8 bytes wide (see the module docs).
pub(crate) struct SharedBytes {
    ptr: NonNull<Header>,
    /// Owns a `Header` and bytes (for drop check and auto traits, which are implemented below).
    _owns: PhantomData<Header>,
}

// SAFETY: the bytes are never written while shared (only through `&mut self` with the count
// at 1), and the count is atomic, so references may move to and be used from any thread.
unsafe impl Send for SharedBytes {}
// SAFETY: as for `Send`: `&SharedBytes` only reads the bytes and the count.
unsafe impl Sync for SharedBytes {}

impl SharedBytes {
    /// The empty buffer (no allocation).
    #[inline]
    pub(crate) fn empty() -> Self {
        Self {
            ptr: NonNull::from(&EMPTY),
            _owns: PhantomData,
        }
    }

    /// A new buffer holding `parts` one after the other, referenced once.
    ///
    /// # Panics
    /// If the parts together are longer than `u32::MAX` bytes (callers store entries that
    /// [`Limits`](crate::Limits) caps at `u32::MAX` bytes of key and value).
    pub(crate) fn from_parts(parts: &[&[u8]]) -> Self {
        let total: usize = parts.iter().map(|part| part.len()).sum();
        if total == 0 {
            return Self::empty();
        }
        let len = u32::try_from(total).expect("a shared buffer is at most u32::MAX bytes");
        let layout = Self::layout(len);
        // SAFETY: `layout` has a non-zero size (the header alone is 8 bytes).
        let raw = unsafe { alloc(layout) };
        let Some(ptr) = NonNull::new(raw.cast::<Header>()) else {
            handle_alloc_error(layout)
        };
        // SAFETY: the allocation is `layout.size()` = 8 + `total` bytes, aligned for `Header`:
        // the header is written at its start and the parts fill the `total` bytes after it,
        // each copied from a slice that cannot overlap this fresh allocation.
        unsafe {
            ptr.as_ptr().write(Header {
                count: AtomicU32::new(1),
                len,
            });
            let mut at = raw.add(size_of::<Header>());
            for part in parts {
                ptr::copy_nonoverlapping(part.as_ptr(), at, part.len());
                at = at.add(part.len());
            }
        }
        Self {
            ptr,
            _owns: PhantomData,
        }
    }

    /// Writes `parts` one after the other over the bytes, if this is the only reference to a
    /// non-empty buffer of exactly their total length; returns whether it did.
    #[inline]
    pub(crate) fn refill(&mut self, parts: &[&[u8]]) -> bool {
        let total: usize = parts.iter().map(|part| part.len()).sum();
        let Some(bytes) = self.get_mut() else {
            return false;
        };
        if bytes.is_empty() || bytes.len() != total {
            return false;
        }
        let mut rest = bytes;
        for part in parts {
            let (head, tail) = rest.split_at_mut(part.len());
            head.copy_from_slice(part);
            rest = tail;
        }
        true
    }

    /// The bytes.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u8] {
        let header = self.header();
        // SAFETY: `len` bytes follow the header in the same allocation (none for `EMPTY`: a
        // zero-length slice just past a live static is valid), initialised by `from_parts`
        // and only changed through `&mut self`, which this `&self` excludes.
        unsafe {
            core::slice::from_raw_parts(
                self.ptr.as_ptr().cast::<u8>().add(size_of::<Header>()),
                header.len as usize,
            )
        }
    }

    /// The bytes for writing, if this is the only reference to them (the empty buffer always
    /// is: there is nothing to write).
    #[inline]
    pub(crate) fn get_mut(&mut self) -> Option<&mut [u8]> {
        let header = self.header();
        if header.len == 0 {
            return Some(&mut []);
        }
        // `Acquire`: the other references' uses (reads) happen before our writes.
        if header.count.load(Ordering::Acquire) != 1 {
            return None;
        }
        let len = header.len as usize;
        // SAFETY: as in `as_slice`; the count is 1 and we hold that reference through `&mut
        // self`, so no other reference exists or can be made while the slice lives.
        Some(unsafe {
            core::slice::from_raw_parts_mut(
                self.ptr.as_ptr().cast::<u8>().add(size_of::<Header>()),
                len,
            )
        })
    }

    #[inline]
    fn header(&self) -> &Header {
        // SAFETY: `ptr` points to a live header (`EMPTY`, or one this reference keeps alive).
        unsafe { self.ptr.as_ref() }
    }

    /// The layout of a buffer of `len` bytes: the header, then the bytes.
    fn layout(len: u32) -> Layout {
        Layout::new::<Header>()
            .extend(Layout::array::<u8>(len as usize).expect("u32::MAX bytes fit in isize"))
            .expect("8 + u32::MAX bytes fit in isize")
            .0
    }
}

impl Clone for SharedBytes {
    #[inline]
    fn clone(&self) -> Self {
        let header = self.header();
        if header.len != 0 {
            // `Relaxed`: see the module docs.
            let before = header.count.fetch_add(1, Ordering::Relaxed);
            if before > MAX_COUNT {
                // Undone before refusing: the count has `u32::MAX / 2` of headroom, far more
                // than threads that could race past this check, so it never wraps.
                header.count.fetch_sub(1, Ordering::Relaxed);
                panic!("a stored value was shared more than u32::MAX / 2 times at once");
            }
        }
        Self {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl Drop for SharedBytes {
    #[inline]
    fn drop(&mut self) {
        let header = self.header();
        if header.len == 0 {
            return;
        }
        // The store drops its own buffers far more often than readers share them: when the
        // count is 1 (seen with `Acquire`) ours is the only reference and no atomic
        // read-modify-write is needed.
        if header.count.load(Ordering::Acquire) != 1
            && header.count.fetch_sub(1, Ordering::Release) != 1
        {
            return;
        }
        fence(Ordering::Acquire);
        let layout = Self::layout(header.len);
        // SAFETY: the count reached zero (or was 1 and ours), so this was the last reference
        // to a buffer that `from_parts` allocated with this layout; nothing uses it afterwards.
        unsafe { dealloc(self.ptr.as_ptr().cast::<u8>(), layout) }
    }
}

impl Default for SharedBytes {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for SharedBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::SharedBytes;

    fn count(bytes: &SharedBytes) -> u32 {
        bytes.header().count.load(Ordering::Relaxed)
    }

    #[test]
    fn holds_its_parts_in_order() {
        let bytes = SharedBytes::from_parts(&[b"ab", b"", b"cde"]);
        assert_eq!(bytes.as_slice(), b"abcde");
        assert_eq!(size_of::<SharedBytes>(), 8);
        assert_eq!(size_of::<Option<SharedBytes>>(), 8);
    }

    #[test]
    fn empty_buffers_share_the_static_header_and_are_never_counted() {
        let empty = SharedBytes::from_parts(&[b"", b""]);
        assert!(empty.as_slice().is_empty());
        assert_eq!(empty.ptr, SharedBytes::default().ptr);
        let mut clone = empty.clone();
        assert_eq!(count(&empty), 1);
        assert_eq!(clone.get_mut(), Some(&mut [][..]));
        drop(clone);
        drop(empty);
        assert_eq!(count(&SharedBytes::empty()), 1);
    }

    #[test]
    fn clones_share_the_bytes_and_the_last_one_frees_them() {
        let bytes = SharedBytes::from_parts(&[b"value"]);
        let clone = bytes.clone();
        assert_eq!(clone.ptr, bytes.ptr);
        assert_eq!(count(&bytes), 2);
        drop(bytes);
        assert_eq!(count(&clone), 1);
        assert_eq!(clone.as_slice(), b"value");
        // Dropped here with the count at 1: freed without a decrement (miri checks for leaks).
    }

    #[test]
    fn refills_only_an_unshared_buffer_of_the_same_length() {
        let mut bytes = SharedBytes::from_parts(&[b"abc", b"de"]);
        assert!(!bytes.refill(&[b"xy"]), "another length");
        let clone = bytes.clone();
        assert!(!bytes.refill(&[b"vw", b"xyz"]), "shared");
        drop(clone);
        assert!(bytes.refill(&[b"vw", b"", b"xyz"]));
        assert_eq!(bytes.as_slice(), b"vwxyz");
        assert!(
            !SharedBytes::empty().refill(&[]),
            "the empty buffer is never written"
        );
    }

    #[test]
    fn writes_only_while_unshared() {
        let mut bytes = SharedBytes::from_parts(&[b"abc"]);
        bytes.get_mut().expect("unshared")[0] = b'x';
        let clone = bytes.clone();
        assert_eq!(bytes.get_mut(), None);
        assert_eq!(clone.as_slice(), b"xbc");
        drop(clone);
        bytes.get_mut().expect("unshared again")[2] = b'z';
        assert_eq!(bytes.as_slice(), b"xbz");
    }

    // Clones made and dropped on several threads: `core/tests/shared_values.rs` (the core's
    // own code runs no threads).
}
