//! What the search page finds: one record per post-mortem, made straight
//! from the model (no HTML re-parsing), with the archive's facets for its
//! filters. `search_index` turns the records into the files it queries.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::post_mortem::PostMortem;
use crate::views::IncidentSummary;

#[derive(Debug, Clone)]
pub struct Record {
    /// The page, from the site's root.
    pub url: String,
    /// The text searched and quoted in excerpts: the title, each section's
    /// text and the tags.
    pub content: String,
    /// What a result shows: title, date, severity (with its name and
    /// rank), status.
    pub meta: BTreeMap<String, String>,
    /// Facet name → this post-mortem's values.
    pub filters: BTreeMap<String, Vec<String>>,
    /// When the incident started: the order of a listing without search
    /// words (unknown ones first, as the oldest).
    pub started: Option<jiff::Timestamp>,
}

/// Everything a reader might search for in one post-mortem, as plain text.
pub fn record(pm: &PostMortem, summary: &IncidentSummary) -> Record {
    let mut content = String::with_capacity(4096);
    let mut add = |text: &str| {
        if !text.is_empty() {
            content.push_str(text);
            content.push('\n');
        }
    };
    add(pm.title());
    for section in &pm.sections {
        add(&strip_tags(&section.html));
    }
    add(&pm.front.tags.join(" "));

    let mut meta = BTreeMap::new();
    meta.insert("title".to_string(), summary.title.clone());
    meta.insert("date".to_string(), summary.date.clone());
    meta.insert("severity".to_string(), summary.severity.clone());
    meta.insert("severity_name".to_string(), summary.severity_name.clone());
    // The theme's colour for the severity, as on every other page.
    meta.insert("rank".to_string(), summary.severity_rank.to_string());
    meta.insert("status".to_string(), summary.status.clone());

    let filters = facet_values(summary)
        .into_iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(name, values)| (name.to_string(), values))
        .collect();
    Record {
        url: summary.url.clone(),
        content,
        meta,
        filters,
        started: summary.started_at.map(|m| m.timestamp),
    }
}

/// The search page's filters, each with a value's label for people.
const FACETS: [(&str, &str); 5] = [
    ("severity", "Severity"),
    ("status", "Status"),
    ("service", "Service"),
    ("category", "Root cause"),
    ("year", "Year"),
];

/// The values of one post-mortem for each of `FACETS`, in that order. The
/// search page shows them as text, never as markup, so an undeclared
/// service's name is indexed as its author typed it.
fn facet_values(summary: &IncidentSummary) -> [(&'static str, Vec<String>); 5] {
    let one = |v: &str| {
        if v.is_empty() {
            Vec::new()
        } else {
            vec![v.to_string()]
        }
    };
    // A post-mortem may name a service twice (by id and by name): each
    // value once, in the order written.
    let each_once = |values: &[String]| {
        let mut once: Vec<String> = Vec::with_capacity(values.len());
        for v in values {
            if !once.contains(v) {
                once.push(v.clone());
            }
        }
        once
    };
    [
        ("severity", one(&summary.severity)),
        ("status", one(&summary.status)),
        ("service", each_once(&summary.service_names)),
        ("category", each_once(&summary.category_names)),
        ("year", one(&summary.year)),
    ]
}

/// The search page listing the post-mortems whose `facet` is `value`,
/// newest first, as its script reads the address.
pub fn filter_url(facet: &str, value: &str) -> String {
    let value = percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC);
    format!("search/index.html?{facet}={value}")
}

/// A filter of the search page with every value the archive has.
#[derive(Debug, Clone, Serialize)]
pub struct Facet {
    /// The filter's name in the index and the address.
    pub name: &'static str,
    pub label: &'static str,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FacetValue {
    /// As indexed.
    pub value: String,
    /// For people: a severity with its name.
    pub label: String,
    /// Post-mortems with this value.
    pub count: usize,
}

/// The filters of `summaries`, in the order a reader narrows a search:
/// severities most severe first, years newest first, the rest by name.
pub fn facets(summaries: &[Arc<IncidentSummary>]) -> Vec<Facet> {
    let mut counts: [BTreeMap<String, (usize, usize, String)>; 5] = Default::default();
    for s in summaries {
        for (i, (_, values)) in facet_values(s).into_iter().enumerate() {
            for value in values {
                let (rank, label) = match i {
                    0 if !s.severity_name.is_empty() => (
                        s.severity_rank,
                        format!("{} · {}", s.severity, s.severity_name),
                    ),
                    0 => (s.severity_rank, value.clone()),
                    _ => (0, value.clone()),
                };
                counts[i].entry(value).or_insert((rank, 0, label)).1 += 1;
            }
        }
    }
    FACETS
        .iter()
        .zip(counts)
        .map(|(&(name, label), counted)| {
            let mut values: Vec<(usize, FacetValue)> = counted
                .into_iter()
                .map(|(value, (rank, count, label))| {
                    (
                        rank,
                        FacetValue {
                            value,
                            label,
                            count,
                        },
                    )
                })
                .collect();
            match name {
                "severity" => values.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.value.cmp(&b.1.value))),
                "year" => values.reverse(),
                _ => {}
            }
            Facet {
                name,
                label,
                values: values.into_iter().map(|(_, v)| v).collect(),
            }
        })
        .filter(|f| !f.values.is_empty())
        .collect()
}

/// One record per post-mortem; `summaries` are indexed alike.
pub fn records(post_mortems: &[&PostMortem], summaries: &[Arc<IncidentSummary>]) -> Vec<Record> {
    post_mortems
        .par_iter()
        .zip(summaries)
        .map(|(pm, summary)| record(pm, summary))
        .collect()
}

/// Inline elements: their tags join the text on either side, so a word
/// with a bold part stays one word (not `sup`: a footnote mark is not part
/// of its word).
const INLINE: &[&str] = &[
    "a", "abbr", "b", "cite", "code", "del", "em", "i", "ins", "kbd", "mark", "q", "s", "samp",
    "small", "span", "strong", "sub", "u", "var",
];

/// Text of rendered HTML, for indexing: tags dropped (a block's tags leave
/// a space), entities decoded.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = &rest[open + 1..open + close];
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        if !INLINE
            .iter()
            .any(|inline| name.eq_ignore_ascii_case(inline))
        {
            out.push(' ');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_url_encodes_the_value() {
        assert_eq!(
            filter_url("category", "Config & deploy"),
            "search/index.html?category=Config%20%26%20deploy"
        );
    }

    #[test]
    fn strips_tags_and_decodes_entities() {
        assert_eq!(strip_tags("<p>a &lt;b&gt; &amp; c</p>").trim(), "a <b> & c");
        // A word with a bold or linked part stays one word; blocks and line
        // breaks still separate words.
        assert_eq!(
            strip_tags(
                "<p>in<strong>cred</strong>ible <a href=\"x\">li</a>nk</p><p>next<br>5&nbsp;GB<sup>1</sup></p>"
            )
            .trim(),
            "incredible link  next 5 GB 1"
        );
    }
}
