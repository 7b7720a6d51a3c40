//! A request body read once, within its size limit and deadline, into memory up to
//! [`MEMORY_LIMIT`] and into an unlinked temporary file past it; then read back as often as
//! needed (to price it, then to send it) without ever being whole in memory.
//!
//! Only admitted requests are read (after their token's concurrency slot is taken), so the
//! memory that uploads can hold is `MEMORY_LIMIT` per request in progress, whatever their
//! size; the disk they hold is bounded by `--max-body-mb` per request in progress.

use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use bytes::BytesMut;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt as _;

/// Bytes of a body kept in memory; the rest goes to a temporary file.
pub const MEMORY_LIMIT: usize = 1024 * 1024;
/// Bytes per read when a spooled file is read back.
const READ_CHUNK: usize = 256 * 1024;

/// Why a body could not be read.
#[derive(Debug)]
pub enum SpoolError {
    /// Longer than the limit (bytes).
    TooLarge(usize),
    /// Not complete within the deadline.
    Slow(Duration),
    /// The client went away (or sent a broken body).
    Broken,
    /// The temporary file could not be written.
    Io(String),
}

/// A body read in full.
#[derive(Debug, Clone)]
pub struct Spool {
    head: Bytes,
    /// The rest, in a file that has no name any more (it goes away with the last handle).
    file: Option<Arc<std::fs::File>>,
    len: u64,
}

impl Spool {
    /// A spool of bytes already in memory.
    pub fn from_bytes(bytes: Bytes) -> Self {
        let len = bytes.len() as u64;
        Self {
            head: bytes,
            file: None,
            len,
        }
    }

    /// Reads `body` (at most `limit` bytes, within `deadline`), spilling past [`MEMORY_LIMIT`]
    /// into a temporary file in `dir`.
    pub async fn read(
        body: Body,
        limit: usize,
        deadline: Duration,
        dir: &Path,
    ) -> Result<Self, SpoolError> {
        match tokio::time::timeout(deadline, Self::read_all(body, limit, dir)).await {
            Ok(result) => result,
            Err(_) => Err(SpoolError::Slow(deadline)),
        }
    }

    async fn read_all(body: Body, limit: usize, dir: &Path) -> Result<Self, SpoolError> {
        let mut stream = body.into_data_stream();
        let mut head = BytesMut::new();
        let mut file: Option<tokio::fs::File> = None;
        let mut len = 0usize;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| SpoolError::Broken)?;
            len += chunk.len();
            if len > limit {
                return Err(SpoolError::TooLarge(limit));
            }
            match &mut file {
                Some(f) => write(f, &chunk).await?,
                None if head.len() + chunk.len() <= MEMORY_LIMIT => head.extend_from_slice(&chunk),
                None => {
                    let mut f = temp_file(dir).await?;
                    let keep = MEMORY_LIMIT - head.len();
                    head.extend_from_slice(&chunk[..keep]);
                    write(&mut f, &chunk[keep..]).await?;
                    file = Some(f);
                }
            }
        }
        let file = match file {
            Some(mut f) => {
                f.flush().await.map_err(|e| SpoolError::Io(e.to_string()))?;
                Some(Arc::new(f.into_std().await))
            }
            None => None,
        };
        Ok(Self {
            head: head.freeze(),
            file,
            len: len as u64,
        })
    }

    /// The body's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The body from its first byte, in chunks.
    pub fn stream(&self) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        let head = futures_util::stream::once(futures_util::future::ready(Ok(self.head.clone())))
            .filter(|chunk| {
                futures_util::future::ready(chunk.as_ref().is_ok_and(|c| !c.is_empty()))
            });
        let file = self.file.clone();
        let start = self.head.len() as u64;
        let end = self.len;
        let rest = futures_util::stream::unfold(start, move |offset| {
            let file = file.clone();
            async move {
                let file = file.filter(|_| offset < end)?;
                let want = (end - offset).min(READ_CHUNK as u64) as usize;
                // The file holds the bytes after the head.
                let at = offset - start;
                let read = tokio::task::spawn_blocking(move || read_at(&file, at, want)).await;
                match read {
                    Ok(Ok(bytes)) if !bytes.is_empty() => {
                        let next = offset + bytes.len() as u64;
                        Some((Ok(bytes), next))
                    }
                    Ok(Ok(_)) => Some((Err(io::ErrorKind::UnexpectedEof.into()), end)),
                    Ok(Err(e)) => Some((Err(e), end)),
                    Err(e) => Some((Err(io::Error::other(e)), end)),
                }
            }
        });
        head.chain(rest)
    }

    /// The body as a blocking reader (for parsers that want `std::io::Read`; use it on a
    /// blocking thread).
    pub fn reader(&self) -> SpoolReader {
        SpoolReader {
            spool: self.clone(),
            offset: 0,
        }
    }
}

