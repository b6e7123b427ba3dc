//! `acs-triage bundle`: what an Azure support request needs, in one zip file or folder — the
//! warnings and errors with their evidence, the IDs of the calls, messages and threads they
//! concern, a manifest of the inputs (sizes, SHA-256), the tool and rule versions, the command
//! that reproduces the analysis, and the encrypted native SDK logs. Every text in it is
//! redacted, whatever `--no-redact` says.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use acs_triage_core::Severity;
use acs_triage_core::engine::RunOptions;
use acs_triage_core::ingest::FileStatus;
use acs_triage_core::redact::redact;
use acs_triage_core::walk::InputFile;
use acs_triage_support::IdFilter;
use clap::Args;
use miette::miette;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::CommandResult;
use crate::commands::analyze::{enabled_analyzers, run_analyzers};
use crate::commands::ids;
use crate::render::{self, Report, TOOL, ToolInfo};
use crate::setup::{self, SetupArgs};

#[derive(Debug, Args)]
pub struct BundleArgs {
    /// Log files or folders to read.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Where to write: a `.zip` file (must not exist), or a folder (created; must be empty if it
    /// exists).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Replace an existing `.zip`, or write into a folder that is not empty.
    #[arg(long)]
    pub force: bool,
    /// Worker threads (default: one per core; at most 256).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=acs_triage_core::engine::MAX_THREADS as i64))]
    pub threads: Option<u16>,
    /// Follow symbolic links inside folders.
    #[arg(long)]
    pub follow_symlinks: bool,
    #[command(flatten)]
    pub setup: SetupArgs,
}

/// One file in the bundle or one input, with its size and SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct Hashed {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// An input file as the manifest lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestInput {
    pub path: String,
    pub status: FileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    pub records: u64,
    pub rejected: u64,
    pub bytes: u64,
    /// SHA-256 of the file as it is on disk (compressed files: of the compressed bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub tool: ToolInfo,
    pub created: String,
    /// The command that reproduces the analysis (run where the logs are).
    pub command: String,
    /// Bundled rule files and data tables, and the user's rule files, with their SHA-256.
    pub rules: Vec<Hashed>,
    pub inputs: Vec<ManifestInput>,
    /// Every other file of the bundle.
    pub contents: Vec<Hashed>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn sha256_file(path: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

fn sha256_input(input: &InputFile) -> io::Result<String> {
    let mut hasher = Sha256::new();
    input.read_with(&mut |r| io::copy(r, &mut hasher).map(|_| ()))?;
    Ok(format!("{:x}", hasher.finalize()))
}

fn read_input(input: &InputFile) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input.read_with(&mut |r| r.read_to_end(&mut bytes).map(|_| ()))?;
    Ok(bytes)
}

/// Where the bundle goes.
enum Sink {
    Zip(Box<zip::ZipWriter<File>>),
    Folder(PathBuf),
}

impl Sink {
    fn open(out: &Path, force: bool) -> Result<Sink, crate::Failure> {
        let is_zip = out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        if is_zip {
            if out.exists() && !force {
                return Err(miette!(
                    help = "give a new path, or --force to replace it",
                    "{} exists already",
                    out.display()
                )
                .into());
            }
            if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| miette!("cannot create {}: {e}", parent.display()))?;
            }
            let file =
                File::create(out).map_err(|e| miette!("cannot create {}: {e}", out.display()))?;
            return Ok(Sink::Zip(Box::new(zip::ZipWriter::new(file))));
        }
        if out.exists() {
            let empty = std::fs::read_dir(out)
                .map_err(|e| miette!("cannot read {}: {e}", out.display()))?
                .next()
                .is_none();
            if !empty && !force {
                return Err(miette!(
                    help =
                        "give a new folder or a path ending in .zip, or --force to write into it",
                    "{} is not empty",
                    out.display()
                )
                .into());
            }
        }
        std::fs::create_dir_all(out)
            .map_err(|e| miette!("cannot create {}: {e}", out.display()))?;
        Ok(Sink::Folder(out.to_path_buf()))
    }

    /// Adds a file whose bytes `write` produces, without holding them: (bytes, SHA-256).
    fn add_with(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<(u64, String)> {
        match self {
            Sink::Zip(zip) => {
                zip.start_file(name, Self::zip_options())
                    .map_err(io::Error::other)?;
                let mut hashing = Hashing::new(zip.as_mut());
                write(&mut hashing)?;
                Ok(hashing.finish())
            }
            Sink::Folder(dir) => {
                let path = dir.join(name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let mut hashing = Hashing::new(io::BufWriter::new(File::create(path)?));
                write(&mut hashing)?;
                hashing.inner.flush()?;
                Ok(hashing.finish())
            }
        }
    }

    /// The fastest deflate level: the texts still shrink about sevenfold, in a third of the
    /// default level's time.
    fn zip_options() -> zip::write::SimpleFileOptions {
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Zip(zip) => zip.finish().map(|_| ()).map_err(io::Error::other),
            Sink::Folder(_) => Ok(()),
        }
    }
}

