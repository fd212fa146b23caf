//! The search index: the files the search page's script (`search.js` in the
//! theme) queries, built in parallel from the search records.
//!
//! Under `search-index/`:
//! - `meta.json`: the format version, the build's stamp (a hash of every
//!   record), the number of documents and the shard keys;
//! - `terms/<key>.hsi`: `{build, body}`, the body holding every word in the
//!   shard `key` (the word's first two characters, or three where two would
//!   make a large shard; the file name is the key's UTF-8 bytes in hex),
//!   each with its postings;
//! - `doc/<n>.hsi`: one document's address, facts and text, for its result
//!   and excerpt;
//! - `filter/<facet>.hsi`: `{build, body}`, the body holding each value of
//!   the facet with its documents.
//!
//! Words are the text's runs of letters and digits after NFC normalisation
//! and lower-casing; runs of Han and kana, written without spaces, are
//! indexed as each character and each overlapping pair of characters. Documents are numbered oldest
//! first (a new post-mortem leaves the others' files as they were), so a
//! listing newest first is the numbers in descending order. A posting list
//! is a JSON array of `gap * 16 + weight`: the gap to the previous document
//! number (the first counts from -1) and a BM25 term weight quantised to
//! 1..=15. A document list is the gaps alone. The script adds the stamp to
//! every address it fetches, and a shard or facet file of another build
//! makes it reload the index. The `.hsi` files are gzipped JSON; the script
//! also accepts them already decompressed, as a host that sends them with a
//! gzip content encoding would leave them.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use rayon::prelude::*;
use serde::Serialize;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use crate::output::OutputFile;
use crate::search::Record;

/// Where the index lives in the output.
pub const DIR: &str = "search-index";

/// Changes when the script must read the files differently.
const VERSION: u32 = 1;

/// Shorter words are not indexed (the script ignores them in a query too).
const MIN_WORD: usize = 2;
/// Longer ones (hashes, identifiers, encoded data) are indexed by their
/// start, as the script reads them in a query.
const MAX_WORD: usize = 40;
/// A two-character shard with more postings is split by the third character.
const SPLIT_POSTINGS: usize = 30_000;
/// A word in the title counts as this many occurrences in the text.
const TITLE_WEIGHT: u32 = 3;
/// BM25's term-frequency saturation and length normalisation.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// `text` as the search page reads a query: in NFC (an editor may have
/// saved decomposed accents), lower-cased, with the two folds below.
fn normalised(text: &str) -> String {
    let lower = if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        text.to_lowercase()
    } else {
        text.nfc().collect::<String>().to_lowercase()
    };
    // Turkish İ lower-cases to i and a combining dot; a final sigma is a
    // sigma wherever the word ends.
    if lower.contains(['\u{307}', 'ς']) {
        lower.replace("i\u{307}", "i").replace('ς', "σ")
    } else {
        lower
    }
}

/// Letters, digits and the marks that combine with them (a Hindi virama
/// joins two consonants of one word).
fn in_word(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        c.is_alphanumeric() || is_combining_mark(c)
    }
}

/// Han, Hiragana and Katakana, written without spaces between words: their
/// runs are indexed as each character and each overlapping pair of
/// characters, so a word inside a sentence is found by its pairs.
fn unspaced(c: char) -> bool {
    matches!(c,
        '\u{3005}' | '\u{3040}'..='\u{30ff}' | '\u{31f0}'..='\u{31ff}' | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2fa1f}')
}

/// The words of a `normalised` text as the search page splits a query: runs
/// of `in_word` characters of at least `MIN_WORD` (the first `MAX_WORD` of a
/// longer one), and the characters and pairs of `unspaced` runs.
fn each_word<'t>(lower: &'t str, mut word: impl FnMut(&'t str)) {
    for run in lower.split(|c: char| !in_word(c)) {
        let mut rest = run;
        if run.is_ascii() {
            if run.len() >= MIN_WORD {
                word(&run[..run.len().min(MAX_WORD)]);
            }
            continue;
        }
        while let Some(first) = rest.chars().next() {
            let kind = unspaced(first);
            let end = rest
                .char_indices()
                .find(|&(_, c)| unspaced(c) != kind)
                .map_or(rest.len(), |(i, _)| i);
            let (segment, after) = rest.split_at(end);
            rest = after;
            if !kind {
                match segment.char_indices().nth(MAX_WORD) {
                    Some((cut, _)) => word(&segment[..cut]),
                    None if segment.chars().count() >= MIN_WORD => word(segment),
                    None => {}
                }
                continue;
            }
            let mut bounds: Vec<usize> = segment.char_indices().map(|(i, _)| i).collect();
            bounds.push(segment.len());
            for one in bounds.windows(2) {
                word(&segment[one[0]..one[1]]);
            }
            for pair in bounds.windows(3) {
                word(&segment[pair[0]..pair[2]]);
            }
        }
    }
}

