//! Measures the language classifiers against the labeled set in `eval/`
//! (see `eval/README.md`) and fails below the agreed floors.
//!
//! `cargo test --test evaluation -- --nocapture` prints the table. Figures
//! are given for the whole set and for the held-out third (items whose index
//! in their file is a multiple of 3), which the rules were not tuned on.
//! Set `HINDSIGHT_EVAL_MISSES=1` to list misclassified items even when the
//! floors are met.

use std::fmt::Write as _;
use std::path::Path;

use hindsight::language::{self, Lexicon};
use serde::de::DeserializeOwned;
use serde::Deserialize;

const BLAME_PRECISION: f64 = 0.90;
const BLAME_RECALL: f64 = 0.85;
const VAGUE_PRECISION: f64 = 0.90;
const VAGUE_RECALL: f64 = 0.85;
const SHALLOW_ACCURACY: f64 = 0.80;

#[derive(Deserialize)]
struct Sentences {
    sentence: Vec<Sentence>,
}

#[derive(Deserialize)]
struct Sentence {
    text: String,
    section: String,
    blame: bool,
    source: String,
}

#[derive(Deserialize)]
struct Actions {
    action: Vec<Action>,
}

#[derive(Deserialize)]
struct Action {
    text: String,
    vague: bool,
    source: String,
}

#[derive(Deserialize)]
struct Chains {
    chain: Vec<Chain>,
}

#[derive(Deserialize)]
struct Chain {
    proximate: String,
    whys: Vec<String>,
    shallow: bool,
    reason: String,
    source: String,
}

fn load<T: DeserializeOwned>(file: &str) -> T {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("eval")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Counts of one binary classifier's outcomes.
#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Counts {
    fn add(&mut self, expected: bool, got: bool) {
        match (expected, got) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn total(&self) -> usize {
        self.tp + self.fp + self.fn_ + self.tn
    }
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    fn accuracy(&self) -> f64 {
        ratio(self.tp + self.tn, self.total())
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Outcomes over the whole file and over its held-out third.
#[derive(Default)]
struct Tally {
    all: Counts,
    held_out: Counts,
    misses: Vec<String>,
}

impl Tally {
    fn add(&mut self, index: usize, expected: bool, got: bool, describe: impl FnOnce() -> String) {
        self.all.add(expected, got);
        if index % 3 == 0 {
            self.held_out.add(expected, got);
        }
        if expected != got {
            let split = if index % 3 == 0 { "held-out" } else { "tuning" };
            let label = if expected { "missed" } else { "false alarm" };
            self.misses
                .push(format!("  #{index} [{split}] {label}: {}", describe()));
        }
    }
}

fn blame_tally() -> Tally {
    let set: Sentences = load("sentences.toml");
    let lexicon = Lexicon::default();
    let mut tally = Tally::default();
    for (i, s) in set.sentence.iter().enumerate() {
        let hit = language::blame(&s.text, &lexicon);
        tally.add(i, s.blame, hit.is_some(), || {
            let why = hit.map_or(String::new(), |h| {
                format!(" <- {:?} {:?}", h.kind, h.phrase)
            });
            format!("({}, {}) {}{why}", s.section, s.source, s.text)
        });
    }
    tally
}

fn vague_tally() -> Tally {
    let set: Actions = load("actions.toml");
    let mut tally = Tally::default();
    for (i, a) in set.action.iter().enumerate() {
        let got = language::vagueness(&a.text);
        tally.add(i, a.vague, got.is_some(), || {
            let why = got.map_or(String::new(), |v| format!(" <- {v:?}"));
            format!("({}) {}{why}", a.source, a.text)
        });
    }
    tally
}

fn shallow_tally() -> Tally {
    let set: Chains = load("why_chains.toml");
    let mut tally = Tally::default();
    for (i, c) in set.chain.iter().enumerate() {
        let whys: Vec<&str> = c.whys.iter().map(String::as_str).collect();
        let got = language::shallowness(&c.proximate, &whys);
        tally.add(i, c.shallow, got.is_some(), || {
            format!(
                "({}) {} / {} whys; label reason: {}; got {got:?}",
                c.source,
                c.proximate,
                c.whys.len(),
                c.reason
            )
        });
    }
    tally
}

#[test]
fn classifiers_meet_the_floors() {
    let blame = blame_tally();
    let vague = vague_tally();
    let shallow = shallow_tally();

    let mut table = String::new();
    let _ = writeln!(
        table,
        "\n{:<10} {:<9} {:>5} {:>10} {:>7} {:>9}",
        "rule", "split", "items", "precision", "recall", "accuracy"
    );
    for (name, tally) in [("blame", &blame), ("vague", &vague), ("shallow", &shallow)] {
        for (split, c) in [("all", tally.all), ("held-out", tally.held_out)] {
            let _ = writeln!(
                table,
                "{name:<10} {split:<9} {:>5} {:>10.3} {:>7.3} {:>9.3}",
                c.total(),
                c.precision(),
                c.recall(),
                c.accuracy()
            );
        }
    }
    println!("{table}");

    let mut failures = Vec::new();
    let mut floor = |what: &str, value: f64, min: f64| {
        if value < min {
            failures.push(format!("{what} {value:.3} is below {min:.2}"));
        }
    };
    floor("blame precision", blame.all.precision(), BLAME_PRECISION);
    floor("blame recall", blame.all.recall(), BLAME_RECALL);
    floor("vague precision", vague.all.precision(), VAGUE_PRECISION);
    floor("vague recall", vague.all.recall(), VAGUE_RECALL);
    floor("shallow accuracy", shallow.all.accuracy(), SHALLOW_ACCURACY);

    let verbose = std::env::var_os("HINDSIGHT_EVAL_MISSES").is_some();
    let failed = |what: &str| failures.iter().any(|f| f.starts_with(what));
    for (name, tally) in [("blame", &blame), ("vague", &vague), ("shallow", &shallow)] {
        if (verbose || failed(name)) && !tally.misses.is_empty() {
            println!("misclassified by {name}:\n{}", tally.misses.join("\n"));
        }
    }
    assert!(
        failures.is_empty(),
        "below the floors:\n{}\n{table}",
        failures.join("\n")
    );
}
