//! Seeded image generator.
//!
//! Rule: an image is never held in memory. Its bytes are a pure function of `(seed, offset)` plus a
//! short list of patches, so a 1 GiB firmware image costs a few bytes of state, and digests are
//! computed once per spec by streaming and then cached.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use md5::Md5;
use sha2::{Digest, Sha256, Sha512};

/// Chunk size used when streaming an image through a hasher or onto the wire.
pub const CHUNK: usize = 256 * 1024;

/// A generated file: `len` pseudo-random bytes keyed by `seed`, with byte patches overlaid.
///
/// Fields are private so that the digest cache can never disagree with the content: every way to
/// build a different image produces a fresh cache.
#[derive(Clone, Debug)]
pub struct ImageSpec {
    seed: u64,
    len: u64,
    patches: Vec<(u64, Vec<u8>)>,
    digests: Arc<DigestCache>,
}

#[derive(Debug, Default)]
struct DigestCache {
    sha512: OnceLock<String>,
    sha256: OnceLock<String>,
    md5: OnceLock<String>,
}

impl PartialEq for ImageSpec {
    fn eq(&self, other: &Self) -> bool {
        self.seed == other.seed && self.len == other.len && self.patches == other.patches
    }
}

impl Eq for ImageSpec {}

/// One 64-bit word of generator output; splitmix64's finaliser on a seed-keyed counter is cheap
/// (a few multiplies per 8 bytes) and statistically good enough that no two images collide.
fn word(seed: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x6A09_E667_F3BC_C908);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Lowercase hex encoding (sha2 0.11 outputs no longer implement `LowerHex`).
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing into a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

impl ImageSpec {
    /// An unpatched image of `len` bytes generated from `seed`.
    pub fn new(seed: u64, len: u64) -> Self {
        ImageSpec {
            seed,
            len,
            patches: Vec::new(),
            digests: Arc::default(),
        }
    }

    /// A copy of this image with `bytes` overlaid at `offset` (bytes past the end are dropped).
    pub fn with_patch(&self, offset: u64, bytes: Vec<u8>) -> Self {
        let mut patches = self.patches.clone();
        patches.push((offset, bytes));
        ImageSpec {
            seed: self.seed,
            len: self.len,
            patches,
            digests: Arc::default(),
        }
    }

    /// The generator seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for a zero-length image.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The patches, in the order they are applied (later ones win).
    pub fn patches(&self) -> &[(u64, Vec<u8>)] {
        &self.patches
    }

