//! The search index: one Pagefind record per post-mortem, fed straight from
//! the model (no HTML re-parsing), with filters for the archive's facets.

use std::collections::BTreeMap;
use std::sync::Arc;

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;
use rayon::prelude::*;
use thiserror::Error;

use crate::markup;
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
    meta.insert("status".to_string(), summary.status.clone());

    let mut filters = BTreeMap::new();
    // The search page shows filter values as HTML, so they are escaped
    // here: an undeclared service name is whatever an author typed.
    let mut facet = |name: &str, values: Vec<String>| {
        let values: Vec<String> = values
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(|v| markup::escape(&v))
            .collect();
        if !values.is_empty() {
            filters.insert(name.to_string(), values);
        }
    };
    facet("severity", vec![summary.severity.clone()]);
    facet("status", vec![summary.status.clone()]);
    facet("year", vec![summary.year.clone()]);
    facet("service", summary.service_names.clone());
    facet("category", summary.category_names.clone());
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
    fn strips_tags_and_decodes_entities() {
        assert_eq!(strip_tags("<p>a &lt;b&gt; &amp; c</p>").trim(), "a <b> & c");
    }
}
