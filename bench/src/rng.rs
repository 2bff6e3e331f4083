//! Seeded randomness for the workloads: the same seed gives the same numbers on every machine
//! and every run, so traces and key orders are fixtures, not samples.

/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, fast generator with a full 2^64 period
/// that passes BigCrush, more than enough to draw benchmark keys.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform integer in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for the
    /// sizes used here). `n` must be non-zero.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0, "below(0) has no values");
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// A Zipf distribution over ranks `0..n`: rank `r` is drawn with probability proportional to
/// `1 / (r + 1)^s`. Sampling inverts a precomputed CDF by binary search, which is exact (no
/// rejection step) and fast enough for traces of a few million requests.
#[derive(Clone, Debug)]
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    /// The distribution over `n` ranks (`n >= 1`) with exponent `s` (`s >= 0`; 0 is uniform).
    pub fn new(n: usize, s: f64) -> Self {
        assert!(n > 0, "a Zipf distribution needs at least one rank");
        let mut total = 0.0;
        // s = 1 is common and `powf` is slow (it dominates setup under valgrind).
        let weight = |rank: usize| {
            if s == 1.0 {
                1.0 / (rank + 1) as f64
            } else {
                ((rank + 1) as f64).powf(-s)
            }
        };
        let mut cdf: Vec<f64> = (0..n)
            .map(|rank| {
                total += weight(rank);
                total
            })
            .collect();
        for p in &mut cdf {
            *p /= total;
        }
        Self { cdf }
    }

    /// The number of ranks.
    pub fn len(&self) -> usize {
        self.cdf.len()
    }

    /// Always false: a distribution has at least one rank.
    pub fn is_empty(&self) -> bool {
        self.cdf.is_empty()
    }

    /// One rank; 0 is the most popular.
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf
            .partition_point(|&p| p <= u)
            .min(self.cdf.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers() {
        let a: Vec<u64> = {
            let mut rng = Rng::new(42);
            (0..100).map(|_| rng.next_u64()).collect()
        };
        let mut rng = Rng::new(42);
        let b: Vec<u64> = (0..100).map(|_| rng.next_u64()).collect();
        assert_eq!(a, b);
        let mut other = Rng::new(43);
        assert_ne!(a[0], other.next_u64());
    }

    #[test]
    fn splitmix_reference_values() {
        // The first outputs for seed 0 from the reference implementation.
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(7);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            seen[rng.below(10) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    }

    #[test]
    fn zipf_prefers_low_ranks_more_as_s_grows() {
        let share_of_top_ten = |s: f64| {
            let zipf = Zipf::new(10_000, s);
            let mut rng = Rng::new(1);
            let top = (0..100_000).filter(|_| zipf.sample(&mut rng) < 10).count();
            top as f64 / 100_000.0
        };
        let (flat, mid, steep) = (
            share_of_top_ten(0.0),
            share_of_top_ten(0.8),
            share_of_top_ten(1.2),
        );
        assert!(flat < 0.002, "uniform: {flat}");
        assert!(
            mid > 10.0 * flat && steep > mid + 0.2,
            "{flat} {mid} {steep}"
        );
    }
}
