//! `site.toml`: the archive's title, time zone, severities, services and
//! root-cause categories.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::finding::Rule;
use crate::source::LineIndex;

pub const FILE_NAME: &str = "site.toml";

#[derive(Debug, Error)]
pub enum ConfigError {
    /// The reason is part of the message (not a `source`), so every place
    /// that shows the error shows why and what to do.
    #[error("cannot read {path}: {reason}; {}", read_hint(reason))]
    Read {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: u32,
        column: u32,
        message: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteConfig {
    pub title: String,
    pub description: String,
    /// Where the archive is published, always ending in `/`.
    pub base_url: String,
    #[serde(serialize_with = "serialize_tz")]
    pub time_zone: TimeZone,
    /// The theme folder under `themes/`; `default` falls back to the built-in theme.
    pub theme: String,
    pub severities: Vec<Severity>,
    pub services: Vec<Described>,
    pub categories: Vec<Described>,
    /// Known technical debt (the seed's other context item).
    pub debt: Vec<Debt>,
    /// Levels set in `[rules]`, overriding each rule's own.
    pub rules: BTreeMap<Rule, RuleSetting>,
    pub framework: Framework,
    pub markdown: Markdown,
}

/// A severity level, most severe first in `SiteConfig::severities`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Severity {
    pub id: String,
    pub name: String,
    pub definition: String,
}

/// A service or a root-cause category: an id with a human name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Described {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: String,
    #[serde(default)]
    description: String,
    /// Spanned, so that a base URL the site cannot be served under is
    /// reported at its value.
    #[serde(default)]
    base_url: Option<toml::Spanned<String>>,
    #[serde(default = "default_time_zone")]
    time_zone: String,
    #[serde(default = "default_theme")]
    theme: String,
    #[serde(default, rename = "severity")]
    severities: Vec<Severity>,
    #[serde(default, rename = "service")]
    services: Vec<Described>,
    #[serde(default, rename = "category")]
    categories: Vec<Described>,
    #[serde(default)]
    debt: Vec<Debt>,
    #[serde(default)]
    rules: BTreeMap<String, RuleSetting>,
    #[serde(default)]
    framework: Framework,
    #[serde(default)]
    markdown: Markdown,
}

/// A known piece of technical debt that post-mortems can cite.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Debt {
    pub id: String,
    pub title: String,
    /// Services it lives in.
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub description: String,
}

/// A rule's level as set in `[rules]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSetting {
    Error,
    Warning,
    Off,
}

/// The framework's knobs, in `[framework]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Framework {
    /// Fewer whys than this is a `shallow-root-cause` warning (the seed's five whys).
    pub min_whys: usize,
    /// Due dates further than this many days after the incident are a `due-date` warning.
    pub max_due_days: i64,
    /// Incidents sharing a service and a root-cause category within this many
    /// days are recurrences of each other.
    pub recurrence_days: i64,
    /// More phrases that blame a person, for `blame-language`.
    pub blame_phrases: Vec<String>,
    /// More people's names, for `named-person` (action-item owners count already).
    pub people: Vec<String>,
}

impl Default for Framework {
    fn default() -> Self {
        Framework {
            min_whys: 5,
            max_due_days: 180,
            recurrence_days: 180,
            blame_phrases: Vec::new(),
            people: Vec::new(),
        }
    }
}

/// How post-mortems' Markdown is rendered, in `[markdown]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Markdown {
    pub raw_html: RawHtml,
}

/// What becomes of raw HTML written in a post-mortem. Post-mortems are
/// untrusted input, so only an archive whose every author is trusted should
/// let it through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawHtml {
    /// Shown as text: nothing in a post-mortem runs in a reader's browser.
    #[default]
    Escape,
    /// Let through, then cleaned with ammonia: formatting stays; scripts,
    /// event handlers, script URLs, frames, forms and styles go.
    Sanitize,
    /// Let through unchanged: any author can run script in readers' browsers.
    Trust,
}

