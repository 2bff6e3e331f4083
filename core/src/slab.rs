//! Entry storage: one vector of fixed-size slots, threaded into FIFO queues.
//!
//! Every entry lives in a [`Slot`] addressed by a `u32`. Slots are linked into circular
//! doubly-linked lists (the small and main queues of S3-FIFO) by index, so moving an entry
//! between queues never allocates; vacant slots form a free list through `next`.

/// The "no slot" index.
pub(crate) const NIL: u32 = u32::MAX;
/// The deadline of an entry that never expires.
pub(crate) const NO_DEADLINE: u64 = u64::MAX;
/// `heap_pos` of an entry that is not in the expiry heap.
pub(crate) const NOT_IN_HEAP: u32 = u32::MAX;
/// The highest access frequency tracked (two bits, as in the S3-FIFO paper).
pub(crate) const MAX_FREQ: u8 = 3;

/// Which list a slot is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Queue {
    /// Free for reuse; linked through `next` into the free list.
    Vacant,
    /// The small probationary FIFO.
    Small,
    /// The main FIFO (CLOCK-like reinsertion).
    Main,
}

/// One entry: 40 bytes of metadata plus one heap allocation holding key and value together.
#[derive(Debug)]
pub(crate) struct Slot {
    /// The key's UTF-8 bytes immediately followed by the value bytes.
    pub(crate) data: Box<[u8]>,
    /// Absolute deadline in ms, or [`NO_DEADLINE`].
    pub(crate) deadline: u64,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    /// Position in the expiry heap, or [`NOT_IN_HEAP`].
    pub(crate) heap_pos: u32,
    pub(crate) key_len: u16,
    pub(crate) freq: u8,
    pub(crate) queue: Queue,
}

impl Slot {
    fn vacant() -> Slot {
        Slot {
            data: Box::default(),
            deadline: NO_DEADLINE,
            prev: NIL,
            next: NIL,
            heap_pos: NOT_IN_HEAP,
            key_len: 0,
            freq: 0,
            queue: Queue::Vacant,
        }
    }

    pub(crate) fn key_bytes(&self) -> &[u8] {
        &self.data[..usize::from(self.key_len)]
    }

    pub(crate) fn key(&self) -> &str {
        // Invariant: `data` always starts with the bytes of a `&str` key, cut at its length.
        std::str::from_utf8(self.key_bytes()).expect("stored keys are valid UTF-8")
    }

    pub(crate) fn value(&self) -> &[u8] {
        &self.data[usize::from(self.key_len)..]
    }

    /// Key + value + overhead.
    pub(crate) fn weight(&self) -> u64 {
        crate::Limits::entry_weight(usize::from(self.key_len), self.value().len())
    }

    pub(crate) fn is_expired(&self, now: u64) -> bool {
        self.deadline <= now
    }
}

/// Builds the combined key + value buffer of a slot.
pub(crate) fn pack(key: &str, value: &[u8]) -> Box<[u8]> {
    let mut data = Vec::with_capacity(key.len() + value.len());
    data.extend_from_slice(key.as_bytes());
    data.extend_from_slice(value);
    data.into_boxed_slice()
}

/// A FIFO queue of slots: `head` is the newest, `tail` the oldest.
#[derive(Clone, Copy, Debug)]
pub(crate) struct List {
    pub(crate) head: u32,
    pub(crate) len: usize,
    pub(crate) weight: u64,
}

impl List {
    pub(crate) const EMPTY: List = List {
        head: NIL,
        len: 0,
        weight: 0,
    };
}

/// The slot vector, its free list and the two queues.
#[derive(Debug)]
pub(crate) struct Slab {
    pub(crate) slots: Vec<Slot>,
    free_head: u32,
    pub(crate) small: List,
    pub(crate) main: List,
}

impl Slab {
    pub(crate) fn new() -> Self {
        Self {
            slots: Vec::new(),
            free_head: NIL,
            small: List::EMPTY,
            main: List::EMPTY,
        }
    }

    pub(crate) fn slot(&self, index: u32) -> &Slot {
        &self.slots[index as usize]
    }

    pub(crate) fn slot_mut(&mut self, index: u32) -> &mut Slot {
        &mut self.slots[index as usize]
    }

