//! Reading lines with a length cap, so a file with a gigabyte-long line (or no newline at all)
//! costs bounded memory and is reported instead of exhausting the machine.

use std::io::{self, BufRead};

/// What one call to [`read_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line (without its `\n`, and without a trailing `\r`) is in the buffer.
    Complete,
    /// The line was longer than the cap; its bytes were skipped. Holds its length.
    TooLong(u64),
    /// End of input.
    Eof,
}

/// Reads the next line into `buf` (cleared first). Lines longer than `max` bytes are consumed
/// without being stored.
pub fn read_line<R: BufRead + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<Line> {
    buf.clear();
    let mut total: u64 = 0;
    let mut too_long = false;
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        any = true;
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        total += chunk.len() as u64;
        if !too_long {
            if buf.len() + chunk.len() > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        let used = done.unwrap_or(available.len());
        reader.consume(used);
        if done.is_some() {
            break;
        }
    }
    if !any {
        return Ok(Line::Eof);
    }
    if too_long {
        return Ok(Line::TooLong(total));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Line::Complete)
}

/// One item from [`ChunkedLines`].
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk<'b> {
    /// A line (without `\n` and trailing `\r`), borrowed from the reader's buffer.
    Line(&'b [u8]),
    /// A line longer than the cap, skipped; holds its length.
    TooLong(u64),
}

/// Where a line is in [`ChunkedLines`]' buffer.
enum Span {
    Line(usize, usize),
    TooLong(u64),
}

/// Reads lines straight out of a large buffer, without copying each line: the JSON-lines hot
/// path. Lines longer than the cap are skipped in bounded memory.
pub struct ChunkedLines<R> {
    reader: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    max: usize,
    /// Set by [`ChunkedLines::with_secret_prefilter`].
    secrets: Option<&'static crate::secrets::Secrets>,
    /// Bytes of `buf` before this index hold no live secret (checked a buffer at a time).
    clean_until: usize,
    /// Bytes of `buf` from `start` to this index hold no line break: a long line that arrives
    /// in many small reads (a decoder hands out a few KiB at a time) is searched once, not
    /// again from its start after every read.
    searched_to: usize,
}

const CHUNK: usize = 1 << 20;

