//! Cutting a large JSON-lines file into pieces that several threads read at once.
//!
//! One busy hour of a storage export can be a blob of gigabytes; read as a whole it would keep
//! one thread busy while the others wait. A JSON-lines file can be cut anywhere a line ends (a
//! record never spans lines), so a plain one (not compressed, no byte-order mark) larger than
//! `[ingest] split_bytes` is cut into pieces of about that size, each cut just after a line
//! break. Each piece knows the number of its first line, so evidence points where it always
//! did. Pieces depend on the file alone, never on the number of threads, so the report does
//! not either.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::shapes::Shape;
use super::sniff::sniff;

/// A byte range of a file that starts at the beginning of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Position of the piece in its file (0 for the first).
    pub index: u32,
    pub start: u64,
    pub end: u64,
    /// 1-based number of the line the piece starts with.
    pub first_line: u64,
}

impl Piece {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// The pieces of `path` when it is a plain JSON-lines file larger than `piece_bytes`; `None`
/// when it is read whole (smaller, compressed, another shape, or unreadable: its reading says
/// why).
pub fn pieces(path: &Path, size: u64, piece_bytes: u64) -> Option<Vec<Piece>> {
    if piece_bytes == 0 || size <= piece_bytes {
        return None;
    }
    let mut file = File::open(path).ok()?;
    if !is_plain_json_lines(&mut file).ok()? {
        return None;
    }
    let mut cuts = vec![0];
    let mut target = piece_bytes;
    while target < size {
        let cut = next_line_start(&mut file, target, size).ok()?;
        if cut >= size {
            break;
        }
        cuts.push(cut);
        target = cut + piece_bytes;
    }
    cuts.push(size);
    if cuts.len() < 3 {
        return None;
    }
    let mut pieces = Vec::with_capacity(cuts.len() - 1);
    let mut first_line = 1;
    for (index, pair) in cuts.windows(2).enumerate() {
        pieces.push(Piece {
            index: index as u32,
            start: pair[0],
            end: pair[1],
            first_line,
        });
        first_line += count_lines(&mut file, pair[0], pair[1]).ok()?;
    }
    Some(pieces)
}

/// True when the file holds JSON lines as they are: no gzip, no byte-order mark, no blank
/// lines before the first record (the sniffer's count of those would not carry over).
fn is_plain_json_lines(file: &mut File) -> io::Result<bool> {
    let mut head = [0u8; 3];
    let n = file.read(&mut head)?;
    if head[..n].starts_with(&[0x1f, 0x8b])
        || head[..n].starts_with(&[0xef, 0xbb, 0xbf])
        || head[..n].starts_with(&[0xff, 0xfe])
        || head[..n].starts_with(&[0xfe, 0xff])
    {
        return Ok(false);
    }
    file.seek(SeekFrom::Start(0))?;
    let sample = sniff(&mut BufReader::new(&mut *file))?;
    Ok(sample.shape == Shape::JsonLines && sample.first_line == 1)
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
        let document = format!("[{}]", "{\"category\":\"CallSummary\"},\n".repeat(100));
        let (_dir, path) = write(document.as_bytes());
        assert!(pieces(&path, document.len() as u64, 100).is_none());
    }
}
