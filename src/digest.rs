//! Digests as typed values, and a streaming multi-hasher.
//!
//! This module does no I/O. Hex is written and read here by hand because sha2 0.11's output type has no
//! `LowerHex` (see CRATES.md §5).

use std::fmt;

use md5::Md5;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// A hash algorithm netattest computes or reads from a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Md5,
    Sha256,
    Sha512,
}

impl Algorithm {
    /// Every algorithm, strongest first: comparisons prefer the first one both sides know.
    pub const STRONGEST_FIRST: [Algorithm; 3] =
        [Algorithm::Sha512, Algorithm::Sha256, Algorithm::Md5];

    /// Length of the digest in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Md5 => 16,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// The name used in reports and files.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A digest: the algorithm and its bytes. Two digests of different algorithms never compare equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    algorithm: Algorithm,
    bytes: Vec<u8>,
}

/// A hex string that is not a digest of the expected algorithm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a {algorithm} digest: {reason}")]
pub struct DigestParseError {
    pub algorithm: Algorithm,
    pub reason: String,
}

impl Digest {
    /// Builds a digest from raw bytes; the length must fit the algorithm.
    pub fn from_bytes(algorithm: Algorithm, bytes: Vec<u8>) -> Result<Digest, DigestParseError> {
        if bytes.len() != algorithm.digest_len() {
            return Err(DigestParseError {
                algorithm,
                reason: format!("{} bytes, expected {}", bytes.len(), algorithm.digest_len()),
            });
        }
        Ok(Digest { algorithm, bytes })
    }

    /// Parses hex, ignoring ASCII white space inside it (devices wrap long hashes across lines) and case.
    pub fn from_hex(algorithm: Algorithm, text: &str) -> Result<Digest, DigestParseError> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bytes = hex_decode(&compact).ok_or_else(|| DigestParseError {
            algorithm,
            reason: "not hexadecimal".into(),
        })?;
        Digest::from_bytes(algorithm, bytes)
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex_encode(&self.bytes)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.to_hex())
    }
}

/// Lowercase hex of bytes.
pub fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    out
}

/// Decodes hex (either case); `None` when the text is not an even run of hex digits.
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// Hashes one stream with several algorithms in a single pass.
///
/// SHA-512 and SHA-256 are ring's: its assembly (AVX2, SHA-NI) hashed SHA-512 about 30 % faster than the
/// portable sha2 crate on this project's machines (2.35 against 3.34 s per GiB), and on a 2-core box the
/// pull of an image is bound by that hash.
pub struct MultiHasher {
    sha512: Option<ring::digest::Context>,
    sha256: Option<ring::digest::Context>,
    md5: Option<Md5>,
    bytes: u64,
    /// The chunk map, built in the same pass.
    chunks: ChunkMap,
}

/// The chunk size of an image's chunk map: 1 MiB.
pub const CHUNK_SIZE: u64 = 1 << 20;

/// Chunks waiting for the chunk hasher: with 1 MiB chunks, at most this many MiB of an image in memory.
const CHUNKS_IN_FLIGHT: usize = 4;

/// The SHA-256 of every [`CHUNK_SIZE`] chunk. Whole chunks go to a worker thread, so on a machine with a
/// second core the chunk map costs a copy of the bytes instead of a second hash in the pull's path
/// (`examples/hash_bench` measures both). Buffers go back and forth between the two, so memory stays at
/// [`CHUNKS_IN_FLIGHT`] chunks whatever the image's size. Without a worker (it could not be started, or the
/// stream ends inside its first chunk) chunks are hashed inline: the map is the same either way.
struct ChunkMap {
    /// The chunk being filled.
    current: Vec<u8>,
    worker: Option<ChunkWorker>,
    /// Digests hashed inline.
    inline: Vec<[u8; 32]>,
    /// Whether starting a worker failed once (then every chunk is hashed inline).
    no_worker: bool,
}

struct ChunkWorker {
    full: std::sync::mpsc::SyncSender<Vec<u8>>,
    empty: std::sync::mpsc::Receiver<Vec<u8>>,
    done: std::thread::JoinHandle<Vec<[u8; 32]>>,
}

