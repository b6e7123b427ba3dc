//! Archives of logs: `.zip` (portal and Storage Explorer downloads), `.tar` and `.tar.gz`. Their
//! members are inputs like files in a folder, shown as `logs.zip!/path/in/archive.json`.
//!
//! Archives are recognized by their content, not their name. Zip and plain tar members are
//! read in place (from their offset in the archive, in parallel like files); a `.tar.gz` can
//! only be read from its start, so its members are listed in one pass and read in another, in
//! archive order, by one worker. Nothing is extracted to disk: like gzip, a member is
//! decompressed as it is read, so memory stays bounded whatever the archive claims.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What kind of archive a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    Zip,
    Tar,
    TarGz,
}

impl ArchiveKind {
    pub fn name(self) -> &'static str {
        match self {
            ArchiveKind::Zip => "zip",
            ArchiveKind::Tar => "tar",
            ArchiveKind::TarGz => "tar.gz",
        }
    }

    /// True when members can be read in place, in any order.
    pub fn random_access(self) -> bool {
        !matches!(self, ArchiveKind::TarGz)
    }
}

/// The archive kind a file's first bytes show, if any.
pub fn detect(path: &Path) -> Option<ArchiveKind> {
    let mut head = [0u8; 512];
    let n = read_up_to(&mut File::open(path).ok()?, &mut head).ok()?;
    let head = &head[..n];
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(ArchiveKind::Zip);
    }
    if is_tar_header(head) {
        return Some(ArchiveKind::Tar);
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        let mut inner = [0u8; 512];
        let mut gz = flate2::read::MultiGzDecoder::new(File::open(path).ok()?);
        let n = read_up_to(&mut gz, &mut inner).ok()?;
        if is_tar_header(&inner[..n]) {
            return Some(ArchiveKind::TarGz);
        }
    }
    None
}

fn read_up_to(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A POSIX (`ustar`) or GNU tar header block.
fn is_tar_header(block: &[u8]) -> bool {
    block.len() >= 263 && &block[257..262] == b"ustar"
}

/// How a member's bytes are found.
#[derive(Debug, Clone)]
enum Locator {
    /// Zip: where the (compressed) data starts, how long it is, and how it is compressed.
    Zip {
        offset: u64,
        length: u64,
        deflated: bool,
    },
    /// Plain tar: where the data starts and how long it is.
    Tar { offset: u64, length: u64 },
    /// Tar inside gzip: the member's position in the archive.
    Stream { ordinal: u64 },
}

/// One member of an archive that can be read.
#[derive(Debug, Clone)]
pub struct Member {
    /// The member's path inside the archive, `/`-separated.
    pub name: String,
    /// Its size once decompressed, as the archive states it.
    pub size: u64,
    locator: Locator,
}

/// A member that is not read, with the reason (a directory is not listed at all).
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub name: String,
    pub reason: String,
}

/// An archive's listing.
#[derive(Debug)]
pub struct Archive {
    pub path: PathBuf,
    pub display: String,
    pub kind: ArchiveKind,
    pub members: Vec<Member>,
    pub unreadable: Vec<Unreadable>,
}

/// Lists an archive's members, at most `max_members` of them (the rest are reported as not
/// read).
pub fn list(
    path: &Path,
    display: String,
    kind: ArchiveKind,
    max_members: usize,
) -> Result<Archive, String> {
    let mut archive = Archive {
        path: path.to_path_buf(),
        display,
        kind,
        members: Vec::new(),
        unreadable: Vec::new(),
    };
    match kind {
        ArchiveKind::Zip => list_zip(&mut archive, max_members)?,
        ArchiveKind::Tar => {
            let file = File::open(path).map_err(|e| e.to_string())?;
            let mut tar = tar::Archive::new(file);
            let entries = tar.entries_with_seek().map_err(|e| e.to_string())?;
            list_tar(&mut archive, entries, max_members, true)?;
        }
        ArchiveKind::TarGz => {
            let file = File::open(path).map_err(|e| e.to_string())?;
            let mut tar =
                tar::Archive::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)));
            let entries = tar.entries().map_err(|e| e.to_string())?;
            list_tar(&mut archive, entries, max_members, false)?;
        }
    }
    Ok(archive)
}