    /// Fills `buf` with the bytes at `offset`; returns how many were written (0 at or past the end).
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        if offset >= self.len {
            return 0;
        }
        let n = usize::try_from((self.len - offset).min(buf.len() as u64)).unwrap_or(buf.len());
        let out = &mut buf[..n];
        let mut pos = 0usize;
        let mut abs = offset;
        // Leading partial word, then whole words, then the tail: whole words go straight into the
        // buffer so the hot loop is one splitmix per 8 bytes.
        while pos < n {
            let w = word(self.seed, abs / 8).to_le_bytes();
            let skip = (abs % 8) as usize;
            let take = (8 - skip).min(n - pos);
            out[pos..pos + take].copy_from_slice(&w[skip..skip + take]);
            pos += take;
            abs += take as u64;
            if skip == 0 && take == 8 {
                break;
            }
        }
        let mut chunks = out[pos..].chunks_exact_mut(8);
        let mut idx = abs / 8;
        for c in &mut chunks {
            c.copy_from_slice(&word(self.seed, idx).to_le_bytes());
            idx += 1;
        }
        let rem = chunks.into_remainder();
        if !rem.is_empty() {
            let w = word(self.seed, idx).to_le_bytes();
            let k = rem.len();
            rem.copy_from_slice(&w[..k]);
        }
        let end = offset + n as u64;
        for (p_off, bytes) in &self.patches {
            let p_end = p_off.saturating_add(bytes.len() as u64);
            if p_end <= offset || *p_off >= end {
                continue;
            }
            let from = (*p_off).max(offset);
            let to = p_end.min(end);
            let dst = (from - offset) as usize;
            let src = (from - p_off) as usize;
            let cnt = (to - from) as usize;
            out[dst..dst + cnt].copy_from_slice(&bytes[src..src + cnt]);
        }
        n
    }

    fn stream_into(&self, mut update: impl FnMut(&[u8])) {
        let mut buf = vec![0u8; CHUNK];
        let mut off = 0u64;
        loop {
            let n = self.read_at(off, &mut buf);
            if n == 0 {
                break;
            }
            update(&buf[..n]);
            off += n as u64;
        }
    }

    /// SHA-512 of the content, hex; computed once per spec (blocking: call off the async runtime).
    pub fn sha512_hex(&self) -> String {
        self.digests
            .sha512
            .get_or_init(|| {
                let mut h = Sha512::new();
                self.stream_into(|b| h.update(b));
                hex(&h.finalize())
            })
            .clone()
    }

    /// SHA-256 of the content, hex; cached like [`ImageSpec::sha512_hex`].
    pub fn sha256_hex(&self) -> String {
        self.digests
            .sha256
            .get_or_init(|| {
                let mut h = Sha256::new();
                self.stream_into(|b| h.update(b));
                hex(&h.finalize())
            })
            .clone()
    }

    /// MD5 of the content, hex; cached like [`ImageSpec::sha512_hex`].
    pub fn md5_hex(&self) -> String {
        self.digests
            .md5
            .get_or_init(|| {
                let mut h = Md5::new();
                self.stream_into(|b| h.update(b));
                hex(&h.finalize())
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(spec: &ImageSpec) -> Vec<u8> {
        let mut v = vec![0u8; spec.len() as usize];
        assert_eq!(spec.read_at(0, &mut v), v.len());
        v
    }

    #[test]
    fn same_seed_gives_same_bytes_and_other_seed_differs() {
        let a = all(&ImageSpec::new(7, 4096));
        assert_eq!(a, all(&ImageSpec::new(7, 4096)));
        assert_ne!(a, all(&ImageSpec::new(8, 4096)));
    }

    #[test]
    fn unaligned_reads_agree_with_a_full_read() {
        let spec = ImageSpec::new(3, 1000);
        let full = all(&spec);
        for (off, len) in [(0, 1), (1, 7), (5, 16), (7, 9), (13, 300), (990, 50)] {
            let mut buf = vec![0u8; len];
            let n = spec.read_at(off, &mut buf);
            let end = (off as usize + len).min(1000);
            assert_eq!(&buf[..n], &full[off as usize..end], "off {off} len {len}");
        }
    }

    #[test]
    fn patch_overlays_bytes_across_a_chunk_boundary() {
        let base = ImageSpec::new(11, (CHUNK * 2) as u64);
        let at = CHUNK as u64 - 5;
        let patched = base.with_patch(at, vec![0xAA; 16]);
        let (b, p) = (all(&base), all(&patched));
        assert_eq!(&p[at as usize..at as usize + 16], &[0xAA; 16]);
        assert_eq!(&p[..at as usize], &b[..at as usize]);
        assert_eq!(&p[at as usize + 16..], &b[at as usize + 16..]);
        let mut small = [0u8; 4];
        assert_eq!(patched.read_at(at + 3, &mut small), 4);
        assert_eq!(small, [0xAA; 4]);
        assert_ne!(base.sha512_hex(), patched.sha512_hex());
    }

    #[test]
    fn read_past_end_returns_zero_and_short_reads_at_the_tail() {
        let spec = ImageSpec::new(1, 10);
        let mut buf = [0u8; 8];
        assert_eq!(spec.read_at(10, &mut buf), 0);
        assert_eq!(spec.read_at(99, &mut buf), 0);
        assert_eq!(spec.read_at(6, &mut buf), 4);
    }

    #[test]
    fn digests_match_hashing_the_bytes() {
        let spec = ImageSpec::new(5, 70_000).with_patch(69_990, vec![1; 40]);
        let bytes = all(&spec);
        assert_eq!(spec.sha512_hex(), hex(&Sha512::digest(&bytes)));
        assert_eq!(spec.sha256_hex(), hex(&Sha256::digest(&bytes)));
        assert_eq!(spec.md5_hex(), hex(&Md5::digest(&bytes)));
    }
}