/// A word's documents with its weighted count in each, in document order.
type Postings = Vec<(u32, u32)>;

/// A document's words with their weighted counts, and its length in words.
struct Counted {
    terms: Vec<(String, u32)>,
    length: u32,
}

fn count(record: &Record) -> Counted {
    let content = normalised(&record.content);
    let title = normalised(record.meta.get("title").map_or("", String::as_str));
    let mut terms: HashMap<&str, u32> = HashMap::new();
    let mut length = 0;
    each_word(&content, |word| {
        *terms.entry(word).or_default() += 1;
        length += 1;
    });
    each_word(&title, |word| {
        *terms.entry(word).or_default() += TITLE_WEIGHT - 1;
    });
    Counted {
        terms: terms
            .into_iter()
            .map(|(word, n)| (word.to_string(), n))
            .collect(),
        length,
    }
}

#[derive(Serialize)]
struct Doc<'a> {
    url: &'a str,
    meta: &'a BTreeMap<String, String>,
    text: &'a str,
}

/// A shard's or facet file's content with the build it belongs to.
#[derive(Serialize)]
struct Stamped<'a, T> {
    build: &'a str,
    body: T,
}

#[derive(Serialize)]
struct Meta<'a> {
    version: u32,
    build: String,
    docs: usize,
    keys: Vec<&'a str>,
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::default());
    encoder
        .write_all(bytes)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

fn json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("the index's values are plain data")
}