fn list_zip(archive: &mut Archive, max_members: usize) -> Result<(), String> {
    let file = File::open(&archive.path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| e.to_string())?;
    for i in 0..zip.len() {
        let entry = match zip.by_index_raw(i) {
            Ok(e) => e,
            Err(e) => {
                archive.unreadable.push(Unreadable {
                    name: format!("member {i}"),
                    reason: format!("its entry in the archive is damaged ({e})"),
                });
                continue;
            }
        };
        let name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("member {i}"));
        if entry.is_dir() {
            continue;
        }
        let refuse = |reason: String| Unreadable {
            name: name.clone(),
            reason,
        };
        if archive.members.len() >= max_members {
            archive.unreadable.push(refuse(format!(
                "past the {max_members} members read from one archive ([ingest] max_archive_members)"
            )));
            continue;
        }
        if entry.encrypted() {
            archive.unreadable.push(refuse(
                "encrypted (password-protected): extract it, then analyze the files".to_owned(),
            ));
            continue;
        }
        if entry.is_symlink() {
            archive.unreadable.push(refuse(
                "a symbolic link inside the archive: not followed".to_owned(),
            ));
            continue;
        }
        let deflated = match entry.compression() {
            zip::CompressionMethod::Stored => false,
            zip::CompressionMethod::Deflated => true,
            other => {
                archive.unreadable.push(refuse(format!(
                    "compressed with {other}, which is not read: re-create the archive with deflate, or extract it"
                )));
                continue;
            }
        };
        let Some(offset) = entry.data_start() else {
            archive.unreadable.push(refuse(
                "its data could not be located in the archive".to_owned(),
            ));
            continue;
        };
        archive.members.push(Member {
            name,
            size: entry.size(),
            locator: Locator::Zip {
                offset,
                length: entry.compressed_size(),
                deflated,
            },
        });
    }
    Ok(())
}

fn list_tar<R: Read>(
    archive: &mut Archive,
    entries: tar::Entries<'_, R>,
    max_members: usize,
    in_place: bool,
) -> Result<(), String> {
    for (ordinal, entry) in entries.enumerate() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // A damaged or cut archive: what came before is kept, the rest is lost.
                archive.unreadable.push(Unreadable {
                    name: format!("member {ordinal} and after"),
                    reason: format!(
                        "the archive is damaged or cut here ({e}); members after it are lost"
                    ),
                });
                break;
            }
        };
        let name = entry.path().map_or_else(
            |_| format!("member {ordinal}"),
            |p| p.to_string_lossy().replace('\\', "/"),
        );
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        if !kind.is_file() {
            archive.unreadable.push(Unreadable {
                name,
                reason: "not a regular file (a link or device entry): not read".to_owned(),
            });
            continue;
        }
        if archive.members.len() >= max_members {
            archive.unreadable.push(Unreadable {
                name,
                reason: format!(
                    "past the {max_members} members read from one archive ([ingest] max_archive_members)"
                ),
            });
            continue;
        }
        let size = entry.size();
        let locator = if in_place {
            Locator::Tar {
                offset: entry.raw_file_position(),
                length: size,
            }
        } else {
            Locator::Stream {
                ordinal: ordinal as u64,
            }
        };
        archive.members.push(Member {
            name,
            size,
            locator,
        });
    }
    Ok(())
}

/// Opens a member that can be read in place.
pub fn open_member(archive: &Archive, member: &Member) -> io::Result<Box<dyn Read + Send>> {
    let mut file = File::open(&archive.path)?;
    match member.locator {
        Locator::Zip {
            offset,
            length,
            deflated,
        } => {
            file.seek(SeekFrom::Start(offset))?;
            let data = BufReader::new(file).take(length);
            Ok(if deflated {
                Box::new(flate2::read::DeflateDecoder::new(data))
            } else {
                Box::new(data)
            })
        }
        Locator::Tar { offset, length } => {
            file.seek(SeekFrom::Start(offset))?;
            Ok(Box::new(BufReader::new(file).take(length)))
        }
        Locator::Stream { .. } => Err(io::Error::other(
            "a member of a .tar.gz is read in archive order, not on its own",
        )),
    }
}

