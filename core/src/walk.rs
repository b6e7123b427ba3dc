//! Finding the input files. Directories are walked in name order (so file IDs, and with them
//! the output, are the same on every run). Symbolic links are not followed unless asked, and
//! FIFOs, sockets and devices are never opened: each is reported as skipped, with the reason.
//! Archives (zip, tar, tar.gz, recognized by content) stand for their members; `-` is standard
//! input.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ingest::archive::{self, MemberRef};
use crate::ingest::{FileReport, FileStatus};

/// A file to read: a file on disk, or a member of an archive.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// The file on disk (for a member, its archive).
    pub path: PathBuf,
    /// Path as reports show it: relative to the folder analyzed; `archive.zip!/member` for a
    /// member of an archive.
    pub display: String,
    /// The member of the archive at `path` this input is.
    pub member: Option<MemberRef>,
}

impl InputFile {
    fn file(path: PathBuf, display: String) -> InputFile {
        InputFile {
            path,
            display,
            member: None,
        }
    }

    /// The input's size in bytes (a member's size once decompressed).
    pub fn size(&self) -> u64 {
        match &self.member {
            Some(m) => m.member().size,
            None => std::fs::metadata(&self.path).map_or(0, |m| m.len()),
        }
    }

    /// Hands the input's bytes to `read`, whatever holds them (a member of a `.tar.gz` is
    /// reached by reading its archive up to it).
    pub fn read_with(
        &self,
        read: &mut dyn FnMut(&mut dyn std::io::Read) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        match &self.member {
            Some(m) if !m.archive.kind.random_access() => {
                let mut result = Err(std::io::Error::other(
                    "the archive ended before this member",
                ));
                archive::stream_members(&m.archive, &[m.index], &mut |_, r| result = read(r))?;
                result
            }
            _ => read(&mut self.open()?),
        }
    }

    /// Opens the input's bytes (a member of a `.tar.gz` cannot be opened on its own: the engine
    /// reads those in archive order).
    pub fn open(&self) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        match &self.member {
            Some(m) => archive::open_member(&m.archive, m.member()),
            None => Ok(Box::new(std::fs::File::open(&self.path)?)),
        }
    }
}

/// The result of walking the inputs.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<InputFile>,
    /// Entries not read, with the reason (symlinks, FIFOs, loops, unreadable directories).
    pub skipped: Vec<FileReport>,
}

/// An input path that does not exist or cannot be looked at.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct WalkError {
    pub path: String,
    pub reason: String,
}

/// A path as reports show it: `/` separators; control characters (an escape sequence in a
/// file name would drive the terminal) and bytes that are not UTF-8 written as escapes, so two
/// different names never print the same.
pub fn display_path(path: &Path) -> String {
    let mut out = String::new();
    for chunk in path_bytes(path).utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push('/'),
                c if c.is_control() => out.extend(c.escape_default()),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// A name as reports show it (a member's path inside an archive): control characters escaped.
pub fn display_text(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '\\' => out.push('/'),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> std::borrow::Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    std::borrow::Cow::Borrowed(path.as_os_str().as_bytes())
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> std::borrow::Cow<'_, [u8]> {
    match path.to_string_lossy() {
        std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
        std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.into_bytes()),
    }
}

fn slash(path: &Path) -> String {
    display_path(path)
}

fn kind_of(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    let _ = ft;
    "not a regular file"
}

/// What makes two paths the same file: the device and inode where there are such things, the
/// canonical path elsewhere.
fn identity(path: &Path) -> Option<(u64, u64, Option<PathBuf>)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some((m.dev(), m.ino(), None))
    }
    #[cfg(not(unix))]
    {
        Some((0, 0, std::fs::canonicalize(path).ok()))
    }
}

/// Lists the files under `roots`, each once: a file reached twice (a path given twice, a folder
/// and a file in it, a link to a file also listed) is read under the first of its names in
/// display order, and the other names are reported as skipped. The order of `roots` does not
/// change the result.
pub fn walk(
    roots: &[PathBuf],
    follow_symlinks: bool,
    max_archive_members: usize,
) -> Result<Walk, WalkError> {
    let mut out = collect(roots, follow_symlinks)?;
    out.files.sort_by(|a, b| a.display.cmp(&b.display));
    out.files
        .dedup_by(|b, a| a.display == b.display && a.path == b.path);
    let mut seen: std::collections::HashMap<(u64, u64, Option<PathBuf>), String> =
        std::collections::HashMap::new();
    let mut files = Vec::with_capacity(out.files.len());
    for file in std::mem::take(&mut out.files) {
        match identity(&file.path) {
            Some(id) => match seen.get(&id) {
                Some(first) => out.skipped.push(FileReport::not_read(
                    file.display,
                    FileStatus::Skipped,
                    format!("the same file as {first} (named twice, or reached through a link): read once"),
                )),
                None => {
                    seen.insert(id, file.display.clone());
                    files.push(file);
                }
            },
            None => files.push(file),
        }
    }
    out.files = expand_archives(files, max_archive_members, &mut out.skipped);
    out.files.sort_by(|a, b| a.display.cmp(&b.display));
    Ok(out)
}