/// Passes bytes on, counting and hashing them.
struct Hashing<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> (u64, String) {
        (self.bytes, format!("{:x}", self.hasher.finalize()))
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The bundle's files, kept with their hashes for the manifest.
struct Contents {
    sink: Sink,
    hashed: Vec<Hashed>,
}

impl Contents {
    /// Adds a text file, redacted.
    fn text(&mut self, name: &str, text: &str) -> io::Result<()> {
        self.text_with(name, |out| out.write_all(text.as_bytes()))
    }

    /// Adds a text file written by `write`, redacted on the way (in large line-aligned pieces,
    /// on every thread): the text is never held whole.
    fn text_with(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        self.entry(name, |out| {
            let mut redacting = io::BufWriter::with_capacity(
                8 << 20,
                acs_triage_core::redact::RedactingWriter::new(out),
            );
            write(&mut redacting)?;
            redacting.flush()
        })
    }

    /// Adds a file as it is.
    fn bytes(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.entry(name, |out| out.write_all(bytes))
    }

    /// Adds a file whose bytes `write` produces, and its size and hash for the manifest. Its
    /// name is redacted: a log's file name can hold a key or a phone number too.
    fn entry(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        let name = redact(name);
        let (bytes, sha256) = self.sink.add_with(&name, write)?;
        self.hashed.push(Hashed {
            path: name.into_owned(),
            bytes,
            sha256,
        });
        Ok(())
    }
}

/// Quotes a command-line argument for a POSIX shell when it needs it.
fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

pub fn run(
    args: BundleArgs,
    out: &mut dyn Write,
    err_is_terminal: bool,
    no_redact: bool,
) -> CommandResult {
    if no_redact {
        writeln!(
            out,
            "Note: a bundle is always redacted (it is made to be sent); --no-redact does not apply to it."
        )
        .map_err(|e| miette!("{e}"))?;
    }
    let setup = setup::load(&args.setup)?;
    let options = RunOptions {
        threads: crate::report_threads(args.threads),
        follow_symlinks: args.follow_symlinks,
        limits: setup.limits.clone(),
        order_seed: None,
        ..RunOptions::default()
    };
    let bar = crate::progress::Bar::new(err_is_terminal);
    let analysis = run_analyzers(
        &args.paths,
        &setup,
        enabled_analyzers(&setup),
        &options,
        &bar,
    )?;
    drop(bar);

    // The entities the warnings and errors concern: their IDs go in (gathered once the findings
    // are written and let go, so the two never take memory together).
    let named = ids::named_by_failures(&analysis.findings);

    let walked = acs_triage_core::walk::walk(
        &args.paths,
        args.follow_symlinks,
        options.limits.max_archive_members,
    )
    .map_err(|e| miette!("{e}"))?;
    let by_path: std::collections::HashMap<&str, &InputFile> = walked
        .files
        .iter()
        .map(|f| (f.display.as_str(), f))
        .collect();
    // Every input is hashed for the manifest: in parallel, as reading was.
    let hashes: Vec<Option<Result<String, String>>> = {
        use rayon::prelude::*;
        let hash = || {
            analysis
                .files
                .par_iter()
                .map(|report| {
                    by_path.get(report.path.as_str()).map(|f| {
                        sha256_input(f).map_err(|e| format!("cannot read {}: {e}", f.display))
                    })
                })
                .collect()
        };
        match rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads.unwrap_or(0))
            .build()
        {
            Ok(pool) => pool.install(hash),
            Err(_) => hash(),
        }
    };
    let mut inputs = Vec::new();
    let mut natives = Vec::new();
    for (report, hash) in analysis.files.iter().zip(hashes) {
        let real = by_path.get(report.path.as_str()).copied();
        let sha256 = hash.transpose().map_err(|e| miette!("{e}"))?;
        if report.status == FileStatus::NativeSdkLog
            && let Some(f) = real
        {
            natives.push((report.path.clone(), f.clone()));
        }
        inputs.push(ManifestInput {
            path: report.path.clone(),
            status: report.status,
            format: report.format.clone(),
            records: report.records,
            rejected: report.rejected,
            bytes: report.bytes,
            sha256,
        });
    }

