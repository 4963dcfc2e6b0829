//! The README's command blocks, run as written against real `mutual` processes.
//!
//! Every fenced block of shell in README.md is run, in order, in one session: a person's
//! device (a temporary data directory), the shell variables the README sets
//! (`G=$(mutual group create …)`) and uses (`$G`), and what the README tells a person to
//! copy from an earlier command's output (its placeholders, [`PLACEHOLDERS`]). A line
//! whose comment says it runs on the newcomer's laptop runs on a second device; `mutual
//! serve` runs in the background (on loopback, until the test ends, stopped on failure
//! too). A block that cannot run here is marked in the README, on the line before it, with
//! `<!-- readme-test: skip: REASON -->`; a block neither runnable nor marked fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use mutual_tests::Device;
use mutual_tests::serving::Serving;
use serde_json::Value;

/// What the README shows in place of text a person copies from an earlier output.
const PLACEHOLDERS: [(&str, Placeholder); 2] = [
    // `mutual join 7K3M-0Q9D-...`: the code `mutual invite create` printed.
    ("7K3M-0Q9D-...", Placeholder::InviteCode),
    // `--based-on HASH[,HASH...]`: the "heads" of the `doc show --json` before it.
    ("HASH[,HASH...]", Placeholder::Heads),
];

const SKIP: &str = "<!-- readme-test: skip:";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Placeholder {
    InviteCode,
    Heads,
}

/// A fenced block of shell in the README.
#[derive(Debug)]
struct Block {
    /// The README line of its opening fence (from 1).
    line: usize,
    /// Why it is not run, from its marker.
    skip: Option<String>,
    /// Its lines, each with its README line number.
    lines: Vec<(usize, String)>,
}

/// One line of a block, as the test runs it.
#[derive(Debug, PartialEq)]
struct Step {
    line: usize,
    /// The shell variable it sets to its output, if any.
    sets: Option<String>,
    /// The words after `mutual`, before `$VAR` and placeholders are filled in.
    words: Vec<String>,
    /// On the newcomer's laptop rather than the first person's.
    newcomer: bool,
}

fn blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    let mut before = "";
    for (n, text) in readme.lines().enumerate() {
        let trimmed = text.trim();
        if let Some(block) = open.as_mut() {
            if trimmed == "```" {
                blocks.push(open.take().unwrap());
            } else {
                block.lines.push((n + 1, text.to_owned()));
            }
        } else if let Some(info) = trimmed.strip_prefix("```") {
            assert!(
                matches!(info, "" | "sh" | "bash" | "shell" | "console"),
                "README line {}: a ```{info} block; the test runs shell blocks only",
                n + 1
            );
            let skip = before.strip_prefix(SKIP).map(|rest| {
                let reason = rest.trim_end_matches("-->").trim();
                assert!(
                    !reason.is_empty(),
                    "README line {}: a skip with no reason",
                    n + 1
                );
                reason.to_owned()
            });
            open = Some(Block {
                line: n + 1,
                skip,
                lines: Vec::new(),
            });
        }
        if !trimmed.is_empty() {
            before = trimmed;
        }
    }
    assert!(open.is_none(), "README: a block is never closed");
    blocks
}

/// The block's lines as steps; an error names a line the test cannot run.
fn steps(block: &Block) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for (line, text) in &block.lines {
        let (command, comment) = split_comment(text);
        let command = command.trim();
        if command.is_empty() {
            continue;
        }
        let (sets, command) = match command.split_once("=$(") {
            Some((var, rest)) if is_var(var) && rest.ends_with(')') => {
                (Some(var.to_owned()), &rest[..rest.len() - 1])
            }
            _ => (None, command),
        };
        let words = words(command).map_err(|e| format!("README line {line}: {e}"))?;
        if words.first().map(String::as_str) != Some("mutual") {
            return Err(format!(
                "README line {line}: “{command}” is not a `mutual` command; run it here or mark \
                 the block with {SKIP} REASON -->"
            ));
        }
        steps.push(Step {
            line: *line,
            sets,
            words: words[1..].to_vec(),
            newcomer: comment.contains("newcomer"),
        });
    }
    Ok(steps)
}

/// A line's command and its comment (from an unquoted `#` on).
fn split_comment(text: &str) -> (&str, &str) {
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted && (i == 0 || text[..i].ends_with(char::is_whitespace)) => {
                return (&text[..i], &text[i..]);
            }
            _ => {}
        }
    }
    (text, "")
}

fn is_var(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
}

/// Shell words: split at spaces, "double quotes" kept together (the README uses no other
/// quoting).
fn words(command: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    for c in command.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                word.get_or_insert_with(String::new);
            }
            c if c.is_whitespace() && !quoted => words.extend(word.take()),
            '\'' | '\\' | '`' | '|' | ';' | '&' | '<' | '>' if !quoted => {
                return Err(format!("“{c}” is shell this test does not run"));
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    if quoted {
        return Err("an unclosed quote".to_owned());
    }
    words.extend(word);
    Ok(words)
}

