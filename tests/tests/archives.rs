//! Archives are read like the folders they hold: the same findings from a zip, a tar or a
//! tar.gz of the sample logs as from the folder itself, with member paths in the evidence;
//! copies counted once; what cannot be read said.

use std::io::Write;
use std::path::{Path, PathBuf};

use acs_triage_tests::{analyze_json, findings, input, repo_path};
use serde_json::Value;

/// Every file under `dir`, with its path relative to it, in name order.
fn files_under(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, path));
            }
        }
    }
    out.sort();
    out
}

fn zip_of(dir: &Path, to: &Path) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, path) in files_under(dir) {
        zip.start_file(name, options).unwrap();
        zip.write_all(&std::fs::read(path).unwrap()).unwrap();
    }
    zip.finish().unwrap();
}

fn tar_of(dir: &Path) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, path) in files_under(dir) {
        tar.append_path_with_name(path, name).unwrap();
    }
    tar.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Findings as `(id, code, count)`, sorted: what must not change with the packaging.
fn verdicts(doc: &Value) -> Vec<(String, String, u64)> {
    let mut v: Vec<(String, String, u64)> = findings(doc)
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap_or("").to_owned(),
                f["count"].as_u64().unwrap_or(1),
            )
        })
        .collect();
    v.sort();
    v
}

fn examples() -> PathBuf {
    PathBuf::from(repo_path("examples/logs"))
}

#[test]
fn zip_tar_and_tar_gz_give_the_folders_findings() {
    let (_, folder) = analyze_json(&[examples().to_str().unwrap()]);
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("logs.zip");
    zip_of(&examples(), &zip);
    let tar = dir.path().join("logs.tar");
    std::fs::write(&tar, tar_of(&examples())).unwrap();
    let tgz = dir.path().join("logs.tgz");
    std::fs::write(&tgz, gzip(&tar_of(&examples()))).unwrap();
    for archive in [&zip, &tar, &tgz] {
        let (_, doc) = analyze_json(&[archive.to_str().unwrap()]);
        assert_eq!(verdicts(&doc), verdicts(&folder), "{}", archive.display());
        assert_eq!(doc["summary"]["records"], folder["summary"]["records"]);
        let shown = format!("{}!/", archive.display());
        for i in doc["inputs"].as_array().unwrap() {
            assert!(i["path"].as_str().unwrap().starts_with(&shown), "{i:#}");
        }
        let evidence = &findings(&doc)[0]["evidence"][0]["file"];
        assert!(evidence.as_str().unwrap().starts_with(&shown), "{evidence}");
    }
}

#[test]
fn an_archive_beside_its_own_contents_counts_each_record_once() {
    let (_, folder) = analyze_json(&[examples().to_str().unwrap()]);
    let dir = tempfile::tempdir().unwrap();
    zip_of(&examples(), &dir.path().join("download.zip"));
    std::fs::write(
        dir.path().join("download.tar.gz"),
        gzip(&tar_of(&examples())),
    )
    .unwrap();
    let (_, doc) = analyze_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(verdicts(&doc), verdicts(&folder));
    assert_eq!(doc["summary"]["records"], folder["summary"]["records"]);
    assert!(doc["summary"]["duplicates"].as_u64().unwrap() > 0);
}

#[test]
fn what_an_archive_cannot_give_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A zip inside a zip.
    let inner = d.join("inner.zip");
    zip_of(&examples(), &inner);
    let outer = d.join("outer.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&outer).unwrap());
        zip.start_file("inner.zip", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&std::fs::read(&inner).unwrap()).unwrap();
        zip.finish().unwrap();
    }
    std::fs::remove_file(&inner).unwrap();
    // A cut zip: the central directory at its end is gone.
    let cut = d.join("cut.zip");
    zip_of(&examples(), &cut);
    let bytes = std::fs::read(&cut).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    // A cut tar.gz: the members before the cut are read.
    let tgz = gzip(&tar_of(&examples()));
    std::fs::write(d.join("cut.tgz"), &tgz[..tgz.len() * 3 / 4]).unwrap();

    let (_, doc) = analyze_json(&[d.to_str().unwrap()]);
    let nested = input(&doc, "outer.zip!/inner.zip");
    assert_eq!(nested["status"], "unrecognized");
    assert!(
        nested["note"]
            .as_str()
            .unwrap()
            .contains("an archive inside an archive")
    );
    let cut = input(&doc, "cut.zip");
    assert_eq!(cut["status"], "unreadable");
    assert!(
        cut["note"]
            .as_str()
            .unwrap()
            .contains("zip archive that cannot be read")
    );
    let tgz_inputs: Vec<&Value> = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["path"].as_str().unwrap().starts_with("cut.tgz"))
        .collect();
    assert!(
        tgz_inputs
            .iter()
            .any(|i| i["records"].as_u64().unwrap() > 0),
        "members before the cut are read: {tgz_inputs:#?}"
    );
    assert!(
        tgz_inputs.iter().any(|i| i["note"]
            .as_str()
            .is_some_and(|n| n.contains("damaged or cut"))
            || i["status"] == "unreadable"),
        "the cut is said: {tgz_inputs:#?}"
    );
}

#[test]
fn members_past_the_limit_are_listed_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("logs.zip");
    zip_of(&examples(), &zip);
    let config = dir.path().join("acs-triage.toml");
    std::fs::write(&config, "[ingest]\nmax_archive_members = 3\n").unwrap();
    let (_, doc) = analyze_json(&["--config", config.to_str().unwrap(), zip.to_str().unwrap()]);
    let inputs = doc["inputs"].as_array().unwrap();
    let read = inputs.iter().filter(|i| i["status"] == "parsed").count();
    let past: Vec<&Value> = inputs
        .iter()
        .filter(|i| {
            i["note"]
                .as_str()
                .is_some_and(|n| n.contains("max_archive_members"))
        })
        .collect();
    assert_eq!(read, 3);
    assert_eq!(
        read + past.len(),
        files_under(&examples()).len(),
        "{inputs:#?}"
    );
}