    /// Stores a new entry in a vacant (or new) slot, not yet on any queue.
    ///
    /// The slot vector grows by a quarter at a time and never past `max_slots`, so a full
    /// store carries little unused capacity (a doubling vector would carry up to half).
    pub(crate) fn allocate(
        &mut self,
        data: Box<[u8]>,
        key_len: u16,
        deadline: u64,
        max_slots: usize,
    ) -> u32 {
        let slot = Slot {
            data,
            deadline,
            prev: NIL,
            next: NIL,
            heap_pos: NOT_IN_HEAP,
            key_len,
            freq: 0,
            queue: Queue::Vacant,
        };
        if self.free_head == NIL {
            if self.slots.len() == self.slots.capacity() {
                let room = max_slots.saturating_sub(self.slots.len()).max(1);
                self.slots
                    .reserve_exact((self.slots.len() / 4).max(16).min(room));
            }
            let index = u32::try_from(self.slots.len())
                .expect("Limits::validate keeps max_entries below u32::MAX");
            self.slots.push(slot);
            index
        } else {
            let index = self.free_head;
            self.free_head = self.slots[index as usize].next;
            self.slots[index as usize] = slot;
            index
        }
    }

    /// Returns an unlinked slot to the free list, dropping its data.
    pub(crate) fn release(&mut self, index: u32) {
        debug_assert_eq!(self.slot(index).queue, Queue::Vacant);
        let free_head = self.free_head;
        let slot = self.slot_mut(index);
        *slot = Slot::vacant();
        slot.next = free_head;
        self.free_head = index;
    }

    /// Forgets every slot.
    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.free_head = NIL;
        self.small = List::EMPTY;
        self.main = List::EMPTY;
    }

    fn list_mut(&mut self, queue: Queue) -> &mut List {
        match queue {
            Queue::Small => &mut self.small,
            Queue::Main => &mut self.main,
            Queue::Vacant => unreachable!("vacant slots are never on a queue"),
        }
    }

    /// The list a queue names.
    pub(crate) fn list(&self, queue: Queue) -> &List {
        match queue {
            Queue::Small => &self.small,
            Queue::Main => &self.main,
            Queue::Vacant => unreachable!("vacant slots are never on a queue"),
        }
    }

    /// Links an unlinked slot at the head (newest end) of `queue`.
    pub(crate) fn push_head(&mut self, queue: Queue, index: u32) {
        let weight = self.slot(index).weight();
        let head = self.list(queue).head;
        if head == NIL {
            let slot = self.slot_mut(index);
            slot.prev = index;
            slot.next = index;
        } else {
            let tail = self.slot(head).prev;
            self.slot_mut(index).prev = tail;
            self.slot_mut(index).next = head;
            self.slot_mut(tail).next = index;
            self.slot_mut(head).prev = index;
        }
        self.slot_mut(index).queue = queue;
        let list = self.list_mut(queue);
        list.head = index;
        list.len += 1;
        list.weight += weight;
    }

    /// The oldest slot of `queue`.
    pub(crate) fn tail(&self, queue: Queue) -> Option<u32> {
        let head = self.list(queue).head;
        (head != NIL).then(|| self.slot(head).prev)
    }

    /// Unlinks a slot from whatever queue it is on; it keeps its data.
    pub(crate) fn unlink(&mut self, index: u32) {
        let (queue, prev, next, weight) = {
            let slot = self.slot(index);
            (slot.queue, slot.prev, slot.next, slot.weight())
        };
        let list = self.list_mut(queue);
        list.len -= 1;
        list.weight -= weight;
        if next == index {
            list.head = NIL;
        } else {
            if list.head == index {
                list.head = next;
            }
            self.slot_mut(prev).next = next;
            self.slot_mut(next).prev = prev;
        }
        let slot = self.slot_mut(index);
        slot.prev = NIL;
        slot.next = NIL;
        slot.queue = Queue::Vacant;
    }

    /// Iterates the slots of `queue` from oldest to newest.
    pub(crate) fn iter_oldest_first(&self, queue: Queue) -> impl Iterator<Item = u32> + '_ {
        let list = self.list(queue);
        let mut cursor = self.tail(queue);
        let mut remaining = list.len;
        std::iter::from_fn(move || {
            if remaining == 0 {
                return None;
            }
            let index = cursor?;
            remaining -= 1;
            cursor = Some(self.slot(index).prev);
            Some(index)
        })
    }

    /// Slots on the free list.
    pub(crate) fn free_count(&self) -> usize {
        let mut count = 0;
        let mut cursor = self.free_head;
        while cursor != NIL && count <= self.slots.len() {
            count += 1;
            cursor = self.slot(cursor).next;
        }
        count
    }
}