fn stamp(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// The shard a word is in: its first three characters when that shard
/// exists, else its first two.
fn shard_of(word: &str, split: &HashSet<String>) -> String {
    let three: String = word.chars().take(3).collect();
    if split.contains(&three) {
        three
    } else {
        word.chars().take(2).collect()
    }
}

/// Document numbers, ascending, as gaps from the one before (the first
/// from -1).
fn gaps(docs: impl Iterator<Item = u32>) -> impl Iterator<Item = u64> {
    let mut previous: i64 = -1;
    docs.map(move |doc| {
        let gap = (i64::from(doc) - previous) as u64;
        previous = i64::from(doc);
        gap
    })
}

/// Gaps and weights of one word's postings (`(document, weighted count)`,
/// in document order).
fn encode(postings: &[(u32, u32)], lengths: &[u32], average: f32) -> Vec<u64> {
    gaps(postings.iter().map(|&(doc, _)| doc))
        .zip(postings)
        .map(|(gap, &(doc, tf))| {
            let tf = tf as f32;
            let norm = 1.0 - B + B * lengths[doc as usize] as f32 / average;
            let score = tf * (K1 + 1.0) / (tf + K1 * norm);
            let weight = (score / (K1 + 1.0) * 15.0).round().clamp(1.0, 15.0) as u64;
            gap * 16 + weight
        })
        .collect()
}

/// Writes the index of `records` to `sink`, file by file as each is made;
/// returns the number of files. The first error `sink` returns stops it.
pub fn write<E: Send>(
    mut records: Vec<Record>,
    sink: &(dyn Fn(OutputFile) -> Result<(), E> + Sync),
) -> Result<usize, E> {
    records.sort_unstable_by(|a, b| a.started.cmp(&b.started).then(a.url.cmp(&b.url)));

    // Each document's file goes out as soon as it is made; its words stay.
    let counted: Vec<(Counted, u64)> = records
        .par_iter()
        .enumerate()
        .map(|(n, record)| {
            let bytes = gzip(&json(&Doc {
                url: &record.url,
                meta: &record.meta,
                text: &record.content,
            }));
            let stamp = stamp(&bytes) ^ stamp(&json(&record.filters)).rotate_left(1);
            sink(OutputFile {
                path: format!("{DIR}/doc/{n}.hsi"),
                bytes,
            })?;
            Ok((count(record), stamp))
        })
        .collect::<Result<_, E>>()?;
    let lengths: Vec<u32> = counted.iter().map(|(c, _)| c.length).collect();
    let average = (lengths.iter().map(|&l| u64::from(l)).sum::<u64>() as f32
        / lengths.len().max(1) as f32)
        .max(1.0);
    // Every shard and facet file carries it: a page opened before a new
    // build was deployed sees the change and reloads the index.
    let build = format!(
        "{:016x}",
        counted
            .iter()
            .fold(records.len() as u64, |acc, (_, s)| acc.rotate_left(5) ^ s)
    );

    // Inverted: word → postings in document order (each piece of the fold
    // covers consecutive documents; the merge keeps them in order).
    let mut inverted: HashMap<String, Postings> = counted
        .into_par_iter()
        .enumerate()
        .fold(
            HashMap::new,
            |mut map: HashMap<String, Vec<_>>, (n, (c, _))| {
                for (word, tf) in c.terms {
                    map.entry(word).or_default().push((n as u32, tf));
                }
                map
            },
        )
        .reduce(HashMap::new, |mut a, mut b| {
            if a.len() < b.len() {
                std::mem::swap(&mut a, &mut b);
            }
            for (word, postings) in b {
                a.entry(word).or_default().extend(postings);
            }
            a
        });
    inverted
        .par_iter_mut()
        .for_each(|(_, postings)| postings.sort_unstable());

    // Shards: by two characters, split by three where large.
    let mut sizes: HashMap<String, usize> = HashMap::new();
    for (word, postings) in &inverted {
        *sizes.entry(word.chars().take(2).collect()).or_default() += postings.len();
    }
    let split: HashSet<String> = inverted
        .keys()
        .filter(|word| word.chars().count() > 2)
        .filter(|word| sizes[&word.chars().take(2).collect::<String>()] > SPLIT_POSTINGS)
        .map(|word| word.chars().take(3).collect())
        .collect();
    let mut shards: BTreeMap<String, Vec<(&String, &Postings)>> = BTreeMap::new();
    for (word, postings) in &inverted {
        shards
            .entry(shard_of(word, &split))
            .or_default()
            .push((word, postings));
    }
    shards
        .par_iter_mut()
        .map(|(key, words)| {
            words.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let words: BTreeMap<&str, Vec<u64>> = words
                .iter()
                .map(|(word, postings)| (word.as_str(), encode(postings, &lengths, average)))
                .collect();
            sink(OutputFile {
                path: format!("{DIR}/terms/{}.hsi", hex(key)),
                bytes: gzip(&json(&Stamped {
                    build: &build,
                    body: words,
                })),
            })
        })
        .collect::<Result<(), E>>()?;

    let filters = filters(&records);
    for (facet, values) in &filters {
        sink(OutputFile {
            path: format!("{DIR}/filter/{facet}.hsi"),
            bytes: gzip(&json(&Stamped {
                build: &build,
                body: values,
            })),
        })?;
    }
    let meta = Meta {
        version: VERSION,
        build: build.clone(),
        docs: records.len(),
        keys: shards.keys().map(String::as_str).collect(),
    };
    sink(OutputFile {
        path: format!("{DIR}/meta.json"),
        bytes: json(&meta),
    })?;
    Ok(records.len() + shards.len() + filters.len() + 1)
}

/// For each facet, each value's documents as gaps (the first from -1).
fn filters(records: &[Record]) -> BTreeMap<&str, BTreeMap<&str, Vec<u64>>> {
    let mut docs: BTreeMap<&str, BTreeMap<&str, Vec<u32>>> = BTreeMap::new();
    for (n, record) in records.iter().enumerate() {
        for (facet, values) in &record.filters {
            for value in values {
                docs.entry(facet.as_str())
                    .or_default()
                    .entry(value.as_str())
                    .or_default()
                    .push(n as u32);
            }
        }
    }
    docs.into_iter()
        .map(|(facet, values)| {
            let values = values
                .into_iter()
                .map(|(value, list)| (value, gaps(list.into_iter()).collect()))
                .collect();
            (facet, values)
        })
        .collect()
}

/// A shard key as a file name: its UTF-8 bytes in lower-case hex.
fn hex(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::Mutex;

    fn record(url: &str, started: i64, title: &str, content: &str, service: &str) -> Record {
        let mut meta = BTreeMap::new();
        meta.insert("title".to_string(), title.to_string());
        let mut filters = BTreeMap::new();
        filters.insert("service".to_string(), vec![service.to_string()]);
        Record {
            url: url.to_string(),
            content: format!("{title}\n{content}"),
            meta,
            filters,
            started: Some(jiff::Timestamp::from_second(started).unwrap()),
        }
    }

    fn files(records: Vec<Record>) -> BTreeMap<String, serde_json::Value> {
        let out = Mutex::new(BTreeMap::new());
        let count = write::<()>(records, &|file| {
            let text = if file.path.ends_with(".hsi") {
                let mut text = String::new();
                flate2::read::GzDecoder::new(&file.bytes[..])
                    .read_to_string(&mut text)
                    .unwrap();
                text
            } else {
                String::from_utf8(file.bytes).unwrap()
            };
            let value = serde_json::from_str(&text).unwrap();
            assert!(out.lock().unwrap().insert(file.path, value).is_none());
            Ok(())
        })
        .unwrap();
        let out = out.into_inner().unwrap();
        assert_eq!(count, out.len());
        out
    }

    /// Document numbers and weights of `word` in `files`.
    fn postings(files: &BTreeMap<String, serde_json::Value>, word: &str) -> Vec<(u64, u64)> {
        let key: String = word.chars().take(2).collect();
        let shard = &files[&format!("{DIR}/terms/{}.hsi", hex(&key))];
        let mut doc: i64 = -1;
        shard["body"][word]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let v = v.as_u64().unwrap();
                doc += (v / 16) as i64;
                (doc as u64, v % 16)
            })
            .collect()
    }

    fn words_of(text: &str) -> Vec<String> {
        let lower = normalised(text);
        let mut words = Vec::new();
        each_word(&lower, |w| words.push(w.to_string()));
        words
    }

    #[test]
    fn splits_words_as_the_script_does() {
        assert_eq!(
            words_of("Rollback of v2.3: DNS-Störung, 503s; a I/O x"),
            ["rollback", "of", "v2", "dns", "störung", "503s"]
        );
        // Decomposed accents are composed first, as the script does; marks
        // stay in their word; Turkish İ and a final sigma are folded.
        assert_eq!(words_of("Zersto\u{308}rung"), ["zerstörung"]);
        assert_eq!(
            words_of("क्या İzmir ΟΔΟΣ.ΑΒ"),
            ["क्या", "izmir", "οδοσ", "αβ"]
        );
        // A long word is its first 40 characters.
        assert_eq!(words_of(&"ab".repeat(30)), ["ab".repeat(20)]);
        // Han and kana as each character and each pair, other scripts
        // beside them as words.
        assert_eq!(
            words_of("東京リーでDB障害。雨"),
            [
                "東", "京", "リ", "ー", "で", "東京", "京リ", "リー", "ーで", "db", "障", "害",
                "障害", "雨"
            ]
        );
    }

    #[test]
    fn numbers_documents_oldest_first_with_postings_and_filters() {
        let files = files(vec![
            record(
                "b/",
                20,
                "Queue backlog",
                "The queue grew. Queue workers lagged.",
                "Jobs",
            ),
            record(
                "a/",
                10,
                "DNS outage",
                "Resolvers failed; the queue was fine.",
                "Edge",
            ),
            record("c/", 30, "Queue again", "Nothing else here.", "Jobs"),
        ]);
        let meta = &files[&format!("{DIR}/meta.json")];
        assert_eq!(meta["docs"], 3);
        assert_eq!(meta["version"], VERSION);
        assert_eq!(files[&format!("{DIR}/doc/0.hsi")]["url"], "a/");
        assert_eq!(files[&format!("{DIR}/doc/2.hsi")]["url"], "c/");
        assert_eq!(
            files[&format!("{DIR}/doc/1.hsi")]["meta"]["title"],
            "Queue backlog"
        );
        let queue = postings(&files, "queue");
        assert_eq!(queue.iter().map(|p| p.0).collect::<Vec<_>>(), [0, 1, 2]);
        // Three in the text of the second (one in its title, counted thrice)
        // weigh more than one passing mention in the first.
        assert!(queue[1].1 > queue[0].1, "{queue:?}");
        assert!(queue.iter().all(|p| (1..=15).contains(&p.1)));
        assert_eq!(
            postings(&files, "resolvers"),
            [(0, postings(&files, "resolvers")[0].1)]
        );
        // Filters are gaps too: Jobs is documents 1 and 2. Each file carries
        // the build's stamp.
        assert_eq!(
            files[&format!("{DIR}/filter/service.hsi")],
            serde_json::json!({"build": meta["build"], "body": {"Edge": [1], "Jobs": [2, 1]}})
        );
        assert_eq!(
            files[&format!("{DIR}/terms/{}.hsi", hex("qu"))]["build"],
            meta["build"]
        );
        let keys: Vec<&str> = meta["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert!(keys.contains(&"qu") && keys.contains(&"dn"), "{keys:?}");
    }

    #[test]
    fn large_shards_are_split_by_the_third_character() {
        let records: Vec<Record> = (0..SPLIT_POSTINGS / 2 + 1)
            .map(|i| {
                record(
                    &format!("{i}/"),
                    i as i64,
                    "Restart",
                    "restart request re",
                    "S",
                )
            })
            .collect();
        let files = files(records);
        let keys = files[&format!("{DIR}/meta.json")]["keys"].clone();
        assert_eq!(keys, serde_json::json!(["re", "req", "res"]));
        let re = &files[&format!("{DIR}/terms/{}.hsi", hex("re"))];
        assert_eq!(
            re["body"].as_object().unwrap().keys().collect::<Vec<_>>(),
            ["re"]
        );
        assert!(files[&format!("{DIR}/terms/{}.hsi", hex("res"))]["body"]["restart"].is_array());
    }

    #[test]
    fn the_same_records_give_the_same_bytes() {
        let make = || {
            vec![
                record("x/", 1, "Disk full", "The disk filled up.", "DB"),
                record("y/", 2, "Disk slow", "The disk was slow.", "DB"),
            ]
        };
        let bytes = |records| {
            let out = Mutex::new(BTreeMap::new());
            write::<()>(records, &|f| {
                out.lock().unwrap().insert(f.path, f.bytes);
                Ok(())
            })
            .unwrap();
            out.into_inner().unwrap()
        };
        assert_eq!(bytes(make()), bytes(make()));
        // Any change to a record is a new build.
        let mut changed = make();
        changed[1]
            .filters
            .insert("service".into(), vec!["Cache".into()]);
        let stamp = |files: BTreeMap<String, Vec<u8>>| files[&format!("{DIR}/meta.json")].clone();
        assert_ne!(stamp(bytes(make())), stamp(bytes(changed)));
    }

    proptest::proptest! {
        /// Whatever the text, every word of it is in the shard the search
        /// page's script looks in: the first three characters where that
        /// key exists, else the first two.
        #[test]
        fn every_word_is_in_the_shard_the_script_reads(
            texts in proptest::collection::vec("\\PC{0,60}", 1..6),
        ) {
            let records = texts
                .iter()
                .enumerate()
                .map(|(i, t)| record(&format!("{i}/"), i as i64, t, t, t))
                .collect();
            let files = files(records);
            let keys: HashSet<String> = files[&format!("{DIR}/meta.json")]["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_string())
                .collect();
            for text in &texts {
                for word in words_of(text) {
                    let word = word.as_str();
                    let three: String = word.chars().take(3).collect();
                    let key = if word.chars().count() >= 3 && keys.contains(&three) {
                        three
                    } else {
                        word.chars().take(2).collect()
                    };
                    let shard = &files[&format!("{DIR}/terms/{}.hsi", hex(&key))];
                    proptest::prop_assert!(shard["body"][word].is_array(), "{word} not in {key}");
                }
            }
        }
    }

    #[test]
    fn the_sinks_error_stops_the_index() {
        let calls = Mutex::new(0);
        let result = write(vec![record("x/", 0, "T", "words here", "S")], &|_| {
            *calls.lock().unwrap() += 1;
            Err("full")
        });
        assert_eq!(result, Err("full"));
        assert_eq!(*calls.lock().unwrap(), 1);
    }
}