    let mut command = vec!["acs-triage".to_owned(), "analyze".to_owned()];
    command.extend(
        args.paths
            .iter()
            .map(|p| shell_quote(&p.display().to_string())),
    );
    for r in &args.setup.rules {
        command.push("--rules".to_owned());
        command.push(shell_quote(&r.display().to_string()));
    }
    if let Some(c) = &args.setup.config {
        command.push("--config".to_owned());
        command.push(shell_quote(&c.display().to_string()));
    }
    let command = command.join(" ");

    let mut rules: Vec<Hashed> = acs_triage_core::bundled_data()
        .into_iter()
        .map(|(name, text)| Hashed {
            path: name,
            bytes: text.len() as u64,
            sha256: sha256_hex(text.as_bytes()),
        })
        .collect();
    let user_files: BTreeSet<&str> = setup
        .rules
        .iter()
        .chain(&setup.disabled_rules)
        .map(|r| r.file.as_str())
        .filter(|f| !f.starts_with("rules/bundled/"))
        .collect();
    for file in user_files {
        if let Ok(hash) = sha256_file(Path::new(file)) {
            rules.push(Hashed {
                path: file.to_owned(),
                bytes: std::fs::metadata(file).map(|m| m.len()).unwrap_or(0),
                sha256: hash,
            });
        }
    }

    let summary = analysis.summary.clone();
    let mut analysis = analysis;
    analysis
        .findings
        .retain(|f| f.severity >= Severity::Warning);
    let mut report = Report::new(analysis);
    // A support engineer reads the evidence: the ticket gets every finding with it.
    report.detail = render::Detail::Details;
    report.redact();
    report.neutralize_controls();
    let findings_count = report.findings.len();

