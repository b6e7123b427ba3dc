//! Turning the bytes of a file into text to read: gzip layers undone (every member, nested gzip
//! too), byte-order marks honoured, UTF-16 decoded as it streams. Damaged compression never
//! costs what came before it: a gzip stream is read to its last good byte and the damage is
//! reported beside the records.

use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

/// What was wrong with the compressed data, found while reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The stream ends inside a gzip member: the file was cut (partial copy or download).
    Truncated { content_bytes: u64 },
    /// The compressed data is corrupt from some point on; what follows is lost.
    Corrupt { content_bytes: u64, error: String },
    /// Bytes after the last gzip member that are not gzip (padding or garbage), ignored.
    Trailing { bytes: u64, zeros: bool },
}

impl Damage {
    /// True when records may have been lost (as opposed to junk being ignored).
    pub fn loses_data(&self) -> bool {
        !matches!(self, Damage::Trailing { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            Damage::Truncated { content_bytes } => format!(
                "the gzip data ends before its stream does (a cut copy or download, or corrupt data): the first {content_bytes} bytes of content were read; anything after that is lost"
            ),
            Damage::Corrupt {
                content_bytes,
                error,
            } => format!(
                "the gzip data is corrupt ({error}) after {content_bytes} bytes of content, which were read; the rest of the file is lost"
            ),
            Damage::Trailing { bytes, zeros: true } => {
                format!("{bytes} bytes of zero padding after the gzip data were ignored")
            }
            Damage::Trailing {
                bytes,
                zeros: false,
            } => format!(
                "{bytes} bytes after the end of the gzip data are not gzip (trailing garbage); they were ignored"
            ),
        }
    }
}

/// Where a reader leaves the damage it found, to be picked up when the file has been read.
pub type DamageSlot = Rc<RefCell<Vec<Damage>>>;

/// Reads every gzip member of a stream, one after another, and stops cleanly at the first
/// damage instead of failing the whole read.
struct GzipMembers<R: BufRead> {
    current: Option<flate2::bufread::GzDecoder<R>>,
    content_bytes: u64,
    damage: DamageSlot,
}

impl<R: BufRead> GzipMembers<R> {
    fn new(inner: R, damage: DamageSlot) -> Self {
        GzipMembers {
            current: Some(flate2::bufread::GzDecoder::new(inner)),
            content_bytes: 0,
            damage,
        }
    }

    /// After a member ends: starts the next one, or notes what trails the last.
    fn next_member(&mut self, mut inner: R) -> io::Result<()> {
        let head = inner.fill_buf()?;
        if head.is_empty() {
            return Ok(());
        }
        if head.starts_with(&[0x1f, 0x8b]) {
            self.current = Some(flate2::bufread::GzDecoder::new(inner));
            return Ok(());
        }
        let mut bytes = 0u64;
        let mut zeros = true;
        loop {
            let chunk = inner.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            zeros &= chunk.iter().all(|&b| b == 0);
            bytes += chunk.len() as u64;
            let n = chunk.len();
            inner.consume(n);
        }
        self.damage
            .borrow_mut()
            .push(Damage::Trailing { bytes, zeros });
        Ok(())
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.current.as_mut() else {
                return Ok(0);
            };
            match decoder.read(buf) {
                Ok(0) if !buf.is_empty() => {
                    let inner = self.current.take().map(|d| d.into_inner());
                    if let Some(inner) = inner
                        && let Err(e) = self.next_member(inner)
                    {
                        self.record_error(e);
                    }
                }
                Ok(n) => {
                    self.content_bytes += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.current = None;
                    self.record_error(e);
                    return Ok(0);
                }
            }
        }
    }
}

impl<R: BufRead> GzipMembers<R> {
    fn record_error(&mut self, e: io::Error) {
        let content_bytes = self.content_bytes;
        let damage = if e.kind() == io::ErrorKind::UnexpectedEof {
            Damage::Truncated { content_bytes }
        } else {
            Damage::Corrupt {
                content_bytes,
                error: e.to_string(),
            }
        };
        self.damage.borrow_mut().push(damage);
    }
}

/// How deep gzip inside gzip is undone.
const MAX_GZIP_LAYERS: usize = 4;

/// The text stream of a file and what had to be undone to get it.
pub struct Opened<'r> {
    pub reader: Box<dyn BufRead + 'r>,
    /// `gzip`, or `gzip, gzip` for gzip inside gzip.
    pub compression: Option<String>,
    /// The text was UTF-16 (with a byte-order mark) and is decoded on the fly.
    pub utf16: bool,
    pub damage: DamageSlot,
}

const BUFFER: usize = 256 * 1024;

