//! The search index: one Pagefind record per post-mortem, fed straight from
//! the model (no HTML re-parsing), with filters for the archive's facets.

use std::collections::BTreeMap;
use std::sync::Arc;

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;
use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

use crate::output::OutputFile;
use crate::post_mortem::PostMortem;
use crate::views::IncidentSummary;

/// Where the index lives in the output.
pub const DIR: &str = "pagefind";

#[derive(Debug, Error)]
#[error("building the search index: {0}")]
pub struct SearchError(String);

#[derive(Debug, Clone)]
pub struct Record {
    pub url: String,
    pub content: String,
    pub meta: BTreeMap<String, String>,
    pub filters: BTreeMap<String, Vec<String>>,
    pub sort: BTreeMap<String, String>,
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
    let mut sort = BTreeMap::new();
    sort.insert(
        "date".to_string(),
        summary.started.clone().unwrap_or_default(),
    );
    Record {
        url: format!("/{}", summary.url),
        content,
        meta,
        filters,
        sort,
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
    [
        ("severity", one(&summary.severity)),
        ("status", one(&summary.status)),
        ("service", summary.service_names.clone()),
        ("category", summary.category_names.clone()),
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
    /// The Pagefind filter's name.
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

/// Text of rendered HTML, for indexing: tags dropped, entities decoded.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Builds the Pagefind bundle for `records`; its files go under `pagefind/`.
pub fn build_index(records: Vec<Record>) -> Result<Vec<OutputFile>, SearchError> {
    build_index_unless(records, || false).map(|files| files.expect("never cancelled"))
}

/// Like `build_index`, but gives up (`None`) as soon as `cancelled` says so,
/// for `serve`, where a newer version makes this index useless.
pub fn build_index_unless(
    records: Vec<Record>,
    cancelled: impl Fn() -> bool,
) -> Result<Option<Vec<OutputFile>>, SearchError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| SearchError(e.to_string()))?;
    runtime.block_on(async move {
        let options = PagefindServiceConfig::builder()
            .force_language("en".to_string())
            .build();
        let mut index =
            PagefindIndex::new(Some(options)).map_err(|e| SearchError(e.to_string()))?;
        for r in records {
            if cancelled() {
                return Ok(None);
            }
            index
                .add_custom_record(
                    r.url,
                    r.content,
                    "en".into(),
                    Some(r.meta),
                    Some(r.filters),
                    Some(r.sort),
                )
                .await
                .map_err(|e| SearchError(e.to_string()))?;
        }
        let files = index
            .get_files()
            .await
            .map_err(|e| SearchError(e.to_string()))?;
        Ok(Some(
            files
                .into_iter()
                .map(|f| OutputFile {
                    path: format!("{DIR}/{}", f.filename.to_string_lossy().replace('\\', "/")),
                    bytes: f.contents,
                })
                .collect(),
        ))
    })
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
    }
}
