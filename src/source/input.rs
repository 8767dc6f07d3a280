//! Bounded reading of pasted text (stdin or a file).
//!
//! Owns getting bytes in without trusting their size or encoding: the reader streams, keeps at
//! most `limit` bytes — the TAIL, because an error sits at the end of a log — and turns
//! invalid UTF-8 into U+FFFD. It does not clean or interpret the text (see `paste`).

use std::io::{self, Read};

/// The default bound for `explain`: 16 MiB of the input's tail.
pub const DEFAULT_LIMIT: usize = 16 * 1024 * 1024;

/// Reading stops after this many bytes even when the input has not ended: `/dev/zero` or
/// `yes` piped in never end, and no real log is this long.
pub const MAX_READ: u64 = 256 * 1024 * 1024;

/// What was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The kept text (lossy UTF-8). When `truncated`, it starts at a line boundary.
    pub text: String,
    /// True when the input was longer than the limit and its head was dropped.
    pub truncated: bool,
    /// How many bytes the reader delivered in all.
    pub bytes_read: u64,
    /// True when reading stopped at [`MAX_READ`] before the input ended.
    pub stopped_early: bool,
}

/// Read everything from `reader`, keeping only the last `limit` bytes.
///
/// Linear in the input: the buffer is compacted only when it reaches twice the limit, so
/// each byte is moved at most a constant number of times.
pub fn read_bounded(mut reader: impl Read, limit: usize) -> io::Result<Input> {
    let limit = limit.max(1);
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut bytes_read: u64 = 0;
    let mut dropped = false;
    let mut stopped_early = false;
    loop {
        if bytes_read >= MAX_READ {
            stopped_early = true;
            break;
        }
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        bytes_read += n as u64;
        buffer.extend_from_slice(&chunk[..n]);
        if buffer.len() >= limit.saturating_mul(2) {
            let excess = buffer.len() - limit;
            buffer.drain(..excess);
            dropped = true;
        }
    }
    if buffer.len() > limit {
        let excess = buffer.len() - limit;
        buffer.drain(..excess);
        dropped = true;
    }
    if dropped {
        drop_partial_first_line(&mut buffer);
    }
    Ok(Input {
        text: String::from_utf8_lossy(&buffer).into_owned(),
        truncated: dropped,
        bytes_read,
        stopped_early,
    })
}

/// After cutting the head off, the first line is a fragment (maybe half a UTF-8 character).
fn drop_partial_first_line(buffer: &mut Vec<u8>) {
    match buffer.iter().position(|&b| b == b'\n') {
        Some(at) => {
            buffer.drain(..=at);
        }
        // One enormous line: keep its tail, but not a broken character at the start.
        None => {
            let skip = buffer
                .iter()
                .take(4)
                .take_while(|&&b| (b & 0xC0) == 0x80)
                .count();
            buffer.drain(..skip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_input_is_kept_whole() {
        let input = read_bounded(&b"line one\nline two\n"[..], 1024).unwrap();
        assert_eq!(input.text, "line one\nline two\n");
        assert!(!input.truncated);
        assert_eq!(input.bytes_read, 18);
    }

    #[test]
    fn long_input_keeps_the_tail_from_a_line_boundary() {
        let mut text = String::new();
        for i in 0..10_000 {
            text.push_str(&format!("line {i}\n"));
        }
        let input = read_bounded(text.as_bytes(), 1000).unwrap();
        assert!(input.truncated);
        assert!(input.text.len() <= 1000);
        assert!(input.text.ends_with("line 9999\n"));
        assert!(input.text.starts_with("line "));
        assert_eq!(input.bytes_read, text.len() as u64);
    }

    #[test]
    fn invalid_utf8_and_nul_bytes_are_tolerated() {
        let bytes = b"ImportError: \xff\xfe bad\0 bytes\n";
        let input = read_bounded(&bytes[..], 1024).unwrap();
        assert!(input.text.contains('\u{FFFD}'));
        assert!(input.text.contains('\0'));
    }

    #[test]
    fn a_single_huge_line_keeps_its_tail() {
        let line = "é".repeat(10_000);
        let input = read_bounded(line.as_bytes(), 1001).unwrap();
        assert!(input.truncated);
        assert!(!input.text.starts_with('\u{FFFD}'));
    }
}
