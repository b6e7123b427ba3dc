//! Every reader works in bounded memory, whatever one input holds: each case below is a file
//! that a reader which kept what it read would need many times the ceiling for. The binary runs
//! as a child process; its peak resident memory comes from `wait4`.
//!
//! These are stress tests (hundreds of MiB through the readers), so they are ignored by a plain
//! `cargo test`; CI runs them with `cargo test --release -p acs-triage --test memory -- --ignored`.

#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What the tool may use on any of these inputs (each holds 100–512 MiB of content; about
/// 35 MiB of it is the process itself, its allocator arena and the built-in tables).
const CEILING_MIB: u64 = 96;

/// Runs `acs-triage analyze --format json <path>` and returns its peak RSS in MiB.
#[allow(clippy::zombie_processes)] // reaped by wait4 below
fn peak_mib(path: &Path) -> u64 {
    let child = Command::new(env!("CARGO_BIN_EXE_acs-triage"))
        .args(["analyze", "--format", "json", "--threads", "1"])
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let mut status = 0;
    // SAFETY: rusage is plain data, filled by the kernel; the pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    assert!(
        libc::WIFEXITED(status),
        "the tool crashed on {}",
        path.display()
    );
    assert!(
        libc::WEXITSTATUS(status) <= 1,
        "exit {}",
        libc::WEXITSTATUS(status)
    );
    usage.ru_maxrss as u64 / 1024
}

fn check(name: &str, write: impl FnOnce(&mut std::fs::File)) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let mut file = std::fs::File::create(&path).unwrap();
    write(&mut file);
    drop(file);
    let size = std::fs::metadata(&path).unwrap().len() >> 20;
    let peak = peak_mib(&path);
    println!("{name}: {size} MiB input, peak RSS {peak} MiB");
    assert!(
        peak <= CEILING_MIB,
        "{name} ({size} MiB) took {peak} MiB, over {CEILING_MIB} MiB"
    );
}

const RECORD: &str = r#"{"time":"2026-11-20T10:00:00Z","category":"CallSummary","correlationId":"c0ffee01-5d1b-4a7e-9c3a-1f0e2d3c4b5a","properties":{"participantId":"p","participantEndReason":"0","endpointType":"VoIP"}}"#;

#[test]
#[ignore = "stress test: run with --release -- --ignored"]
fn utf16_is_decoded_as_it_streams() {
    check("powershell.json", |f| {
        f.write_all(&[0xFF, 0xFE]).unwrap();
        let line: Vec<u8> = format!("{RECORD}\r\n")
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        for _ in 0..(120 << 20) / line.len() {
            f.write_all(&line).unwrap();
        }
    });
}

#[test]
#[ignore = "stress test: run with --release -- --ignored"]
fn one_endless_line_is_skipped_in_bounded_memory() {
    check("one-line.json", |f| {
        f.write_all(b"{\"category\":\"CallSummary\",\"pad\":\"")
            .unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..128 {
            f.write_all(&chunk).unwrap();
        }
        // The record after the skipped line is read (a run that reads nothing exits 2).
        f.write_all(format!("\"}}\n{RECORD}\n").as_bytes()).unwrap();
    });
}

#[test]
#[ignore = "stress test: run with --release -- --ignored"]
fn a_document_with_one_huge_record_is_skipped_in_bounded_memory() {
    check("array.json", |f| {
        f.write_all(b"[\n{\"category\":\"CallSummary\",\"pad\":\"")
            .unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..128 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(format!("\"}},\n{RECORD}\n]\n").as_bytes())
            .unwrap();
    });
}

#[test]
#[ignore = "stress test: run with --release -- --ignored"]
fn a_dotnet_request_block_keeps_its_head_only() {
    check("dotnet.log", |f| {
        f.write_all(b"[Informational] Azure-Core: Request [1] POST https://x.communication.azure.com/chat/threads?api-version=2024-03-07\n").unwrap();
        let header = "x-ms-custom-header:".to_owned() + &"v".repeat(200) + "\n";
        for _ in 0..(128 << 20) / header.len() {
            f.write_all(header.as_bytes()).unwrap();
        }
        f.write_all(b"[Informational] Azure-Core: Response [1] 201 Created (00.1s)\n")
            .unwrap();
    });
}