/// What to do about a `site.toml` that cannot be read.
fn read_hint(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::NotFound => {
            "create it in the site folder (README.md shows one), or pass the site folder with --root"
        }
        std::io::ErrorKind::InvalidData => "save it as UTF-8",
        std::io::ErrorKind::PermissionDenied => "make it readable by your user",
        _ => "check that it is a file you can read",
    }
}

fn default_base_url() -> String {
    "/".into()
}

/// Why the archive cannot be published and served under `url`, if it
/// cannot: links and `serve` take its path, so it has to be an absolute URL
/// or a path from the site root, without a query or fragment.
fn base_url_problem(url: &str) -> Option<String> {
    if let Some(at) = url.find(['?', '#']) {
        return Some(format!(
            "base_url `{url}` has a query or fragment (`{}`), which no page address can carry; remove it: `{}`",
            &url[at..],
            &url[..at]
        ));
    }
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    let absolute = scheme.is_some_and(|s| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if absolute || url.is_empty() || (url.starts_with('/') && !url.starts_with("//")) {
        return None;
    }
    let hint = match url.strip_prefix("//") {
        Some(_) => format!("write its scheme: `https:{url}`"),
        None => {
            let path = url.trim_start_matches('/');
            format!("write an absolute URL (`https://example.com/{path}`) or a path from the site root (`/{path}`)")
        }
    };
    Some(format!("base_url `{url}` is relative; {hint}"))
}

fn default_theme() -> String {
    "default".into()
}

fn default_time_zone() -> String {
    "UTC".into()
}

fn serialize_tz<S: serde::Serializer>(tz: &TimeZone, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.iana_name().unwrap_or("UTC"))
}

impl SiteConfig {
    /// Reads `ROOT/site.toml`.
    pub fn load(root: &Path) -> Result<SiteConfig, ConfigError> {
        let path = root.join(FILE_NAME);
        let text = std::fs::read_to_string(&path).map_err(|reason| ConfigError::Read {
            path: path.clone(),
            reason,
        })?;
        SiteConfig::parse(&text, &path)
    }