/// Replaces every archive by its members; what cannot be read is reported.
fn expand_archives(
    files: Vec<InputFile>,
    max_members: usize,
    skipped: &mut Vec<FileReport>,
) -> Vec<InputFile> {
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let Some(kind) = archive::detect(&file.path) else {
            out.push(file);
            continue;
        };
        let listed = archive::list(&file.path, file.display.clone(), kind, max_members);
        let archive = match listed {
            Ok(a) => Arc::new(a),
            Err(e) => {
                skipped.push(FileReport::not_read(
                    file.display,
                    FileStatus::Unreadable,
                    format!("a {} archive that cannot be read: {e}", kind.name()),
                ));
                continue;
            }
        };
        for u in &archive.unreadable {
            skipped.push(FileReport::not_read(
                format!("{}!/{}", archive.display, display_text(&u.name)),
                FileStatus::Skipped,
                u.reason.clone(),
            ));
        }
        if archive.members.is_empty() && archive.unreadable.is_empty() {
            skipped.push(FileReport::not_read(
                file.display,
                FileStatus::Empty,
                format!("an empty {} archive", kind.name()),
            ));
            continue;
        }
        for index in 0..archive.members.len() {
            let member = MemberRef {
                archive: Arc::clone(&archive),
                index,
            };
            out.push(InputFile {
                path: file.path.clone(),
                display: member.display(),
                member: Some(member),
            });
        }
    }
    out
}

fn collect(roots: &[PathBuf], follow_symlinks: bool) -> Result<Walk, WalkError> {
    let mut out = Walk::default();
    let several = roots.len() > 1;
    for root in roots {
        if root.as_os_str() == "-" {
            let spool = crate::ingest::stdin::spooled().map_err(|e| WalkError {
                path: "-".to_owned(),
                reason: format!("cannot read standard input: {e}"),
            })?;
            out.files
                .push(InputFile::file(spool.to_path_buf(), "(stdin)".to_owned()));
            continue;
        }
        let meta = std::fs::metadata(root).map_err(|e| WalkError {
            path: slash(root),
            reason: match e.kind() {
                std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
                _ => e.to_string(),
            },
        })?;
        if !meta.is_dir() {
            // A path named on the command line is read even through a symlink.
            if meta.is_file() {
                out.files.push(InputFile::file(root.clone(), slash(root)));
            } else {
                out.skipped.push(FileReport::not_read(
                    slash(root),
                    FileStatus::Skipped,
                    format!("{}: not read", kind_of(&meta.file_type())),
                ));
            }
            continue;
        }
        let display_of = |p: &Path| -> String {
            let rel = p.strip_prefix(root).unwrap_or(p);
            if several {
                slash(&root.join(rel))
            } else {
                slash(rel)
            }
        };
        let walker = walkdir::WalkDir::new(root)
            .follow_links(follow_symlinks)
            .sort_by_file_name();
        for entry in walker {
            match entry {
                Ok(e) => {
                    let ft = e.file_type();
                    if ft.is_dir() {
                        continue;
                    }
                    let display = display_of(e.path());
                    if ft.is_file() {
                        out.files
                            .push(InputFile::file(e.path().to_path_buf(), display));
                    } else if ft.is_symlink() {
                        out.skipped.push(FileReport::not_read(
                            display,
                            FileStatus::Skipped,
                            "symbolic link not followed (pass --follow-symlinks to read it)",
                        ));
                    } else {
                        out.skipped.push(FileReport::not_read(
                            display,
                            FileStatus::Skipped,
                            format!("{}: not read", kind_of(&ft)),
                        ));
                    }
                }
                Err(err) => {
                    let display = err.path().map(display_of).unwrap_or_else(|| slash(root));
                    let note = if err.loop_ancestor().is_some() {
                        "symbolic link loop: not followed".to_owned()
                    } else {
                        format!("cannot read: {err}")
                    };
                    let status = if err.loop_ancestor().is_some() {
                        FileStatus::Skipped
                    } else {
                        FileStatus::Unreadable
                    };
                    out.skipped
                        .push(FileReport::not_read(display, status, note));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn names_print_safely_and_distinctly() {
        use std::os::unix::ffi::OsStrExt;
        let name = |b: &[u8]| display_path(Path::new(std::ffi::OsStr::from_bytes(b)));
        assert_eq!(
            name(b"logs/a\x1b[31mred\n.json"),
            "logs/a\\u{1b}[31mred\\n.json"
        );
        assert_ne!(name(b"x\xff.json"), name(b"x\xfe.json"));
        assert_eq!(name(b"x\xff.json"), "x\\xFF.json");
        assert_eq!(name("caf\u{e9}.json".as_bytes()), "caf\u{e9}.json");
    }
}