thread_local! {
    static SPARE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl<R> Drop for ChunkedLines<R> {
    fn drop(&mut self) {
        // Only a standard-size buffer goes back; one grown for a long line is freed.
        if self.buf.len() == CHUNK {
            let buf = std::mem::take(&mut self.buf);
            SPARE.with(|spare| *spare.borrow_mut() = buf);
        }
    }
}

impl<R: std::io::Read> ChunkedLines<R> {
    pub fn new(reader: R, max_line: usize) -> Self {
        // Reuse this thread's buffer: fresh pages cost the kernel a zeroing fault each, which
        // showed up as the largest single cost when every file allocated its own.
        let mut buf = SPARE.with(|spare| std::mem::take(&mut *spare.borrow_mut()));
        let size = CHUNK.min(max_line.max(1) + 1);
        if buf.len() != size {
            buf = vec![0; size];
        }
        ChunkedLines {
            reader,
            buf,
            start: 0,
            end: 0,
            eof: false,
            max: max_line,
            secrets: None,
            clean_until: 0,
            searched_to: 0,
        }
    }

    /// Makes [`ChunkedLines::next_line_checked`] tell which lines can hold no live secret, by
    /// looking at the whole buffer at once rather than line by line.
    pub fn with_secret_prefilter(mut self, secrets: &'static crate::secrets::Secrets) -> Self {
        self.secrets = Some(secrets);
        self
    }

    /// The next line, and whether it is known to hold no live secret (so it need not be
    /// scanned; always false without [`ChunkedLines::with_secret_prefilter`]).
    pub fn next_line_checked(&mut self) -> io::Result<Option<(Chunk<'_>, bool)>> {
        let (line_start, line_end) = match self.next_span()? {
            None => return Ok(None),
            Some(Span::TooLong(len)) => return Ok(Some((Chunk::TooLong(len), false))),
            Some(Span::Line(start, end)) => (start, end),
        };
        let clean = match self.secrets {
            Some(secrets) => {
                if line_end > self.clean_until {
                    let region = &self.buf[line_start..self.end];
                    self.clean_until =
                        line_start + secrets.clean_prefix(region, line_end - line_start);
                }
                line_end <= self.clean_until
            }
            None => false,
        };
        Ok(Some((Chunk::Line(&self.buf[line_start..line_end]), clean)))
    }

    /// Fills the buffer after `end`; returns false at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The next line, `None` at end of input.
    pub fn next_line(&mut self) -> io::Result<Option<Chunk<'_>>> {
        Ok(self.next_span()?.map(|span| match span {
            Span::Line(start, end) => Chunk::Line(&self.buf[start..end]),
            Span::TooLong(len) => Chunk::TooLong(len),
        }))
    }

    /// Where the next line is in the buffer.
    fn next_span(&mut self) -> io::Result<Option<Span>> {
        loop {
            let from = self.searched_to.max(self.start);
            if let Some(i) = memchr::memchr(b'\n', &self.buf[from..self.end]) {
                let line_start = self.start;
                let mut line_end = from + i;
                self.start = line_end + 1;
                if line_end > line_start && self.buf[line_end - 1] == b'\r' {
                    line_end -= 1;
                }
                return Ok(Some(Span::Line(line_start, line_end)));
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let line_start = self.start;
                let mut line_end = self.end;
                self.start = self.end;
                if self.buf[line_end - 1] == b'\r' {
                    line_end -= 1;
                }
                return Ok(Some(Span::Line(line_start, line_end)));
            }
            // No complete line in the buffer: make room, grow up to the cap, or skip.
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.clean_until = self.clean_until.saturating_sub(self.start);
                self.start = 0;
            }
            // No line break from `start` to here: the next search begins with the bytes to come.
            self.searched_to = self.end;
            if self.end == self.buf.len() {
                if self.buf.len() <= self.max {
                    let grown = (self.buf.len() * 2).min(self.max + 1);
                    self.buf.resize(grown, 0);
                } else {
                    return self.skip_long_line().map(|c| match c {
                        Chunk::TooLong(len) => Some(Span::TooLong(len)),
                        Chunk::Line(_) => None,
                    });
                }
            }
            self.fill()?;
        }
    }

    /// Skips the rest of an over-long line whose first bytes fill the buffer.
    fn skip_long_line(&mut self) -> io::Result<Chunk<'static>> {
        let mut skipped = self.end as u64;
        self.start = 0;
        self.end = 0;
        self.searched_to = 0;
        // What was known clean is gone with the bytes: the lines after this one are new.
        self.clean_until = 0;
        loop {
            if !self.fill()? {
                return Ok(Chunk::TooLong(skipped));
            }
            if let Some(i) = memchr::memchr(b'\n', &self.buf[..self.end]) {
                let mut len = skipped + i as u64;
                if i > 0 && self.buf[i - 1] == b'\r' {
                    len -= 1;
                }
                self.start = i + 1;
                return Ok(Chunk::TooLong(len));
            }
            skipped += self.end as u64;
            self.end = 0;
        }
    }
}

/// Turns CRLF line ends into LF as bytes are read. The csv reader counts the lines of CRLF files
/// one short; fed LF, its record line numbers are right (portal exports are CRLF).
pub struct CrlfToLf<R> {
    inner: R,
    /// A `\r` read at the end of the previous chunk, not yet known to precede `\n`.
    pending_cr: bool,
}

impl<R> CrlfToLf<R> {
    pub fn new(inner: R) -> Self {
        CrlfToLf {
            inner,
            pending_cr: false,
        }
    }
}

