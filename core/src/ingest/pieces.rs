//! Cutting a large JSON file into pieces that several threads read at once.
//!
//! One busy hour of a storage export can be a blob of gigabytes, and an Event Grid capture or a
//! Log Analytics export one JSON document as large; read as a whole it would keep one thread
//! busy while the others wait. A plain file (not compressed, no byte-order mark) larger than
//! `[ingest] split_bytes` is cut into pieces of about that size:
//!
//! - JSON lines anywhere a line ends (a record never spans lines);
//! - a JSON document between two of its records, found by a first pass of the document
//!   scanner ([`document_cuts`]) that follows only its structure; each piece starts from the
//!   scanner's state at its cut, so it is read exactly as a whole read reads those bytes.
//!
//! Each piece knows the number of its first line, so evidence points where it always did.
//! Pieces depend on the file alone, never on the number of threads, so the report does not
//! either.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::container::Container;
use super::shapes::Shape;
use super::shapes::split::{Resume, document_cuts};
use super::sniff::sniff;

/// A byte range of a file that starts at the beginning of a line (JSON lines) or of a record
/// (a JSON document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Position of the piece in its file (0 for the first).
    pub index: u32,
    pub start: u64,
    pub end: u64,
    /// 1-based number of the line the piece starts with.
    pub first_line: u64,
    /// For a piece of a JSON document, the scanner's state where it starts; `None` for JSON
    /// lines.
    pub document: Option<Resume>,
    /// True for the piece that ends the file (a document still open there is cut short).
    pub last: bool,
}

impl Piece {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The shape of the file the piece is part of.
    pub fn shape(&self) -> Shape {
        if self.document.is_some() {
            Shape::JsonDocument
        } else {
            Shape::JsonLines
        }
    }
}

/// The pieces of `path` when it is a plain JSON-lines file or JSON document larger than
/// `piece_bytes`; `None` when it is read whole (smaller, compressed, another shape, a HAR
/// capture, a document with no place to cut, or unreadable: its reading says why).
pub fn pieces(path: &Path, size: u64, piece_bytes: u64) -> Option<Vec<Piece>> {
    if piece_bytes == 0 || size <= piece_bytes {
        return None;
    }
    let mut file = File::open(path).ok()?;
    match plain_shape(&mut file).ok()? {
        Some(Shape::JsonLines) => line_pieces(&mut file, size, piece_bytes).ok()?,
        Some(Shape::JsonDocument) => document_pieces(&mut file, size, piece_bytes).ok()?,
        _ => None,
    }
}

/// JSON lines cut just after a line break about every `piece_bytes`.
fn line_pieces(file: &mut File, size: u64, piece_bytes: u64) -> io::Result<Option<Vec<Piece>>> {
    let mut cuts = vec![0];
    let mut target = piece_bytes;
    while target < size {
        let cut = next_line_start(file, target, size)?;
        if cut >= size {
            break;
        }
        cuts.push(cut);
        target = cut + piece_bytes;
    }
    cuts.push(size);
    if cuts.len() < 3 {
        return Ok(None);
    }
    let mut pieces = Vec::with_capacity(cuts.len() - 1);
    let mut first_line = 1;
    for (index, pair) in cuts.windows(2).enumerate() {
        pieces.push(Piece {
            index: index as u32,
            start: pair[0],
            end: pair[1],
            first_line,
            document: None,
            last: pair[1] == size,
        });
        first_line += count_lines(file, pair[0], pair[1])?;
    }
    Ok(Some(pieces))
}

/// A JSON document cut between two records about every `piece_bytes`.
fn document_pieces(file: &mut File, size: u64, piece_bytes: u64) -> io::Result<Option<Vec<Piece>>> {
    file.seek(SeekFrom::Start(0))?;
    let mut reader = BufReader::with_capacity(1 << 20, &mut *file);
    let mut cuts = document_cuts(&mut reader, 1, Container::Document, piece_bytes)?;
    cuts.retain(|c| c.offset < size);
    if cuts.is_empty() {
        return Ok(None);
    }
    let mut starts = vec![(0, Resume::start(1, Container::Document))];
    starts.extend(cuts.iter().map(|c| (c.offset, c.resume)));
    let pieces = starts
        .iter()
        .enumerate()
        .map(|(index, &(start, resume))| {
            let end = starts.get(index + 1).map_or(size, |next| next.0);
            Piece {
                index: index as u32,
                start,
                end,
                first_line: resume.line(),
                document: Some(resume),
                last: end == size,
            }
        })
        .collect();
    Ok(Some(pieces))
}