#[test]
#[ignore = "stress test: run with --release -- --ignored"]
fn a_web_sdk_entry_keeps_its_head_only() {
    check("console.log", |f| {
        f.write_all(b"azure:ACS-calling:info 2026-11-20T10:00:00.000Z Request: {\n")
            .unwrap();
        let line = "  \"field\": \"".to_owned() + &"v".repeat(200) + "\",\n";
        for _ in 0..(128 << 20) / line.len() {
            f.write_all(line.as_bytes()).unwrap();
        }
        f.write_all(b"}\n").unwrap();
    });
}

#[test]
#[ignore = "stress test: run with --release -- --ignored"]
fn a_portal_csv_streams() {
    check("export.csv", |f| {
        f.write_all(b"TimeGenerated [UTC],CorrelationId,ParticipantId,ParticipantEndReason,Type\n")
            .unwrap();
        for i in 0..1_200_000u32 {
            writeln!(
                f,
                "\"11/20/2026, 3:10:05.120 PM\",c0ffee01-5d1b-4a7e-9c3a-{i:012},p{i},0,ACSHealthProbe"
            )
            .unwrap();
        }
    });
}

#[test]
#[ignore = "stress test: run with --release -- --ignored"]
fn a_csv_quote_that_never_closes_is_not_held_whole() {
    // No other quote in the file: the csv reader would make all that follows one row.
    check("export.csv", |f| {
        f.write_all(b"TimeGenerated [UTC],CorrelationId,ParticipantId,ParticipantEndReason,Type\n")
            .unwrap();
        f.write_all(b"2026-11-20T15:10:05Z,c0ffee00,p,0,ACSHealthProbe\n")
            .unwrap();
        f.write_all(b"2026-11-20T15:10:05Z,\"c0ffee01,p,0,ACSHealthProbe\n")
            .unwrap();
        for i in 0..3_000_000u32 {
            writeln!(
                f,
                "2026-11-20T15:10:05Z,c0ffee01-5d1b-4a7e-9c3a-{i:012},p{i},0,ACSHealthProbe"
            )
            .unwrap();
        }
    });
}

#[test]
#[ignore = "stress test: run with --release -- --ignored"]
fn a_gzip_bomb_streams() {
    check("bomb.json.gz", |f| {
        let mut e = flate2::write::GzEncoder::new(f, flate2::Compression::best());
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..512 {
            e.write_all(&zeros).unwrap();
        }
        e.write_all(RECORD.as_bytes()).unwrap();
        e.finish().unwrap();
    });
}

#[test]
#[ignore = "stress test: run with --release -- --ignored"]
fn a_zip_bomb_member_streams() {
    check("bomb.zip", |f| {
        let mut zip = zip::ZipWriter::new(f);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        zip.start_file("PT1H.json", options).unwrap();
        let line = format!("{RECORD}\n");
        let block = line.repeat((1 << 20) / line.len());
        for _ in 0..400 {
            zip.write_all(block.as_bytes()).unwrap();
        }
        zip.start_file("spaces.json", options).unwrap();
        let spaces = vec![b' '; 1 << 20];
        for _ in 0..400 {
            zip.write_all(&spaces).unwrap();
        }
        zip.finish().unwrap();
    });
}

#[test]
#[ignore = "stress test: run with --release -- --ignored"]
fn a_tar_gz_streams_member_by_member() {
    check("logs.tgz", |f| {
        let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        let line = format!("{RECORD}\n");
        let copies = (100 << 20) / line.len();
        for i in 0..3 {
            let mut header = tar::Header::new_gnu();
            header.set_size((copies * line.len()) as u64);
            header.set_mode(0o644);
            header.set_cksum();
            // Streamed: this process must stay small, or its size shows in the child's peak.
            let lines = (0..copies).map(|_| line.as_bytes());
            let reader = LinesReader {
                lines: Box::new(lines),
                current: &[],
            };
            tar.append_data(&mut header, format!("h={i}/PT1H.json"), reader)
                .unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
    });
}

/// Reads the concatenation of many borrowed slices without holding them together.
struct LinesReader<'a> {
    lines: Box<dyn Iterator<Item = &'a [u8]> + 'a>,
    current: &'a [u8],
}

impl std::io::Read for LinesReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.lines.next() {
                Some(l) => self.current = l,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = &self.current[n..];
        Ok(n)
    }
}
