//! What the chunk map costs the pull's hashing: SHA-512 alone (ring, what the pull computed before the chunk
//! map) against netattest's `MultiHasher` (SHA-512 plus the SHA-256 of every 1 MiB chunk), on the same bytes
//! in the pull's 256 KiB reads, rounds alternating which goes first. Prints seconds per GiB and the ratio.
//!
//! ```text
//! cargo run --release --example hash_bench -- [GIB] [ROUNDS]
//! ```

use std::time::Instant;

use netattest::digest::MultiHasher;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let gib: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1);
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    // 64 MiB of pseudo-random bytes, fed over and over: the hashers do not care that it repeats.
    let mut buf = vec![0u8; 64 << 20];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in buf.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let passes = gib * 16;
    let read = 256 << 10;
    let plain = || {
        let t = Instant::now();
        let mut h = ring::digest::Context::new(&ring::digest::SHA512);
        for _ in 0..passes {
            for part in buf.chunks(read) {
                h.update(part);
            }
        }
        std::hint::black_box(h.finish());
        t.elapsed().as_secs_f64()
    };
    let mapped = || {
        let t = Instant::now();
        let mut h = MultiHasher::new(&[]);
        for _ in 0..passes {
            for part in buf.chunks(read) {
                h.update(part);
            }
        }
        std::hint::black_box(h.finish_with_chunks());
        t.elapsed().as_secs_f64()
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for r in 0..rounds {
        if r % 2 == 0 {
            a.push(plain());
            b.push(mapped());
        } else {
            b.push(mapped());
            a.push(plain());
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ma, mb) = (median(&mut a) / gib as f64, median(&mut b) / gib as f64);
    println!("sha512 alone:               {ma:.3} s/GiB");
    println!("sha512 + 1 MiB chunk map:   {mb:.3} s/GiB");
    println!(
        "chunk map cost:             {:.3} s/GiB ({:+.1} % of the hash)",
        mb - ma,
        (mb / ma - 1.0) * 100.0
    );
}