/// The shape of the file when it can be cut: JSON lines or a JSON document as they are (no
/// gzip, no byte-order mark, no blank lines before the first record, whose count the sniffer
/// would not carry over; not a HAR capture, which is read entry by entry).
fn plain_shape(file: &mut File) -> io::Result<Option<Shape>> {
    let mut head = [0u8; 3];
    let n = file.read(&mut head)?;
    if head[..n].starts_with(&[0x1f, 0x8b])
        || head[..n].starts_with(&[0xef, 0xbb, 0xbf])
        || head[..n].starts_with(&[0xff, 0xfe])
        || head[..n].starts_with(&[0xfe, 0xff])
    {
        return Ok(None);
    }
    file.seek(SeekFrom::Start(0))?;
    let mut reader = BufReader::new(&mut *file);
    let sample = sniff(&mut reader)?;
    if sample.first_line != 1 {
        return Ok(None);
    }
    Ok(match sample.shape {
        Shape::JsonLines => Some(Shape::JsonLines),
        Shape::JsonDocument => {
            file.seek(SeekFrom::Start(0))?;
            let mut reader = BufReader::new(&mut *file);
            let har = super::shapes::http::is_har_start(reader.fill_buf()?);
            (!har).then_some(Shape::JsonDocument)
        }
        _ => None,
    })
}

/// The offset just after the first line break at or after `from` (or `size`).
fn next_line_start(file: &mut File, from: u64, size: u64) -> io::Result<u64> {
    file.seek(SeekFrom::Start(from))?;
    let mut reader = BufReader::with_capacity(64 * 1024, &mut *file);
    let mut at = from;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(size);
        }
        if let Some(i) = memchr::memchr(b'\n', buf) {
            return Ok(at + i as u64 + 1);
        }
        let n = buf.len();
        at += n as u64;
        reader.consume(n);
    }
}

/// Line breaks in `start..end`.
fn count_lines(file: &mut File, start: u64, end: u64) -> io::Result<u64> {
    file.seek(SeekFrom::Start(start))?;
    let mut reader = BufReader::with_capacity(1 << 20, (&mut *file).take(end - start));
    let mut lines = 0;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(lines);
        }
        lines += memchr::memchr_iter(b'\n', buf).count() as u64;
        let n = buf.len();
        reader.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("PT1H.json");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    /// Pieces cover the file, start at line starts, and know their first line.
    #[test]
    fn pieces_cut_after_line_breaks() {
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!("{{\"category\":\"CallSummary\",\"n\":{i}}}\n"));
        }
        let (_dir, path) = write(text.as_bytes());
        let size = text.len() as u64;
        let pieces = pieces(&path, size, 1000).expect("cut");
        assert!(pieces.iter().all(|p| p.shape() == Shape::JsonLines));
        assert!(pieces.last().unwrap().last);
        assert!(pieces.len() > 3);
        assert_eq!(pieces[0].start, 0);
        assert_eq!(pieces.last().unwrap().end, size);
        let mut line = 1;
        for (i, p) in pieces.iter().enumerate() {
            assert_eq!(p.index as usize, i);
            assert!(p.start == 0 || text.as_bytes()[p.start as usize - 1] == b'\n');
            assert_eq!(p.first_line, line);
            line += text[p.start as usize..p.end as usize].matches('\n').count() as u64;
            if i > 0 {
                assert_eq!(pieces[i - 1].end, p.start);
            }
        }
    }

    #[test]
    fn small_compressed_or_other_files_stay_whole() {
        let line = "{\"category\":\"CallSummary\"}\n".repeat(100);
        let (_dir, path) = write(line.as_bytes());
        assert!(pieces(&path, line.len() as u64, line.len() as u64).is_none());
        let bom = [&[0xef, 0xbb, 0xbf][..], line.as_bytes()].concat();
        let (_dir, path) = write(&bom);
        assert!(pieces(&path, bom.len() as u64, 100).is_none());
        let har = format!(
            "{{\"log\": {{\"entries\": [{}{{}}]}}}}\n",
            "{\"request\": {}},\n".repeat(100)
        );
        let (_dir, path) = write(har.as_bytes());
        assert!(pieces(&path, har.len() as u64, 100).is_none());
    }
}
