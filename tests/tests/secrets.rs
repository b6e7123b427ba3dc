//! Planted secrets, phone numbers and message bodies never reach any output, in any format or
//! command, unless `--no-redact` asks for them; the secrets written in the logs are reported with
//! their file and line.

use std::io::Read;

use acs_triage_tests::{analyze_json, findings, repo_path, run};

/// Everything planted in tests/corpus/secrets: none may appear in any output.
const PLANTED: &[&str] = &[
    // ACS access keys (connection strings in a .NET exception and in an app log).
    "UGxhbnRlZEtleU9uZUZvclRlc3RpbmdPbmx5",
    "U2Vjb25kUGxhbnRlZEtleUZvclRlc3RpbmdPbmx5",
    // A JWT in a token response body, its signature, a SAS signature, a bearer token, a password.
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9",
    "UGxhbnRlZFNpZ25hdHVyZUZvclRlc3RpbmdPbmx5",
    "PlantedSasSignature0123456789abcdef",
    "PlantedBearerTokenValue0123456789abcdef",
    "Hunter2PlantedPassword",
    // An HMAC request signature.
    "UGxhbnRlZEhtYWNTaWduYXR1cmU",
    // Phone numbers, with and without the plus sign.
    "+14255550177",
    "+14255550199",
    "+18005550100",
    "18005550100",
    // Message bodies.
    "Your code is 4242",
    "Secret plans for Friday",
];

fn corpus() -> String {
    repo_path("tests/corpus/secrets")
}

fn rules() -> String {
    repo_path("tests/corpus/secret-rules")
}

fn assert_clean(what: &str, text: &str) {
    for planted in PLANTED {
        assert!(
            !text.contains(planted),
            "{what} shows the planted {planted:?}:\n{text}"
        );
    }
}

#[test]
fn no_output_format_shows_a_secret_phone_number_or_body() {
    for format in ["human", "json", "jsonl", "markdown", "html"] {
        // `--all`: every finding with its evidence and every input, the most any format shows.
        let r = run(&[
            "analyze",
            "--all",
            "--format",
            format,
            "--rules",
            &rules(),
            &corpus(),
        ]);
        assert!(r.code <= 1, "{format}: {}", r.stderr);
        assert!(!r.stdout.is_empty(), "{format} wrote nothing");
        assert_clean(&format!("analyze --format {format}"), &r.stdout);
        assert_clean(&format!("analyze --format {format} (stderr)"), &r.stderr);
    }
    let table = run(&["analyze", "--table", "sms/messages", &corpus()]);
    assert_clean("analyze --table", &table.stdout);
    for format in ["human", "json"] {
        let ids = run(&["ids", "--format", format, &corpus()]);
        assert_eq!(ids.code, 0, "{}", ids.stderr);
        assert_clean(&format!("ids --format {format}"), &ids.stdout);
    }
    let story = run(&[
        "analyze",
        "--call",
        "c0ffee99-0000-4000-8000-000000000099",
        "--rules",
        &rules(),
        &corpus(),
    ]);
    assert_clean("analyze --call", &story.stdout);
}

#[test]
fn bundles_hold_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("ticket.zip");
    // --no-redact does not reach into bundles.
    let made = run(&[
        "--no-redact",
        "bundle",
        "--rules",
        &rules(),
        &corpus(),
        "-o",
        zip_path.to_str().unwrap(),
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        assert_clean(&name, &text);
    }
}

#[test]
fn errors_and_echoed_input_are_redacted() {
    // `rules why` echoes the record it was given.
    let record = r#"{"category":"AuthOperational","resultSignature":401,"uri":"https://x/?sig=PlantedSasSignature0123456789abcdef","to":"+14255550177"}"#;
    let why = run(&["rules", "why", "auth-requests-failing", "--record", record]);
    assert_eq!(why.code, 0, "{}", why.stderr);
    assert_clean("rules why", &why.stdout);
    // A usage error echoes the argument.
    let usage = run(&[
        "analyze",
        "--format",
        "password=Hunter2PlantedPassword",
        &corpus(),
    ]);
    assert_eq!(usage.code, 2);
    assert_clean("usage error", &usage.stderr);
    // A rule file with a broken line that holds a key is quoted in the error.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[rule]]\nid = \"x\"\ntitle = \"t\"\nseverity = \"warning\"\nwhen = 'uri == \"endpoint=https://x/;accesskey=UGxhbnRlZEtleU9uZUZvclRlc3RpbmdPbmx5Tm90QVJlYWxLZXk=\" and'\nmessage = \"m\"\naction = \"a\"\n",
    )
    .unwrap();
    let broken = run(&["rules", "check", dir.path().to_str().unwrap()]);
    assert_eq!(broken.code, 2);
    assert!(broken.stderr.contains("bad.toml"), "{}", broken.stderr);
    assert_clean("rule file error", &broken.stderr);
}

