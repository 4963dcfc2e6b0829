//! Replays the fuzz corpus kept in `fuzz/corpus/parse_code/` on stable Rust, with the same
//! checks as the `parse_code` fuzz target, so that CI keeps every input that ever mattered.
//! Files named `ok-*` must parse and `err-*` must not; others (added by the fuzzer) only
//! must not break the checks.

use std::fs;
use std::path::PathBuf;

use mutual_codes::Code;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parse_code")
}

/// The fuzz target's checks: parsing never panics, and a parsed code's text parses back to
/// it (less the addresses its text has no room for).
fn check(data: &[u8]) -> Option<Code> {
    let text = std::str::from_utf8(data).ok()?;
    let code = Code::parse(text).ok()?;
    let mut expected = code.clone();
    if let Code::Full(full) = &mut expected {
        full.addresses.truncate(full.addresses_that_fit());
    }
    assert_eq!(Code::parse(&code.to_text()), Ok(expected));
    Some(code)
}

#[test]
fn every_corpus_file_passes_the_fuzz_checks() {
    let mut files = 0;
    for entry in fs::read_dir(corpus_dir()).expect("the corpus directory is readable") {
        let path = entry.expect("a corpus entry is readable").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = fs::read(&path).expect("a corpus file is readable");
        let parsed = check(&data);
        if name.starts_with("ok-") {
            assert!(parsed.is_some(), "{name} should parse");
        } else if name.starts_with("err-") {
            assert!(parsed.is_none(), "{name} should not parse");
        }
        files += 1;
    }
    assert!(files >= 10, "only {files} corpus files");
}

#[test]
fn an_oversized_full_code_parses_and_reencodes_shorter() {
    let data = fs::read(corpus_dir().join("ok-full-over-399-chars.txt")).unwrap();
    assert!(data.len() > mutual_codes::MAX_FULL_CHARS);
    let Some(Code::Full(code)) = check(&data) else {
        panic!("the corpus's oversized full code parses");
    };
    assert_eq!(code.addresses.len(), 9);
    assert!(code.addresses_that_fit() < 9);
}