    /// Parses the text of a `site.toml`; `path` is only used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<SiteConfig, ConfigError> {
        let index = LineIndex::new(text);
        let invalid = |offset: usize, message: String| {
            let pos = index.pos(text, offset);
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line: pos.line,
                column: pos.column,
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            invalid(offset, e.message().trim().to_string())
        })?;
        let locate = |needle: &str| text.find(needle).unwrap_or(0);

        let time_zone = TimeZone::get(&raw.time_zone).map_err(|_| {
            invalid(
                locate("time_zone"),
                format!(
                    "unknown time zone `{}`; use an IANA name such as `UTC` or `Europe/Berlin`",
                    raw.time_zone
                ),
            )
        })?;
        if raw.severities.is_empty() {
            return Err(invalid(
                0,
                "no severity levels: add at least one [[severity]] table with id, name and definition"
                    .into(),
            ));
        }
        for (kind, ids) in [
            (
                "severity",
                raw.severities.iter().map(|s| &s.id).collect::<Vec<_>>(),
            ),
            ("service", raw.services.iter().map(|s| &s.id).collect()),
            ("category", raw.categories.iter().map(|s| &s.id).collect()),
            ("debt", raw.debt.iter().map(|s| &s.id).collect()),
        ] {
            for (i, id) in ids.iter().enumerate() {
                if ids[..i].contains(id) {
                    return Err(invalid(
                        locate(&format!("\"{id}\"")),
                        format!("{kind} id `{id}` is declared twice"),
                    ));
                }
            }
        }
        let mut rules = BTreeMap::new();
        for (id, setting) in raw.rules {
            let Some(rule) = Rule::from_id(&id) else {
                let ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
                let near = crate::rules::did_you_mean(&id, &ids)
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                return Err(invalid(
                    locate(&id),
                    format!("`{id}` in [rules] is not a rule{near}"),
                ));
            };
            rules.insert(rule, setting);
        }
        let mut base_url = match raw.base_url {
            Some(spanned) => {
                if let Some(problem) = base_url_problem(spanned.get_ref()) {
                    return Err(invalid(spanned.span().start, problem));
                }
                spanned.into_inner()
            }
            None => default_base_url(),
        };
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        Ok(SiteConfig {
            title: raw.title,
            description: raw.description,
            base_url,
            time_zone,
            theme: raw.theme,
            severities: raw.severities,
            services: raw.services,
            categories: raw.categories,
            debt: raw.debt,
            rules,
            framework: raw.framework,
            markdown: raw.markdown,
        })
    }

    pub fn severity(&self, id: &str) -> Option<&Severity> {
        self.severities
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(id))
    }

    /// Position of a severity in the declared order: 0 is the most severe.
    pub fn severity_rank(&self, id: &str) -> usize {
        self.severities
            .iter()
            .position(|s| s.id.eq_ignore_ascii_case(id))
            .unwrap_or(self.severities.len())
    }

    pub fn service(&self, id: &str) -> Option<&Described> {
        self.services.iter().find(|s| s.id == id)
    }

    pub fn category(&self, id: &str) -> Option<&Described> {
        self.categories.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "title = \"T\"\n[[severity]]\nid = \"P1\"\nname = \"Major\"\ndefinition = \"d\"\n";

    /// Lines of real `site.toml` files, with the values a hurried edit leaves.
    fn line() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let key = prop_oneof![
            Just("title"),
            Just("base_url"),
            Just("time_zone"),
            Just("theme"),
            Just("id"),
            Just("name"),
            Just("definition"),
            Just("raw_html"),
            Just("recurrence_days"),
            Just("min_whys"),
            Just("review"),
        ];
        let value = prop_oneof![
            Just("\"\"".to_string()),
            Just("\"/x y/?q#f\"".to_string()),
            Just("\"Mars/Olympus\"".to_string()),
            Just("-1".to_string()),
            Just("99999999999999999999".to_string()),
            Just("[1, \"a\"]".to_string()),
            Just("{ a = 1 }".to_string()),
            Just("\"unterminated".to_string()),
            "\"\\PC{0,12}\"".prop_map(|s| s),
        ];
        prop_oneof![
            (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
            Just("[[severity]]".to_string()),
            Just("[[service]]".to_string()),
            Just("[framework]".to_string()),
            Just("[markdown]".to_string()),
            Just("[rules]".to_string()),
            Just("[[category]]".to_string()),
            "\\PC{0,30}",
        ]
    }

    proptest::proptest! {
        #[test]
        fn no_site_toml_panics(lines in proptest::collection::vec(line(), 0..20)) {
            let text = lines.join("\n");
            if let Err(ConfigError::Invalid { line, column, .. }) = SiteConfig::parse(&text, Path::new("site.toml")) {
                proptest::prop_assert!(line >= 1 && column >= 1);
                proptest::prop_assert!(line as usize <= text.lines().count().max(1) + 1);
            }
        }
    }

    #[test]
    fn defaults_base_url_and_time_zone() {
        let config = SiteConfig::parse(MINIMAL, Path::new("site.toml")).unwrap();
        assert_eq!(config.base_url, "/");
        assert_eq!(config.time_zone.iana_name(), Some("UTC"));
        assert_eq!(config.severity("p1").unwrap().name, "Major");
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let text = format!("{MINIMAL}time_zone = \n");
        let err = SiteConfig::parse(&text, Path::new("site.toml")).unwrap_err();
        let ConfigError::Invalid { line, .. } = err else {
            panic!("expected Invalid, got {err:?}")
        };
        assert_eq!(line, 6);
    }

    #[test]
    fn unknown_time_zone_is_rejected_with_its_line() {
        let text = format!("time_zone = \"Mars/Olympus\"\n{MINIMAL}");
        let err = SiteConfig::parse(&text, Path::new("site.toml")).unwrap_err();
        assert!(
            err.to_string()
                .contains("site.toml:1:1: unknown time zone `Mars/Olympus`"),
            "{err}"
        );
    }

    #[test]
    fn reads_rule_levels_and_framework_knobs() {
        let text = format!("{MINIMAL}[rules]\nblame-language = \"warning\"\nreview = \"off\"\n[framework]\nmin_whys = 3\n");
        let config = SiteConfig::parse(&text, Path::new("site.toml")).unwrap();
        assert_eq!(config.rules[&Rule::BlameLanguage], RuleSetting::Warning);
        assert_eq!(config.rules[&Rule::Review], RuleSetting::Off);
        assert_eq!(config.framework.min_whys, 3);
        assert_eq!(config.framework.max_due_days, 180);
        let bad = format!("{MINIMAL}[rules]\nblame-langauge = \"off\"\n");
        let err = SiteConfig::parse(&bad, Path::new("site.toml")).unwrap_err();
        assert!(
            err.to_string().contains("did you mean `blame-language`"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let text =
            format!("{MINIMAL}[[severity]]\nid = \"P1\"\nname = \"x\"\ndefinition = \"d\"\n");
        let err = SiteConfig::parse(&text, Path::new("site.toml")).unwrap_err();
        assert!(
            err.to_string()
                .contains("severity id `P1` is declared twice"),
            "{err}"
        );
    }

    #[test]
    fn a_base_url_with_a_query_or_fragment_or_relative_is_rejected_at_its_value() {
        let parse = |url: &str| {
            let text = format!("base_url = \"{url}\"\n{MINIMAL}");
            SiteConfig::parse(&text, Path::new("site.toml")).map(|c| c.base_url)
        };
        for (url, expected) in [
            (
                "https://example.com/x?y=1#z",
                "site.toml:1:12: base_url `https://example.com/x?y=1#z` has a query or fragment (`?y=1#z`), which no page address can carry; remove it: `https://example.com/x`",
            ),
            (
                "/pm/#top",
                "site.toml:1:12: base_url `/pm/#top` has a query or fragment (`#top`)",
            ),
            (
                "relative/path",
                "site.toml:1:12: base_url `relative/path` is relative; write an absolute URL (`https://example.com/relative/path`) or a path from the site root (`/relative/path`)",
            ),
            (
                "//example.com/pm/",
                "site.toml:1:12: base_url `//example.com/pm/` is relative; write its scheme: `https://example.com/pm/`",
            ),
        ] {
            let err = parse(url).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{err}");
        }
        for (url, kept) in [
            ("/docs/post mortems/", "/docs/post mortems/"),
            (
                "https://example.com/störung",
                "https://example.com/störung/",
            ),
            ("/", "/"),
            ("", "/"),
        ] {
            assert_eq!(parse(url).unwrap(), kept);
        }
    }

    #[test]
    fn raw_html_defaults_to_escape_and_unknown_values_name_their_place() {
        let config = SiteConfig::parse(MINIMAL, Path::new("site.toml")).unwrap();
        assert_eq!(config.markdown.raw_html, RawHtml::Escape);
        let text = format!("{MINIMAL}[markdown]\nraw_html = \"sanitize\"\n");
        let config = SiteConfig::parse(&text, Path::new("site.toml")).unwrap();
        assert_eq!(config.markdown.raw_html, RawHtml::Sanitize);
        let bad = format!("{MINIMAL}[markdown]\nraw_html = \"sanitise\"\n");
        let err = SiteConfig::parse(&bad, Path::new("site.toml")).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "site.toml:7:12: unknown variant `sanitise`, expected one of `escape`, `sanitize`, `trust`"
            ),
            "{err}"
        );
    }
}