#[test]
fn secrets_in_the_logs_are_reported_by_file_and_line() {
    let (_, doc) = analyze_json(&[&corpus()]);
    let mut seen: Vec<(String, u64, String)> = findings(&doc)
        .iter()
        .filter(|f| f["id"] == "security/secret-in-logs")
        .map(|f| {
            assert_eq!(f["severity"], "error");
            let e = &f["evidence"][0];
            (
                e["file"].as_str().unwrap().to_owned(),
                e["line"].as_u64().unwrap(),
                f["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let expected = [
        ("PT1H.json", 1, "a shared access signature (sig=)"),
        ("app.log", 2, "an ACS connection string with its access key"),
        ("app.log", 3, "a password"),
        ("app.log", 4, "a bearer token"),
        ("dotnet-identity.log", 9, "an access token (JWT)"),
        (
            "dotnet-identity.log",
            10,
            "an ACS connection string with its access key",
        ),
    ];
    assert_eq!(seen.len(), expected.len(), "{seen:#?}");
    for ((file, line, title), (want_file, want_line, want_label)) in seen.iter().zip(expected) {
        assert_eq!((file.as_str(), *line), (want_file, want_line));
        assert!(title.ends_with(want_label), "{title}");
    }
    // The HMAC signature is redacted but is no reusable secret: no finding for it.
    // The inputs list the sightings too, without values.
    let app = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "app.log")
        .unwrap();
    assert_eq!(app["secrets"]["listed"].as_array().unwrap().len(), 3);
    // Clean logs raise no such finding.
    let (_, clean) = analyze_json(&[&repo_path("examples/logs")]);
    assert!(
        findings(&clean)
            .iter()
            .all(|f| f["id"] != "security/secret-in-logs")
    );
}

#[test]
fn no_redact_shows_what_the_logs_hold() {
    // Proof that the checks above can fail: asked to, the tool prints the planted values.
    let r = run(&[
        "--no-redact",
        "analyze",
        "--details",
        "--rules",
        &rules(),
        &corpus(),
    ]);
    assert!(
        r.stdout.contains("sig=PlantedSasSignature0123456789abcdef"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("+14255550199"), "{}", r.stdout);
    // Bodies stay out even then: triage never needs them.
    assert!(!r.stdout.contains("Secret plans for Friday"));
}

/// Planted in tests/corpus/secrets-spelled: key names in other spellings, an escaped key, a
/// JWT that an excerpt would cut, a key in a file name, phone numbers as people write them.
const PLANTED_SPELLED: &[&str] = &[
    "UGxhbnRlZFNwZWxsaW5nT25lRm9yVGVzdGluZw",
    "UGxhbnRlZFNwZWxsaW5nVHdvRm9yVGVzdGluZw",
    "UGxhbnRlZFNwZWxsaW5nVGhyZWVGb3JUZXN0aW5n",
    "UGxhbnRlZFNwZWxsaW5nRm91ckZvclRlc3Rpbmc",
    "UGxhbnRlZEVzY2FwZWRLZXlGb3JUZXN0aW5nT25seQ",
    "UGxhbnRlZE5hbWVLZXlGb3JUZXN0aW5nT25seQ",
    // The JWT's payload and what a cut would leave of it.
    "eyJzdWIiOiJQbGFudGVkQ3V0Snd0In0",
    "eyJhbGciOiJSUzI1NiJ9.eyJ",
    "555-0101",
    "7946 0958",
    "7946 0959",
    "4255550102",
];

fn spelled() -> String {
    repo_path("tests/corpus/secrets-spelled")
}

fn assert_spelled_clean(what: &str, text: &str) {
    for planted in PLANTED_SPELLED {
        assert!(
            !text.contains(planted),
            "{what} shows the planted {planted:?}:\n{text}"
        );
    }
}

#[test]
fn other_spellings_escapes_cuts_and_names_hide_nothing() {
    for format in ["human", "json", "jsonl", "markdown", "html"] {
        let r = run(&["analyze", "--all", "--format", format, &spelled()]);
        assert!(r.code <= 1, "{format}: {}", r.stderr);
        assert_spelled_clean(&format!("analyze --format {format}"), &r.stdout);
    }
    let ids = run(&["ids", &spelled()]);
    assert_spelled_clean("ids", &ids.stdout);
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("ticket.zip");
    let made = run(&["bundle", &spelled(), "-o", zip_path.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut natives = 0;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        assert_spelled_clean("a bundle entry's name", &name);
        natives += usize::from(name.starts_with("native-logs/"));
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        assert_spelled_clean(&name, &String::from_utf8_lossy(&bytes));
    }
    assert_eq!(
        natives, 1,
        "the native log is in the bundle, under a masked name"
    );
    // The checks can fail: without redaction the values are there.
    let raw = run(&["--no-redact", "analyze", "--all", &spelled()]);
    assert!(
        raw.stdout.contains("eyJzdWIiOiJQbGFudGVkQ3V0Snd0In0")
            || raw.stdout.contains("+14255550102")
    );
}

#[test]
fn every_spelling_is_reported_as_a_secret_in_the_logs() {
    let (_, doc) = analyze_json(&[&spelled()]);
    let mut seen: Vec<(String, u64)> = findings(&doc)
        .iter()
        .filter(|f| f["id"] == "security/secret-in-logs")
        .flat_map(|f| {
            f["evidence"].as_array().unwrap().iter().map(|e| {
                (
                    e["file"].as_str().unwrap().to_owned(),
                    e["line"].as_u64().unwrap(),
                )
            })
        })
        .collect();
    seen.sort();
    let expected: Vec<(String, u64)> = [
        ("PT1H.json", 1),
        ("app.log", 2),
        ("app.log", 3),
        ("app.log", 4),
        ("app.log", 5),
        ("sms-send-response.json", 1),
    ]
    .iter()
    .map(|(f, l)| ((*f).to_owned(), *l))
    .collect();
    assert_eq!(seen, expected);
}