impl ChunkMap {
    fn new() -> ChunkMap {
        ChunkMap {
            current: Vec::new(),
            worker: None,
            inline: Vec::new(),
            no_worker: false,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.current.capacity() == 0 {
                self.current = self.buffer();
            }
            let room = CHUNK_SIZE as usize - self.current.len();
            let (now, later) = data.split_at(room.min(data.len()));
            self.current.extend_from_slice(now);
            if self.current.len() == CHUNK_SIZE as usize {
                let full = std::mem::take(&mut self.current);
                self.hash(full);
            }
            data = later;
        }
    }

    /// An empty chunk buffer: one the worker has finished with, or a new one while fewer are in flight.
    fn buffer(&mut self) -> Vec<u8> {
        if let Some(w) = &self.worker
            && let Ok(mut b) = w.empty.try_recv()
        {
            b.clear();
            return b;
        }
        Vec::with_capacity(CHUNK_SIZE as usize)
    }

    fn hash(&mut self, chunk: Vec<u8>) {
        if self.worker.is_none() && !self.no_worker {
            self.worker = ChunkWorker::start();
            self.no_worker = self.worker.is_none();
        }
        let chunk = match &self.worker {
            // The channel holds CHUNKS_IN_FLIGHT chunks: a full one makes the reader wait for the hasher.
            Some(w) => match w.full.send(chunk) {
                Ok(()) => return,
                Err(std::sync::mpsc::SendError(chunk)) => chunk,
            },
            None => chunk,
        };
        // The worker is gone (it cannot be, short of a panic): hash here, after the ones it did.
        self.inline.push(to32(
            ring::digest::digest(&ring::digest::SHA256, &chunk).as_ref(),
        ));
    }

    fn finish(mut self) -> Vec<[u8; 32]> {
        let mut out = match self.worker.take() {
            Some(w) => {
                drop(w.full);
                w.done.join().unwrap_or_default()
            }
            None => Vec::new(),
        };
        out.append(&mut self.inline);
        if !self.current.is_empty() {
            out.push(to32(
                ring::digest::digest(&ring::digest::SHA256, &self.current).as_ref(),
            ));
        }
        out
    }
}

impl ChunkWorker {
    fn start() -> Option<ChunkWorker> {
        let (full, chunks) = std::sync::mpsc::sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT - 1);
        let (give_back, empty) = std::sync::mpsc::sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT);
        let done = std::thread::Builder::new()
            .name("chunk-map".into())
            .spawn(move || {
                let mut digests = Vec::new();
                for chunk in chunks {
                    digests.push(to32(
                        ring::digest::digest(&ring::digest::SHA256, &chunk).as_ref(),
                    ));
                    let _ = give_back.try_send(chunk);
                }
                digests
            })
            .ok()?;
        Some(ChunkWorker { full, empty, done })
    }
}

impl MultiHasher {
    /// A hasher for the given algorithms. SHA-512 is the one netattest always wants, so an empty set means it.
    pub fn new(algorithms: &[Algorithm]) -> MultiHasher {
        let want = |a| algorithms.is_empty() && a == Algorithm::Sha512 || algorithms.contains(&a);
        MultiHasher {
            sha512: want(Algorithm::Sha512)
                .then(|| ring::digest::Context::new(&ring::digest::SHA512)),
            sha256: want(Algorithm::Sha256)
                .then(|| ring::digest::Context::new(&ring::digest::SHA256)),
            md5: want(Algorithm::Md5).then(Md5::new),
            bytes: 0,
            chunks: ChunkMap::new(),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.update_whole(data);
        self.chunks.update(data);
    }

    fn update_whole(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        if let Some(h) = &mut self.sha512 {
            h.update(data);
        }
        if let Some(h) = &mut self.sha256 {
            h.update(data);
        }
        if let Some(h) = &mut self.md5 {
            h.update(data);
        }
    }

    /// Bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The digests, strongest first.
    pub fn finish(self) -> Vec<Digest> {
        self.finish_with_chunks().0
    }

    /// The digests, strongest first, and the SHA-256 of every [`CHUNK_SIZE`] chunk (the last one shorter).
    pub fn finish_with_chunks(mut self) -> (Vec<Digest>, Vec<[u8; 32]>) {
        let chunks = std::mem::replace(&mut self.chunks, ChunkMap::new()).finish();
        (self.digests(), chunks)
    }

    fn digests(self) -> Vec<Digest> {
        let mut out = Vec::new();
        if let Some(h) = self.sha512 {
            out.push(Digest {
                algorithm: Algorithm::Sha512,
                bytes: h.finish().as_ref().to_vec(),
            });
        }
        if let Some(h) = self.sha256 {
            out.push(Digest {
                algorithm: Algorithm::Sha256,
                bytes: h.finish().as_ref().to_vec(),
            });
        }
        if let Some(h) = self.md5 {
            out.push(Digest {
                algorithm: Algorithm::Md5,
                bytes: h.finalize().to_vec(),
            });
        }
        out
    }
}

fn to32(b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&b[..32]);
    out
}

