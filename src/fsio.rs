//! Opening a file named by a user or found on disk without ever blocking in open(2): a FIFO
//! with no writer makes a plain open wait for one forever. Every reader of such files (ELF
//! files, rule files, `explain FILE`) opens through here, and picks what it does with what
//! is not a regular file. A leaf: it uses nothing else in the crate.

use std::fs::{File, Metadata};
use std::path::Path;

/// Open for reading with O_NONBLOCK, and `fstat` the result (one call per file, and the
/// metadata describes the file opened, not whatever the path names a moment later).
pub fn open_no_wait(path: &Path) -> std::io::Result<(File, Metadata)> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    Ok((file, meta))
}

/// [`open_no_wait`], refusing FIFOs and sockets; anything else (a device included) is
/// returned, for callers that read only a bounded amount.
pub fn open_no_fifo(path: &Path) -> std::io::Result<(File, Metadata)> {
    use std::os::unix::fs::FileTypeExt;
    let (file, meta) = open_no_wait(path)?;
    let kind = meta.file_type();
    if kind.is_fifo() || kind.is_socket() {
        return Err(std::io::Error::other("a FIFO or socket, not a file"));
    }
    Ok((file, meta))
}

/// [`open_no_wait`], then back to blocking reads: a FIFO that has a writer streams as usual,
/// one without reads as empty.
pub fn open_streaming(path: &Path) -> std::io::Result<File> {
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    let (file, _) = open_no_wait(path)?;
    // A descriptor whose flags cannot be read or set stays non-blocking: reads then end
    // early on a FIFO, which is no worse than the empty input of a FIFO without a writer.
    if let Ok(flags) = fcntl_getfl(&file) {
        let _ = fcntl_setfl(&file, flags - OFlags::NONBLOCK);
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fifo(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &path, rustix::fs::Mode::RUSR).unwrap();
        path
    }

    #[test]
    fn a_fifo_without_a_writer_opens_at_once_and_is_refused_where_asked() {
        let tmp = tempfile::tempdir().unwrap();
        let path = fifo(tmp.path());
        let err = open_no_fifo(&path).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
        let (_, meta) = open_no_wait(&path).unwrap();
        assert!(!meta.is_file());
    }

    #[test]
    fn a_streaming_open_of_a_fifo_without_a_writer_reads_as_empty() {
        use std::io::Read;
        let tmp = tempfile::tempdir().unwrap();
        let mut text = String::new();
        open_streaming(&fifo(tmp.path()))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "");
        let file = tmp.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let (_, meta) = open_no_fifo(&file).unwrap();
        assert!(meta.is_file());
    }
}
