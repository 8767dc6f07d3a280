//! A child's output kept in memory, bounded: the head and the tail of each stream, the rest
//! counted and drained so that a chatty child never blocks on a full pipe.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Output of the child kept in memory: the head and the tail when it was long.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captured {
    pub text: String,
    pub total_bytes: u64,
    pub truncated: bool,
}

#[derive(Clone, Copy)]
pub(super) enum Stream {
    Out,
    Err,
}

/// Read `pipe` to its end on a thread of its own, then send what was kept.
pub(super) fn spawn_reader<R: Read + Send + 'static>(
    pipe: Option<R>,
    limit: usize,
    which: Stream,
    tx: mpsc::Sender<(Stream, Captured)>,
) {
    let Some(mut pipe) = pipe else {
        let _ = tx.send((which, Captured::default()));
        return;
    };
    std::thread::spawn(move || {
        let mut capture = BoundedCapture::new(limit);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => capture.push(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = tx.send((which, capture.finish()));
    });
}

/// Wait (bounded) for both readers; a reader still blocked after `grace` is abandoned (a
/// process that escaped the reaping still holds its pipe). The flag says both finished.
pub(super) fn collect_output(
    rx: &mpsc::Receiver<(Stream, Captured)>,
    grace: Duration,
) -> (Captured, Captured, bool) {
    let deadline = Instant::now() + grace;
    let (mut out, mut err) = (None, None);
    while out.is_none() || err.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((Stream::Out, c)) => out = Some(c),
            Ok((Stream::Err, c)) => err = Some(c),
            Err(_) => break,
        }
    }
    let done = out.is_some() && err.is_some();
    (out.unwrap_or_default(), err.unwrap_or_default(), done)
}

/// Keeps the first and the last `limit / 2` bytes of a stream, counts the rest.
pub(super) struct BoundedCapture {
    half: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
}

impl BoundedCapture {
    pub(super) fn new(limit: usize) -> BoundedCapture {
        BoundedCapture {
            half: (limit / 2).max(1),
            head: Vec::new(),
            tail: VecDeque::new(),
            total: 0,
        }
    }

    pub(super) fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.half.saturating_sub(self.head.len());
        let take = room.min(bytes.len());
        self.head.extend_from_slice(&bytes[..take]);
        bytes = &bytes[take..];
        if bytes.len() >= self.half {
            bytes = &bytes[bytes.len() - self.half..];
            self.tail.clear();
        }
        self.tail.extend(bytes);
        let excess = self.tail.len().saturating_sub(self.half);
        self.tail.drain(..excess);
    }

    pub(super) fn finish(self) -> Captured {
        let kept = (self.head.len() + self.tail.len()) as u64;
        let truncated = self.total > kept;
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if truncated {
            text.push_str(&format!("\n[… {} bytes not kept …]\n", self.total - kept));
        }
        let tail: Vec<u8> = self.tail.into_iter().collect();
        text.push_str(&String::from_utf8_lossy(&tail));
        Captured {
            text,
            total_bytes: self.total,
            truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_the_first_and_the_last_half_of_the_limit() {
        let mut c = BoundedCapture::new(10);
        for chunk in [&b"0123"[..], b"456789", b"abcdefgh", b"XYZ"] {
            c.push(chunk);
        }
        let got = c.finish();
        assert_eq!(got.total_bytes, 21);
        assert!(got.truncated);
        // 5 bytes of head, 5 of tail, the 11 between counted: the tail is the stream's last
        // five bytes, whatever the chunking.
        assert_eq!(got.text, "01234\n[… 11 bytes not kept …]\nghXYZ");
    }

    #[test]
    fn capture_of_a_short_stream_is_the_stream() {
        let mut small = BoundedCapture::new(100);
        small.push(b"hello");
        let got = small.finish();
        assert_eq!(got.text, "hello");
        assert!(!got.truncated);
    }

    #[test]
    fn the_tail_does_not_depend_on_how_the_stream_was_cut() {
        let stream: Vec<u8> = (0..200u8).map(|i| b'a' + i % 26).collect();
        let whole = {
            let mut c = BoundedCapture::new(16);
            c.push(&stream);
            c.finish()
        };
        for size in [1, 3, 7, 8, 9, 64] {
            let mut c = BoundedCapture::new(16);
            for chunk in stream.chunks(size) {
                c.push(chunk);
            }
            assert_eq!(c.finish(), whole, "chunks of {size}");
        }
    }
}