/// The Merkle root of chunk digests: pairs hashed together level by level (an odd one carried up), the
/// root of none being the SHA-256 of nothing.
pub fn merkle_root(chunks: &[[u8; 32]]) -> [u8; 32] {
    if chunks.is_empty() {
        return to32(ring::digest::digest(&ring::digest::SHA256, b"").as_ref());
    }
    let mut level = chunks.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => {
                    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
                    ctx.update(a);
                    ctx.update(b);
                    to32(ctx.finish().as_ref())
                }
                [a] => *a,
                _ => unreachable!("chunks(2)"),
            })
            .collect();
    }
    level[0]
}

/// SHA-256 of a byte slice, as hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex_encode(&Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chunk_map_is_the_same_whatever_the_read_sizes_and_locates_a_patch() {
        let data: Vec<u8> = (0..(3 * CHUNK_SIZE as usize + 1000))
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let whole = |step: usize, bytes: &[u8]| {
            let mut h = MultiHasher::new(&[]);
            for c in bytes.chunks(step) {
                h.update(c);
            }
            h.finish_with_chunks()
        };
        let (d1, c1) = whole(4096, &data);
        let (d2, c2) = whole(777_777, &data);
        assert_eq!((d1.clone(), c1.clone()), (d2, c2));
        assert_eq!(c1.len(), 4);
        assert_eq!(
            d1[0].to_hex(),
            hex_encode(ring::digest::digest(&ring::digest::SHA512, &data).as_ref())
        );
        let mut patched = data.clone();
        patched[2 * CHUNK_SIZE as usize + 5] ^= 0x40;
        let (_, c3) = whole(65536, &patched);
        let (a, b) = (
            crate::evidence::ChunkMap::new(CHUNK_SIZE, &c1),
            crate::evidence::ChunkMap::new(CHUNK_SIZE, &c3),
        );
        assert_ne!(a.root, b.root);
        assert_eq!(a.differing(&b), Some((vec![(0x200000, 0x2fffff)], 1)));
        assert_eq!(
            a.describe_difference(&b, 8).unwrap(),
            "1 of 4 chunks of 1024 KiB differ: 0x00200000-0x002fffff"
        );
    }

    #[test]
    fn multi_hasher_matches_known_vectors() {
        let mut h = MultiHasher::new(&[Algorithm::Sha512, Algorithm::Sha256, Algorithm::Md5]);
        h.update(b"ab");
        h.update(b"c");
        let d = h.finish();
        assert_eq!(
            d[0].to_hex(),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(
            d[1].to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(d[2].to_hex(), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn hex_with_line_wraps_parses_and_wrong_lengths_do_not() {
        let d = Digest::from_hex(Algorithm::Md5, "9001509 83cd24fb0\r\n d6963f7d28e17F72").unwrap();
        assert_eq!(d.to_hex(), "900150983cd24fb0d6963f7d28e17f72");
        assert!(Digest::from_hex(Algorithm::Sha256, "900150983cd24fb0d6963f7d28e17f72").is_err());
        assert!(Digest::from_hex(Algorithm::Md5, "zz0150983cd24fb0d6963f7d28e17f72").is_err());
        assert!(Digest::from_hex(Algorithm::Md5, "abc").is_err());
    }

    #[test]
    fn empty_algorithm_set_means_sha512() {
        let d = MultiHasher::new(&[]).finish();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].algorithm(), Algorithm::Sha512);
    }
}