/// A blocking reader over a [`Spool`].
#[derive(Debug)]
pub struct SpoolReader {
    spool: Spool,
    offset: u64,
}

impl io::Read for SpoolReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let head = self.spool.head.len() as u64;
        if self.offset < head {
            let from = self.offset as usize;
            let n = buf.len().min(head as usize - from);
            buf[..n].copy_from_slice(&self.spool.head[from..from + n]);
            self.offset += n as u64;
            return Ok(n);
        }
        let (Some(file), true) = (&self.spool.file, self.offset < self.spool.len) else {
            return Ok(0);
        };
        let want = buf.len().min((self.spool.len - self.offset) as usize);
        let n = read_at_into(file, self.offset - head, &mut buf[..want])?;
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at_into(file: &std::fs::File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_at_into(file: &std::fs::File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

fn read_at(file: &std::fs::File, offset: u64, want: usize) -> io::Result<Bytes> {
    let mut buf = vec![0u8; want];
    let mut filled = 0;
    while filled < want {
        let n = read_at_into(file, offset + filled as u64, &mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    buf.truncate(filled);
    Ok(Bytes::from(buf))
}

async fn write(file: &mut tokio::fs::File, bytes: &[u8]) -> Result<(), SpoolError> {
    file.write_all(bytes)
        .await
        .map_err(|e| SpoolError::Io(e.to_string()))
}

/// A new file in `dir` readable by this user only, unlinked at once (on Unix), so nothing is
/// left behind whatever happens to the process.
async fn temp_file(dir: &Path) -> Result<tokio::fs::File, SpoolError> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let id = crate::tokens::generate_id()?;
        let path: PathBuf = dir.join(format!(".continuity-body-{}-{id}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&path)
            .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))?;
        #[cfg(unix)]
        let _ = std::fs::remove_file(&path);
        Ok::<_, String>(file)
    })
    .await
    .map_err(|e| SpoolError::Io(e.to_string()))?
    .map(tokio::fs::File::from_std)
    .map_err(SpoolError::Io)
}

/// Reads a whole spool into memory (tests and small bodies only).
pub fn to_vec(spool: &Spool) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(spool.len() as usize);
    spool.reader().read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(chunks: Vec<Vec<u8>>) -> Body {
        Body::from_stream(futures_util::stream::iter(
            chunks.into_iter().map(Ok::<_, io::Error>),
        ))
    }

    #[tokio::test]
    async fn small_bodies_stay_in_memory_large_ones_spill() {
        let dir = std::env::temp_dir();
        let small = Spool::read(
            body_of(vec![b"abc".to_vec()]),
            100,
            Duration::from_secs(5),
            &dir,
        )
        .await
        .expect("read");
        assert!(small.file.is_none());
        assert_eq!(to_vec(&small).expect("read back"), b"abc");

        // 3.5 MB in uneven chunks: 1 MB in memory, the rest in an unlinked file.
        let data: Vec<u8> = (0..3_500_000u32).map(|i| (i % 251) as u8).collect();
        let chunks = data.chunks(70_001).map(<[u8]>::to_vec).collect();
        let big = Spool::read(body_of(chunks), 4_000_000, Duration::from_secs(5), &dir)
            .await
            .expect("read");
        assert!(big.file.is_some());
        assert_eq!(big.head.len(), MEMORY_LIMIT);
        assert_eq!(big.len(), data.len() as u64);
        let streamed: Vec<u8> = big
            .stream()
            .map(|c| c.expect("chunk").to_vec())
            .concat()
            .await;
        assert_eq!(streamed, data, "streamed back");
        assert_eq!(to_vec(&big).expect("read back"), data, "read back twice");
    }

    #[tokio::test]
    async fn limits_and_deadlines() {
        let dir = std::env::temp_dir();
        let over = Spool::read(
            body_of(vec![vec![0; 60], vec![0; 60]]),
            100,
            Duration::from_secs(5),
            &dir,
        )
        .await;
        assert!(matches!(over, Err(SpoolError::TooLarge(100))));
        let slow = Body::from_stream(futures_util::stream::pending::<io::Result<Bytes>>());
        let slow = Spool::read(slow, 100, Duration::from_millis(50), &dir).await;
        assert!(matches!(slow, Err(SpoolError::Slow(_))));
    }
}