    let mut contents = Contents {
        sink: Sink::open(&args.output, args.force)?,
        hashed: Vec::new(),
    };
    // One large text at a time.
    let findings_written = (|| -> io::Result<()> {
        contents.text_with("findings.md", |out| render::markdown::render(&report, out))?;
        contents.text_with("findings.json", |out| {
            render::json::render(&mut report, out)
        })
    })();
    findings_written.map_err(|e| miette!("cannot write {}: {e}", args.output.display()))?;
    drop(report);
    let support_ids = ids::gather(
        &args.paths,
        IdFilter {
            only: Some(named),
            ..IdFilter::default()
        },
        &setup,
        &options,
    )?;
    let written = (|| -> io::Result<()> {
        contents.text_with("ids.json", |out| {
            serde_json::to_writer_pretty(&mut *out, &support_ids).map_err(io::Error::other)?;
            out.write_all(b"\n")
        })?;
        contents.text_with("ids.txt", |out| {
            ids::human(&support_ids, &mut render::styled(out, false))
        })?;
        for (display, real) in &natives {
            let bytes = read_input(real)?;
            let name = format!("native-logs/{}", display.replace(['/', '\\'], "_"));
            contents.bytes(&name, &bytes)?;
        }
        let readme = readme(&command, findings_count, &summary, &support_ids, &natives);
        contents.text("README.md", &readme)?;
        let manifest = Manifest {
            tool: TOOL,
            created: acs_triage_core::time::format_timestamp(&chrono::Utc::now()),
            command: command.clone(),
            rules,
            inputs,
            contents: contents.hashed.clone(),
        };
        let manifest = serde_json::to_string_pretty(&manifest).map_err(io::Error::other)?;
        let redacted: String = manifest
            .split_inclusive('\n')
            .map(|l| redact(l).into_owned())
            .collect();
        // The manifest lists the other files' hashes, not its own.
        contents.sink.add_with("manifest.json", |out| {
            out.write_all(redacted.as_bytes())?;
            out.write_all(b"\n")
        })?;
        Ok(())
    })();
    written
        .and_then(|_| contents.sink.finish())
        .map_err(|e| miette!("cannot write {}: {e}", args.output.display()))?;
    let count = |n: usize, one: &str, many: &str| render::plural(n as u64, one, many);
    writeln!(
        out,
        "Wrote {} ({} at warning or above; IDs of {}, {} and {}{}).",
        args.output.display(),
        count(findings_count, "finding", "findings"),
        count(support_ids.calls.len(), "call", "calls"),
        count(
            support_ids.sms_messages.len(),
            "SMS message",
            "SMS messages"
        ),
        count(
            support_ids.chat_threads.len(),
            "chat thread",
            "chat threads"
        ),
        if natives.is_empty() {
            String::new()
        } else {
            format!(
                ", {}",
                count(natives.len(), "native SDK log", "native SDK logs")
            )
        }
    )
    .map_err(|e| miette!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}

fn readme(
    command: &str,
    findings: usize,
    summary: &acs_triage_core::engine::Summary,
    ids: &acs_triage_support::SupportIds,
    natives: &[(String, InputFile)],
) -> String {
    let mut s = String::new();
    s.push_str("# Azure Communication Services: logs triaged by acs-triage\n\n");
    s.push_str(&format!(
        "This bundle was made by {} {} from {} input files ({} records). It holds what the \
         logs show about the problem, not the logs themselves. Every text file is redacted: \
         access keys, connection strings, tokens, signatures and Authorization values are \
         replaced by [REDACTED], phone numbers are masked to their country code and last \
         digits, message bodies are left out. Call, participant, server call, MS-CV, message \
         and thread IDs are intact.\n\n",
        TOOL.name, TOOL.version, summary.files, summary.records
    ));
    s.push_str("## Files\n\n");
    s.push_str(&format!(
        "- `findings.md`: the {findings} findings at warning or error level: what happened, the \
         recommended action, the IDs involved and a short excerpt of each evidence record (file, \
         line, time).\n"
    ));
    s.push_str("- `findings.json`: the same findings as JSON (schema: docs/json-output.md of acs-triage).\n");
    s.push_str(&format!(
        "- `ids.txt`, `ids.json`: the IDs support asks for, for the {}, {} and {} those findings \
         concern: participants and end reasons, server call IDs, call connection IDs, message \
         statuses, failing chat requests with MS-CV and client request ID, with first and last \
         time and the files they came from.\n",
        render::plural(ids.calls.len() as u64, "call", "calls"),
        render::plural(ids.sms_messages.len() as u64, "SMS message", "SMS messages"),
        render::plural(ids.chat_threads.len() as u64, "chat thread", "chat threads")
    ));
    if !natives.is_empty() {
        s.push_str(&format!(
            "- `native-logs/`: {} (`.blog`/`.etl`, encrypted), copied as they are. Only Microsoft \
             can decrypt them: support needs them, with the call ID, participant ID and time of \
             the problem.\n",
            render::plural(
                natives.len() as u64,
                "native Calling SDK log",
                "native Calling SDK logs"
            )
        ));
    }
    s.push_str(
        "- `manifest.json`: the tool and rule versions (SHA-256 of every bundled rule file and \
         code table), every input file with its size and SHA-256, and the size and SHA-256 of \
         every other file in this bundle.\n\n",
    );
    s.push_str("## Reproduce\n\nWith the same logs, where they are:\n\n```\n");
    s.push_str(command);
    s.push_str("\n```\n");
    s
}