impl<R: BufRead> std::io::Read for CrlfToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                if self.pending_cr {
                    self.pending_cr = false;
                    out[0] = b'\r';
                    return Ok(1);
                }
                return Ok(0);
            }
            let (mut written, mut used) = (0, 0);
            while used < buf.len() && written < out.len() {
                let byte = buf[used];
                if self.pending_cr {
                    self.pending_cr = false;
                    if byte != b'\n' {
                        // A lone `\r` stays; the byte after it is looked at again, once there
                        // is room for it.
                        out[written] = b'\r';
                        written += 1;
                        continue;
                    }
                }
                used += 1;
                if byte == b'\r' {
                    self.pending_cr = true;
                } else {
                    out[written] = byte;
                    written += 1;
                }
            }
            self.inner.consume(used);
            // Nothing written: all that was read was a `\r`, which waits for the next byte.
            if written > 0 {
                return Ok(written);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    #[test]
    fn splits_lines_and_caps_length() {
        let data = b"short\r\nthis line is far too long\nok\nlast-no-newline";
        let mut r = BufReader::with_capacity(4, &data[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), Line::Complete);
        assert_eq!(buf, b"short");
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), Line::TooLong(25));
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), Line::Complete);
        assert_eq!(buf, b"ok");
        assert_eq!(read_line(&mut r, &mut buf, 100).unwrap(), Line::Complete);
        assert_eq!(buf, b"last-no-newline");
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), Line::Eof);
    }

    /// A line is known clean exactly when it holds no live needle and no `\\u` escape,
    /// wherever the suspects fall: on every line for a stretch, far apart, across the ends of
    /// the buffer's refills. (Exactly, for text like this: the prefilter's folded copy can also
    /// take the control byte 0x1D for the `=` of `sig=`, a false alarm only.)
    #[test]
    fn lines_are_known_clean_exactly_when_they_hold_no_suspect() {
        let secrets = crate::secrets::Secrets::bundled();
        let mut data = Vec::new();
        let mut state = 0x2545_f491_u32;
        for i in 0..60_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let suspect = match (i / 5000 % 4, state % 97) {
                (0, n) if n < 90 => "monkey",
                (_, 0) => "Sig=abc",
                (_, 1) => "\\u0041",
                (_, 2) => "Bearer x",
                (_, 3) => "pwd",
                _ => "plain",
            };
            let padding = "x".repeat((state >> 8) as usize % 40);
            data.extend_from_slice(
                format!("{{\"n\":{i},\"note\":\"{padding}{suspect}\"}}\n").as_bytes(),
            );
        }
        let mut lines = ChunkedLines::new(&data[..], 4096).with_secret_prefilter(secrets);
        let mut read = 0;
        while let Some((chunk, clean)) = lines.next_line_checked().unwrap() {
            let Chunk::Line(line) = chunk else {
                panic!("no line is too long")
            };
            let suspect = secrets.may_contain_live(line) || line.windows(2).any(|w| w == b"\\u");
            assert_eq!(clean, !suspect, "{}", String::from_utf8_lossy(line));
            read += 1;
        }
        assert_eq!(read, 60_000);
    }

    /// A secret on the line after an over-long one is seen: what was known clean of the
    /// buffer before the long line was skipped says nothing about the bytes read after it.
    #[test]
    fn a_secret_after_an_over_long_line_is_not_taken_for_clean() {
        let secrets = crate::secrets::Secrets::bundled();
        let data = format!("clean\n{}\naccesskey=abc\nclean\n", "x".repeat(110));
        let mut lines = ChunkedLines::new(data.as_bytes(), 100).with_secret_prefilter(secrets);
        let mut seen = Vec::new();
        while let Some((chunk, clean)) = lines.next_line_checked().unwrap() {
            seen.push(match chunk {
                Chunk::Line(line) => (String::from_utf8_lossy(line).into_owned(), clean),
                Chunk::TooLong(len) => (format!("{len} bytes"), clean),
            });
        }
        let want = [
            ("clean", true),
            ("110 bytes", false),
            ("accesskey=abc", false),
            ("clean", true),
        ];
        let want: Vec<(String, bool)> = want.iter().map(|(l, c)| ((*l).to_owned(), *c)).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn chunked_lines_match_read_line() {
        let mut data = Vec::new();
        for i in 0..5000 {
            data.extend_from_slice(format!("line number {i}\r\n").as_bytes());
            if i % 1000 == 0 {
                data.extend(std::iter::repeat_n(b'x', 3000));
                data.push(b'\n');
            }
        }
        data.extend_from_slice(b"tail");
        let mut chunked = ChunkedLines::new(&data[..], 2048);
        let mut expected = BufReader::with_capacity(100, &data[..]);
        let mut buf = Vec::new();
        loop {
            let want = read_line(&mut expected, &mut buf, 2048).unwrap();
            let got = chunked.next_line().unwrap();
            match (want, got) {
                (Line::Eof, None) => break,
                (Line::Complete, Some(Chunk::Line(l))) => assert_eq!(l, &buf[..]),
                (Line::TooLong(a), Some(Chunk::TooLong(b))) => assert_eq!(a, b),
                (a, b) => panic!("{a:?} vs {b:?}"),
            }
        }
    }

    /// Hands out at most `step` bytes per read, as a decoder does.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// Lines that arrive a few bytes per read, long ones, CRLF ones and over-long ones among
    /// them, come out as a plain line reader reads them.
    #[test]
    fn lines_read_a_few_bytes_at_a_time_are_whole() {
        let mut data = Vec::new();
        for i in 0..300 {
            let len = [0, 1, 5, 700, 3000, 5000][i % 6];
            data.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, len));
            data.extend_from_slice(if i % 4 == 0 { b"\r\n" } else { b"\n" });
        }
        data.extend_from_slice(b"tail");
        for step in [1, 7, 4096] {
            let mut chunked = ChunkedLines::new(Trickle { data: &data, step }, 4000);
            let mut expected = BufReader::with_capacity(100, &data[..]);
            let mut buf = Vec::new();
            loop {
                let want = read_line(&mut expected, &mut buf, 4000).unwrap();
                match (want, chunked.next_line().unwrap()) {
                    (Line::Eof, None) => break,
                    (Line::Complete, Some(Chunk::Line(l))) => assert_eq!(l, &buf[..]),
                    (Line::TooLong(a), Some(Chunk::TooLong(b))) => assert_eq!(a, b),
                    (a, b) => panic!("reads of {step}: {a:?} vs {b:?}"),
                }
            }
        }
    }

    #[test]
    fn crlf_becomes_lf_across_chunk_edges() {
        use std::io::Read;
        let data = b"a\r\nb\rc\r\n\r\nd\r";
        for chunk in 1..6 {
            let mut out = Vec::new();
            let mut r = CrlfToLf::new(BufReader::with_capacity(chunk, &data[..]));
            let mut buf = [0u8; 3];
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(out, b"a\nb\rc\n\nd\r", "chunk {chunk}");
        }
    }

    /// Whatever the sizes of the reads below and above, CRLF becomes LF and no other byte is
    /// lost, moved or added: a lone `\r` at the end of one read followed by a read that fills
    /// the whole buffer lost that read's last byte.
    #[test]
    fn crlf_to_lf_keeps_every_other_byte_whatever_the_read_sizes() {
        use std::io::Read;
        let texts: [&[u8]; 6] = [
            b"ab\rcdefgh",
            b"\r\r\n\r",
            b"a\r\nb\rc\r\n\r\nd\r",
            b"\rx\ry\rz\r\n",
            b"",
            b"no line ends at all",
        ];
        for text in texts {
            let want = String::from_utf8_lossy(text).replace("\r\n", "\n");
            for inner in 1..9 {
                for outer in 1..9 {
                    let mut r = CrlfToLf::new(BufReader::with_capacity(inner, text));
                    let mut got = Vec::new();
                    let mut buf = vec![0u8; outer];
                    loop {
                        let n = r.read(&mut buf).unwrap();
                        if n == 0 {
                            break;
                        }
                        got.extend_from_slice(&buf[..n]);
                    }
                    assert_eq!(
                        String::from_utf8_lossy(&got),
                        want,
                        "{:?}, reads of {inner} below and {outer} above",
                        String::from_utf8_lossy(text)
                    );
                }
            }
        }
    }

    #[test]
    fn empty_lines_are_lines() {
        let mut r = BufReader::new(&b"\n\nx"[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), Line::Complete);
        assert!(buf.is_empty());
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), Line::Complete);
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), Line::Complete);
        assert_eq!(buf, b"x");
    }
}