/// Reads the members of a `.tar.gz` in archive order, handing each one in `wanted` (by its
/// position in [`Archive::members`]) to `read`.
pub fn stream_members(
    archive: &Archive,
    wanted: &[usize],
    read: &mut dyn FnMut(usize, &mut dyn Read),
) -> io::Result<()> {
    let mut by_ordinal: Vec<(u64, usize)> = wanted
        .iter()
        .filter_map(|&i| match archive.members.get(i)?.locator {
            Locator::Stream { ordinal } => Some((ordinal, i)),
            _ => None,
        })
        .collect();
    by_ordinal.sort_unstable();
    let mut next = by_ordinal.iter().peekable();
    let file = File::open(&archive.path)?;
    let mut tar = tar::Archive::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)));
    for (ordinal, entry) in tar.entries()?.enumerate() {
        let Some(&&(want, index)) = next.peek() else {
            break;
        };
        let mut entry = entry?;
        if ordinal as u64 == want {
            next.next();
            read(index, &mut entry);
        }
    }
    Ok(())
}

/// A member of an archive, as one input.
#[derive(Debug, Clone)]
pub struct MemberRef {
    pub archive: Arc<Archive>,
    pub index: usize,
}

impl MemberRef {
    pub fn member(&self) -> &Member {
        &self.archive.members[self.index]
    }

    /// How reports show the member: `logs.zip!/insights-logs-callsummary/.../PT1H.json`.
    pub fn display(&self) -> String {
        format!(
            "{}!/{}",
            self.archive.display,
            crate::walk::display_text(&self.member().name)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(dir: &Path, members: &[(&str, &[u8], bool)]) -> PathBuf {
        let path = dir.join("logs.zip");
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        for (name, data, deflate) in members {
            let method = if *deflate {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            zip.start_file(
                *name,
                zip::write::SimpleFileOptions::default().compression_method(method),
            )
            .unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
        path
    }

    #[test]
    fn zip_members_read_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = zip_with(
            dir.path(),
            &[
                ("a/one.json", b"{\"x\":1}\n", true),
                ("two.log", b"plain", false),
            ],
        );
        assert_eq!(detect(&path), Some(ArchiveKind::Zip));
        let archive = list(&path, "logs.zip".into(), ArchiveKind::Zip, 10).unwrap();
        let names: Vec<&str> = archive.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a/one.json", "two.log"]);
        for (member, want) in archive.members.iter().zip([&b"{\"x\":1}\n"[..], b"plain"]) {
            let mut got = Vec::new();
            open_member(&archive, member)
                .unwrap()
                .read_to_end(&mut got)
                .unwrap();
            assert_eq!(got, want);
        }
        let limited = list(&path, "logs.zip".into(), ArchiveKind::Zip, 1).unwrap();
        assert_eq!(limited.members.len(), 1);
        assert_eq!(limited.unreadable.len(), 1);
    }

    #[test]
    fn tar_and_tar_gz_members() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in [
            ("x/a.json", &b"{\"a\":1}\n"[..]),
            ("b.json", b"{\"b\":2}\n"),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, data).unwrap();
        }
        let tar_bytes = builder.into_inner().unwrap();
        let tar_path = dir.path().join("logs.tar");
        std::fs::write(&tar_path, &tar_bytes).unwrap();
        assert_eq!(detect(&tar_path), Some(ArchiveKind::Tar));
        let archive = list(&tar_path, "logs.tar".into(), ArchiveKind::Tar, 10).unwrap();
        let mut got = String::new();
        open_member(&archive, &archive.members[1])
            .unwrap()
            .read_to_string(&mut got)
            .unwrap();
        assert_eq!(got, "{\"b\":2}\n");

        let gz_path = dir.path().join("logs.tgz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar_bytes).unwrap();
        std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
        assert_eq!(detect(&gz_path), Some(ArchiveKind::TarGz));
        let archive = list(&gz_path, "logs.tgz".into(), ArchiveKind::TarGz, 10).unwrap();
        assert_eq!(archive.members.len(), 2);
        let mut seen = Vec::new();
        stream_members(&archive, &[1, 0], &mut |i, r| {
            let mut text = String::new();
            r.read_to_string(&mut text).unwrap();
            seen.push((i, text));
        })
        .unwrap();
        assert_eq!(
            seen,
            [(0, "{\"a\":1}\n".to_owned()), (1, "{\"b\":2}\n".to_owned())]
        );
    }

    #[test]
    fn plain_files_are_no_archives() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("PT1H.json");
        std::fs::write(&p, b"{\"a\":1}\n").unwrap();
        assert_eq!(detect(&p), None);
        let gz = dir.path().join("PT1H.json.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"{\"a\":1}\n").unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert_eq!(detect(&gz), None);
    }
}
