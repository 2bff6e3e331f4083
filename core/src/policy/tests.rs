//! Unit tests of the policy alone, through a minimal host.

use super::*;
use crate::Ttl;

/// A host that keeps weights in a vector and remembers what the policy made it forget.
#[derive(Default)]
struct TestHost {
    weights: Vec<Option<u64>>,
    forgotten: Vec<(u32, Removal)>,
}

impl TestHost {
    fn file(&mut self, slot: Slot, weight: u64) {
        if self.weights.len() <= slot.index() {
            self.weights.resize(slot.index() + 1, None);
        }
        self.weights[slot.index()] = Some(weight);
    }
}

impl Host for TestHost {
    fn weight(&self, slot: Slot) -> u64 {
        self.weights[slot.index()].expect("the policy only asks about held slots")
    }

    fn fingerprint(&self, slot: Slot) -> u64 {
        u64::from(slot.as_u32()) * 0x9e37_79b9
    }

    fn forget(&mut self, slot: Slot, cause: Removal) {
        self.weights[slot.index()] = None;
        self.forgotten.push((slot.as_u32(), cause));
    }
}

fn limits(entries: usize) -> Limits {
    Limits::builder()
        .max_entries(entries)
        .build()
        .expect("valid limits")
}

fn insert(
    policy: &mut Policy,
    host: &mut TestHost,
    weight: u64,
    deadline: Option<u64>,
    now: Now,
) -> Slot {
    let weight = policy.limits().check_weight(weight).expect("fits");
    let slot = policy.insert(
        host,
        0xfeed,
        weight,
        deadline.map(Timestamp::from_millis),
        0,
        now,
    );
    host.file(slot, weight.get());
    slot
}

#[test]
fn deadlines_far_beyond_the_epoch_are_exact_and_move_into_codes_as_time_passes() {
    let mut policy = Policy::new(limits(100));
    let mut host = TestHost::default();
    let start = 1_700_000_000_000;
    let now = policy.begin(&mut host, Timestamp::from_millis(start));
    assert_eq!(policy.epoch(), Timestamp::from_millis(start));
    let day = 86_400_000;
    let near = insert(&mut policy, &mut host, 100, Some(start + day), now);
    let far = insert(&mut policy, &mut host, 100, Some(start + 60 * day), now);
    let never = insert(&mut policy, &mut host, 100, None, now);
    assert_eq!(policy.deadline_codes()[near.index()], day as u32);
    assert_eq!(policy.deadline_codes()[far.index()], DEADLINE_FAR);
    assert_eq!(policy.deadline_codes()[never.index()], DEADLINE_NEVER);
    assert_eq!(
        policy.deadline(far),
        Some(Timestamp::from_millis(start + 60 * day))
    );
    policy.validate(&host).expect("valid");

    // 30 days later the epoch has moved: the near deadline is past (code 0), the far one
    // became a code, and both deadlines read back exactly.
    let later = policy.begin(&mut host, Timestamp::from_millis(start + 30 * day));
    assert_eq!(policy.epoch(), Timestamp::from_millis(start + 30 * day));
    assert!(!policy.is_held(near), "reclaimed as expired by begin");
    assert_eq!(policy.deadline_codes()[far.index()], (30 * day) as u32);
    assert_eq!(
        policy.deadline(far),
        Some(Timestamp::from_millis(start + 60 * day))
    );
    assert!(policy.is_live(far, later));
    policy.validate(&host).expect("valid");

    let end = policy.begin(&mut host, Timestamp::from_millis(start + 60 * day));
    assert!(!policy.is_held(far));
    assert!(policy.is_live(never, end));
    assert_eq!(
        host.forgotten,
        [
            (near.as_u32(), Removal::Expired),
            (far.as_u32(), Removal::Expired)
        ]
    );
    policy.validate(&host).expect("valid");
}

#[test]
fn far_deadlines_expire_even_without_a_rebase_in_between() {
    let mut policy = Policy::new(limits(10));
    let mut host = TestHost::default();
    let now = policy.begin(&mut host, Timestamp::ZERO);
    let ttl = Ttl::from_millis(EPOCH_SPAN_MS * 3).expect("valid ttl");
    let slot = insert(
        &mut policy,
        &mut host,
        60,
        Some(now.after(ttl).as_millis()),
        now,
    );
    assert_eq!(policy.deadline_codes()[slot.index()], DEADLINE_FAR);
    assert_eq!(policy.next_expiry(), Some(now.after(ttl)));
    // `observe` may run ahead of the epoch without moving it; liveness is still exact.
    let seen = policy.observe(now.after(ttl));
    assert!(!policy.is_live(slot, seen));
    assert_eq!(policy.purge_expired(&mut host, now.after(ttl)), 1);
    policy.validate(&host).expect("valid");
}