/// Opens the layers of `raw`: gzip (any number of members, nested up to
/// [`MAX_GZIP_LAYERS`]), a UTF-8 byte-order mark (skipped) or a UTF-16 one (decoded).
/// `size` sizes the first buffer only: how many bytes `raw` holds, as far as known, or less
/// when the caller reads only the start (a sample). A small input gets a buffer of its size,
/// not of [`BUFFER`], which the first read fills with zeros before reading (a `.tar.gz` of
/// 100,000 small members spent a third of its time doing that). The readers of gzip and UTF-16
/// layers keep buffers of [`BUFFER`].
pub fn open<'r>(raw: Box<dyn Read + 'r>, size: u64) -> io::Result<Opened<'r>> {
    let damage: DamageSlot = Rc::default();
    let capacity = usize::try_from(size).map_or(BUFFER, |size| size.clamp(8 * 1024, BUFFER));
    let mut reader: Box<dyn BufRead + 'r> = Box::new(BufReader::with_capacity(capacity, raw));
    let mut layers = 0;
    while reader.fill_buf()?.starts_with(&[0x1f, 0x8b]) && layers < MAX_GZIP_LAYERS {
        layers += 1;
        reader = Box::new(BufReader::with_capacity(
            BUFFER,
            GzipMembers::new(reader, damage.clone()),
        ));
    }
    let compression = (layers > 0).then(|| vec!["gzip"; layers].join(", "));
    let head = reader.fill_buf()?;
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
    } else if utf16 {
        // Streaming transcoding to UTF-8: memory stays flat whatever the file size. Unpaired
        // surrogates become U+FFFD rather than failing the file.
        let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new()
            .bom_sniffing(true)
            .strip_bom(true)
            .build(reader);
        reader = Box::new(BufReader::with_capacity(BUFFER, decoder));
    }
    Ok(Opened {
        reader,
        compression,
        utf16,
        damage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn read_all(bytes: Vec<u8>) -> (String, Option<String>, Vec<Damage>) {
        let size = bytes.len() as u64;
        read_sized(bytes, size)
    }

    /// Reads `bytes` told they are `size` long.
    fn read_sized(bytes: Vec<u8>, size: u64) -> (String, Option<String>, Vec<Damage>) {
        let opened = open(Box::new(io::Cursor::new(bytes)), size).unwrap();
        let damage = opened.damage.clone();
        let compression = opened.compression.clone();
        let mut bytes = Vec::new();
        let mut reader = opened.reader;
        reader.read_to_end(&mut bytes).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let found = damage.borrow().clone();
        (text, compression, found)
    }

    const TEXT: &[u8] = b"first line\nsecond line\n";

    /// The size only chooses the buffer: an input larger than it was said to be (a file that
    /// grew) or of no known size is read whole, compressed or not.
    #[test]
    fn a_wrong_size_reads_everything() {
        let text: Vec<u8> = TEXT.repeat(20_000);
        for size in [0, 10, u64::MAX] {
            assert_eq!(read_sized(text.clone(), size).0.as_bytes(), &text[..]);
            let (read, comp, _) = read_sized(gzip(&text), size);
            assert_eq!(
                (read.as_bytes(), comp.as_deref()),
                (&text[..], Some("gzip"))
            );
        }
    }

    #[test]
    fn gzip_members_nested_and_plain() {
        assert_eq!(read_all(TEXT.to_vec()).0, "first line\nsecond line\n");
        let (text, comp, damage) = read_all([gzip(TEXT), gzip(b"third\n")].concat());
        assert_eq!(text, "first line\nsecond line\nthird\n");
        assert_eq!(comp.as_deref(), Some("gzip"));
        assert!(damage.is_empty());
        let (text, comp, _) = read_all(gzip(&gzip(TEXT)));
        assert_eq!(text, "first line\nsecond line\n");
        assert_eq!(comp.as_deref(), Some("gzip, gzip"));
    }

    #[test]
    fn damaged_gzip_keeps_what_came_before() {
        let gz = gzip(TEXT);
        let (text, _, damage) = read_all([gz.clone(), b"garbage!!".to_vec()].concat());
        assert_eq!(text, "first line\nsecond line\n");
        assert_eq!(
            damage,
            [Damage::Trailing {
                bytes: 9,
                zeros: false
            }]
        );
        let (_, _, damage) = read_all([gz.clone(), vec![0; 512]].concat());
        assert_eq!(
            damage,
            [Damage::Trailing {
                bytes: 512,
                zeros: true
            }]
        );
        let (text, _, damage) = read_all(gz[..gz.len() - 10].to_vec());
        assert!(text.starts_with("first line\n"), "{text:?}");
        assert!(
            matches!(damage[..], [Damage::Truncated { .. }]),
            "{damage:?}"
        );
        // A wrong checksum in the trailer: the content was read, then found corrupt.
        let mut corrupt = gz.clone();
        let n = corrupt.len();
        corrupt[n - 8] ^= 0x55;
        let (text, _, damage) = read_all(corrupt);
        assert!(text.starts_with("first line\n"), "{text:?}");
        assert!(matches!(damage[..], [Damage::Corrupt { .. }]), "{damage:?}");
    }

    #[test]
    fn byte_order_marks() {
        let (text, _, _) = read_all([&[0xEF, 0xBB, 0xBF][..], TEXT].concat());
        assert_eq!(text, "first line\nsecond line\n");
        let mut le = vec![0xFF, 0xFE];
        for u in "héllo\n".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        le.extend_from_slice(&0xD800u16.to_le_bytes()); // a lone surrogate
        let (text, _, _) = read_all(le);
        assert_eq!(text, "héllo\n\u{fffd}");
    }
}
