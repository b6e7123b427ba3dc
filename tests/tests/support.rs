//! `ids` and `bundle`: the IDs support asks for, and a bundle that opens, whose hashes verify, and
//! that holds exactly what support needs.

use std::io::Read;

use acs_triage_tests::{repo_path, run};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn examples() -> String {
    repo_path("examples/logs")
}

fn ids_json(args: &[&str]) -> Value {
    let mut all = vec!["ids", "--format", "json"];
    all.extend_from_slice(args);
    let r = run(&all);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

#[test]
fn ids_of_the_examples() {
    let human = run(&["ids", &examples()]);
    assert_eq!(human.code, 0);
    insta::assert_snapshot!("ids_examples_human", human.stdout);
    let doc = ids_json(&[&examples()]);
    insta::assert_json_snapshot!("ids_examples_json", doc);

    let blocked = doc["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["call_id"] == "c0ffee01-5d1b-4a7e-9c3a-1f0e2d3c4b5a")
        .unwrap();
    assert!(
        blocked["participants"]
            .as_array()
            .unwrap()
            .iter()
            .any(
                |p| p["participant_id"] == "7b2e3f4a-1c5d-4e6f-9071-8293a4b5c6d7"
                    && p["end_reason"] == "410/3112"
            )
    );
    // The client log and both service tables name the call.
    assert_eq!(blocked["files"].as_array().unwrap().len(), 3);
    let automation = doc["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["call_id"] == "c0ffee06-3c2b-4a19-8f7e-6d5c4b3a2910")
        .unwrap();
    assert_eq!(automation["server_call_ids"].as_array().unwrap().len(), 1);
    assert_eq!(
        automation["call_connection_ids"][0],
        "411f0b00-7e2d-4c1a-9b8e-5d4c3b2a1f00"
    );
    let thread = &doc["chat_threads"][0];
    assert!(
        thread["failed_requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["client_request_id"] == "4f8a9b0c-1d2e-4f3a-8b5c-6d7e8f9a0b1c")
    );
    // Phone numbers are masked.
    assert_eq!(doc["sms_messages"][0]["to"], "+1********01");
}

#[test]
fn ids_filters() {
    let call = ids_json(&[
        "--call",
        "C0FFEE04-1111-4222-8333-944455566677",
        &examples(),
    ]);
    assert_eq!(call["calls"].as_array().unwrap().len(), 1);
    assert!(call["sms_messages"].as_array().unwrap().is_empty());
    assert!(call["chat_threads"].as_array().unwrap().is_empty());

    let message = ids_json(&[
        "--message",
        "Outgoing_20261120161000a1b2c3d4-0003-4e5f-8a9b-0c1d2e3f4a5b_noam",
        &examples(),
    ]);
    assert_eq!(message["sms_messages"].as_array().unwrap().len(), 1);
    assert!(message["calls"].as_array().unwrap().is_empty());

    // Chat happened 15:40–15:44; calls from 15:12.
    let window = ids_json(&[
        "--since",
        "2026-11-20T15:39:00Z",
        "--until",
        "2026-11-20T15:45",
        &examples(),
    ]);
    assert!(window["calls"].as_array().unwrap().is_empty());
    assert_eq!(window["chat_threads"].as_array().unwrap().len(), 1);
    let day_after = ids_json(&["--since", "2026-11-21", &examples()]);
    assert!(day_after["calls"].as_array().unwrap().is_empty());

    let bad = run(&["ids", "--since", "yesterday", &examples()]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("--since yesterday: not a time"),
        "{}",
        bad.stderr
    );
}

/// The entries of a zip file, by name.
fn unzip(path: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut entries = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        entries.push((f.name().unwrap().into_owned(), bytes));
    }
    entries
}

#[test]
fn the_bundle_opens_and_its_hashes_verify() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("out/ticket.zip");
    let made = run(&["bundle", &examples(), "-o", zip_path.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(
        made.stdout.contains("12 findings at warning or above"),
        "{}",
        made.stdout
    );

    let entries = unzip(&zip_path);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    insta::assert_debug_snapshot!("bundle_entries", names);
    let get = |name: &str| {
        &entries
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .1
    };
    let text = |name: &str| String::from_utf8(get(name).clone()).unwrap();

    let manifest: Value = serde_json::from_slice(get("manifest.json")).unwrap();
    // Every other file of the bundle is listed with its hash.
    let contents = manifest["contents"].as_array().unwrap();
    assert_eq!(contents.len(), entries.len() - 1);
    for c in contents {
        let bytes = get(c["path"].as_str().unwrap());
        assert_eq!(c["sha256"], hex(bytes), "{}", c["path"]);
        assert_eq!(c["bytes"], bytes.len() as u64);
    }
    // Every input is listed; hashes match the files on disk.
    let inputs = manifest["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 12);
    for i in inputs {
        let on_disk =
            std::fs::read(std::path::Path::new(&examples()).join(i["path"].as_str().unwrap()))
                .unwrap();
        assert_eq!(i["sha256"], hex(&on_disk), "{}", i["path"]);
        assert_eq!(i["bytes"], on_disk.len() as u64);
    }
    // Versions: the tool and every bundled rule and data file.
    assert_eq!(manifest["tool"]["name"], "acs-triage");
    let rules = manifest["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["path"] == "rules/bundled/auth.toml"));
    assert!(
        rules
            .iter()
            .any(|r| r["path"] == "rules/catalog/calling_end_reasons.csv")
    );
    assert!(
        manifest["command"]
            .as_str()
            .unwrap()
            .starts_with("acs-triage analyze ")
    );

    // The native log is there, byte for byte, and the README says why.
    let native = std::fs::read(
        std::path::Path::new(&examples()).join("ios-client/acs_calling_2026-11-20.blog"),
    )
    .unwrap();
    assert_eq!(
        get("native-logs/ios-client_acs_calling_2026-11-20.blog"),
        &native
    );
    let readme = text("README.md");
    assert!(
        readme.contains("Only Microsoft can decrypt them"),
        "{readme}"
    );
    assert!(readme.contains("acs-triage analyze"), "{readme}");

    // Findings: warnings and errors only, with evidence; IDs of what they concern.
    let findings: Value = serde_json::from_slice(get("findings.json")).unwrap();
    let list = findings["findings"].as_array().unwrap();
    assert_eq!(list.len(), 12);
    assert!(list.iter().all(|f| f["severity"] != "info"));
    assert!(
        list.iter()
            .all(|f| !f["evidence"].as_array().unwrap().is_empty())
    );
    insta::assert_snapshot!("bundle_ids", text("ids.txt"));
    assert!(text("findings.md").contains("410/3112"));
    // Redacted: no full phone number.
    for (name, bytes) in &entries {
        if name.ends_with(".blog") {
            continue;
        }
        let t = String::from_utf8_lossy(bytes);
        assert!(!t.contains("+14255550123"), "{name}");
        assert!(!t.contains("+14255550101"), "{name}");
    }
}

#[test]
fn the_bundle_can_be_a_folder_but_not_a_full_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ticket");
    let made = run(&["bundle", &examples(), "-o", out.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(out.join("manifest.json").is_file());
    assert!(
        out.join("native-logs/ios-client_acs_calling_2026-11-20.blog")
            .is_file()
    );
    let again = run(&["bundle", &examples(), "-o", out.to_str().unwrap()]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("is not empty"), "{}", again.stderr);
}