/// Far deadlines changed and removed many times stay exact and in order, against a plain
/// model.
#[test]
fn far_deadlines_survive_churn_against_a_model() {
    let mut policy = Policy::new(limits(100));
    let mut host = TestHost::default();
    let now = policy.begin(&mut host, Timestamp::ZERO);
    let far = EPOCH_SPAN_MS * 4;
    let slots: Vec<Slot> = (0..40u64)
        .map(|i| {
            insert(
                &mut policy,
                &mut host,
                60,
                Some(far + (i * 7919) % 1000),
                now,
            )
        })
        .collect();
    let mut model: Vec<Option<u64>> = (0..40u64).map(|i| Some(far + (i * 7919) % 1000)).collect();
    let mut state = 12_345u64;
    for step in 0..2_000 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let i = (state >> 33) as usize % slots.len();
        let deadline = match step % 3 {
            0 => None,
            _ => Some(far + (state >> 40) % 1000),
        };
        policy.set_deadline(slots[i], deadline.map(Timestamp::from_millis));
        model[i] = deadline;
        let earliest = model.iter().flatten().min().copied();
        assert_eq!(policy.next_expiry(), earliest.map(Timestamp::from_millis));
        assert_eq!(
            policy.deadline(slots[i]),
            deadline.map(Timestamp::from_millis)
        );
        policy.validate(&host).expect("valid");
    }
    // Exactly the slots with a deadline expire.
    let expected: Vec<u32> = (slots.iter().zip(&model))
        .filter(|(_, at)| at.is_some())
        .map(|(slot, _)| slot.as_u32())
        .collect();
    let end = Timestamp::from_millis(far + 1000);
    assert_eq!(policy.purge_expired(&mut host, end), expected.len());
    let mut forgotten: Vec<u32> = host.forgotten.iter().map(|&(slot, _)| slot).collect();
    forgotten.sort_unstable();
    assert_eq!(forgotten, expected);
    policy.validate(&host).expect("valid");
}

#[test]
fn reweigh_in_place_when_shrinking_and_to_the_head_when_growing() {
    let mut policy = Policy::new(
        Limits::builder()
            .max_entries(3)
            .max_bytes(1_000)
            .build()
            .expect("valid"),
    );
    let mut host = TestHost::default();
    let now = policy.begin(&mut host, Timestamp::ZERO);
    let a = insert(&mut policy, &mut host, 300, None, now);
    let b = insert(&mut policy, &mut host, 300, None, now);
    let c = insert(&mut policy, &mut host, 300, None, now);
    assert_eq!(policy.oldest_first().collect::<Vec<_>>(), [a, b, c]);

    let smaller = policy.limits().check_weight(100).expect("fits");
    policy.reweigh(&mut host, a, smaller, now);
    host.file(a, 100);
    assert_eq!(policy.oldest_first().collect::<Vec<_>>(), [a, b, c]);
    assert_eq!(policy.weight(), 700);

    // Growing `b` to 700 needs room: the oldest other entry goes, `b` itself never does.
    let bigger = policy.limits().check_weight(700).expect("fits");
    policy.reweigh(&mut host, b, bigger, now);
    host.file(b, 700);
    assert_eq!(host.forgotten, [(a.as_u32(), Removal::Evicted)]);
    assert_eq!(policy.oldest_first().collect::<Vec<_>>(), [c, b]);
    assert_eq!(policy.weight(), 1_000);
    policy.validate(&host).expect("valid");
}

#[test]
fn host_counted_hits_and_raised_access_counts_take_effect() {
    let mut policy = Policy::new(limits(20));
    let mut host = TestHost::default();
    let now = policy.begin(&mut host, Timestamp::ZERO);
    let slots: Vec<Slot> = (0..20)
        .map(|_| insert(&mut policy, &mut host, 60, None, now))
        .collect();
    // The host answers a hit on the first slot itself: it raises the count past the maximum
    // (which reads as the maximum) and reports the lookup later.
    policy.access_counts_mut()[slots[0].index()] = 200;
    policy.add_lookups(1, 2);
    assert_eq!((policy.stats().hits, policy.stats().misses), (1, 2));
    // A new entry evicts: the first slot was used, so it is promoted, and the second goes.
    insert(&mut policy, &mut host, 60, None, now);
    assert_eq!(host.forgotten, [(slots[1].as_u32(), Removal::Evicted)]);
    policy.validate(&host).expect("valid");
}

#[test]
fn tags_survive_moves_between_queues() {
    let mut policy = Policy::new(limits(20));
    let mut host = TestHost::default();
    let now = policy.begin(&mut host, Timestamp::ZERO);
    let weight = policy.limits().check_weight(60).expect("fits");
    let tagged = policy.insert(&mut host, 1, weight, None, MAX_TAG, now);
    host.file(tagged, 60);
    policy.record_hit(tagged);
    for _ in 0..40 {
        insert(&mut policy, &mut host, 60, None, now);
    }
    assert!(
        policy.is_held(tagged),
        "a used entry is promoted, not evicted"
    );
    assert_eq!(policy.tag(tagged), MAX_TAG);
    policy.set_tag(tagged, 1);
    assert_eq!(policy.tag(tagged), 1);
    policy.validate(&host).expect("valid");
}