/// The README's session: the devices, the variables, what earlier commands printed.
struct Session {
    person: Device,
    newcomer: Option<Device>,
    vars: BTreeMap<String, String>,
    filled: BTreeMap<&'static str, String>,
    /// Every `mutual serve` started, stopped when the session ends.
    serving: Vec<Serving>,
}

impl Session {
    fn run(&mut self, step: &Step) {
        let args: Vec<String> = step.words.iter().map(|w| self.fill(step.line, w)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let device = if step.newcomer {
            self.newcomer
                .get_or_insert_with(|| Device::init("Newcomer"))
        } else {
            &self.person
        };
        if args.first() == Some(&"serve") {
            self.serving.push(Serving::start(device));
            return;
        }
        // `mutual join` shows who is in the group and asks: the person answers yes.
        let run = if args.first() == Some(&"join") {
            device.run_with_input(&args, "y\n")
        } else {
            device.run(&args)
        };
        assert!(
            run.status.success(),
            "README line {}: `mutual {}` failed ({}): {}",
            step.line,
            args.join(" "),
            run.status,
            run.stderr
        );
        let printed = run.stdout.trim().to_owned();
        if args.starts_with(&["invite", "create"]) {
            self.filled.insert(PLACEHOLDERS[0].0, printed.clone());
        }
        if let Ok(json) = serde_json::from_str::<Value>(&printed)
            && let Some(heads) = json["heads"].as_array()
        {
            let heads: Vec<&str> = heads.iter().filter_map(Value::as_str).collect();
            self.filled.insert(PLACEHOLDERS[1].0, heads.join(","));
        }
        if let Some(var) = &step.sets {
            self.vars.insert(var.clone(), printed);
        }
    }

    /// A word with its `$VAR`s and placeholders filled in from what was printed before.
    fn fill(&self, line: usize, word: &str) -> String {
        if let Some((placeholder, _)) = PLACEHOLDERS.iter().find(|(p, _)| *p == word) {
            return self.filled.get(placeholder).cloned().unwrap_or_else(|| {
                panic!("README line {line}: {placeholder} before any command printed it")
            });
        }
        let mut filled = String::new();
        let mut rest = word;
        while let Some(at) = rest.find('$') {
            filled.push_str(&rest[..at]);
            let name: String = rest[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            let value = self.vars.get(&name).unwrap_or_else(|| {
                panic!("README line {line}: ${name} is used before a command set it")
            });
            filled.push_str(value);
            rest = &rest[at + 1 + name.len()..];
        }
        filled.push_str(rest);
        filled
    }
}

fn readme() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    std::fs::read_to_string(path).expect("README.md is readable")
}

#[test]
fn every_command_block_in_the_readme_runs_as_written() {
    let readme = readme();
    let blocks = blocks(&readme);
    let mut session = Session {
        person: Device::new(),
        newcomer: None,
        vars: BTreeMap::new(),
        filled: BTreeMap::new(),
        serving: Vec::new(),
    };
    let mut ran = 0;
    for block in &blocks {
        if block.skip.is_some() {
            continue;
        }
        let steps =
            steps(block).unwrap_or_else(|e| panic!("the block at README line {}: {e}", block.line));
        for step in &steps {
            session.run(step);
        }
        ran += 1;
    }
    assert!(ran >= 3, "only {ran} of the README's blocks ran");
    // The newcomer's join brought the group.
    let newcomer = session
        .newcomer
        .as_ref()
        .expect("a block ran on the newcomer's laptop");
    let group = &session.vars["G"];
    let groups = newcomer.json(&["group", "list"]);
    assert_eq!(groups[0]["id"], group.as_str(), "{groups}");
    drop(session);
}

#[test]
fn a_block_that_cannot_run_is_refused_unless_it_is_marked() {
    let readme = "Text.\n\n```sh\nmake install   # not mutual\n```\n\n\
                  <!-- readme-test: skip: it installs things -->\n```sh\nmake install\n```\n\n\
                  ```sh\nX=$(mutual group create \"A # B\")  # on the newcomer's laptop\n```\n";
    let blocks = blocks(readme);
    assert_eq!(blocks.len(), 3);
    assert!(blocks[0].skip.is_none());
    let err = steps(&blocks[0]).unwrap_err();
    assert!(err.contains("line 4") && err.contains(SKIP), "{err}");
    assert_eq!(blocks[1].skip.as_deref(), Some("it installs things"));
    let steps = steps(&blocks[2]).unwrap();
    assert_eq!(
        steps,
        [Step {
            line: 13,
            sets: Some("X".to_owned()),
            words: vec!["group".into(), "create".into(), "A # B".into()],
            newcomer: true,
        }]
    );
}
