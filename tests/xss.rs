//! Post-mortems are untrusted: markup and script written anywhere in one
//! (front matter, headings, table cells, links, images, footnotes, code)
//! come out as text on every page and as plain data in every export, and
//! never run in a reader's browser. Also the `[markdown] raw_html` modes,
//! and headless Chromium loading every page of the built archive
//! (`tests/browser/xss.mjs`, with the same skip rule as `tests/browser.rs`).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use hindsight::pages::Views;
use hindsight::pipeline::{self, BuildOptions};
use serde_json::Value;

/// The title, as written in the front matter (YAML) and as read.
const TITLE: &str = "<script>alert('hs-xss')</script> \"><svg onload=alert(1)> zebracorn outage";
/// Payloads, as read from the front matter or written in the body.
const IMG: &str = "<img src=x onerror=alert(1)>";
const SVG: &str = "\"><svg onload=alert(1)>";
const SCRIPT: &str = "<script>alert('hs-xss')</script>";
/// Services, categories and severities also become the search page's
/// filters (options written by Tera, values indexed as written), and their
/// payloads carry their own dialog text.
const SERVICE: &str = "<img src=x onerror=alert('hs-filter')>";
const CATEGORY: &str = "\"><svg onload=alert('hs-filter')>";
/// Table cells whose payload is not HTML to CommonMark (a quote in an
/// unquoted attribute), so it reaches the model as text.
const CELL_IMG: &str = "<img src=x onerror=alert('hs-xss')>";
const CELL_SVG: &str = "\"><svg/onload=alert('hs-xss')>";

const HOSTILE: &str = r#"---
title: "<script>alert('hs-xss')</script> \"><svg onload=alert(1)> zebracorn outage"
severity: P1
status: resolved
started: 2024-03-14T09:12:00+01:00
ended: 2024-03-14T10:40:00+01:00
detection: "<img src=x onerror=prompt(1)>"
commander: "\"><svg onload=alert(1)>"
responders: ["<script>alert('hs-xss')</script>", "javascript:alert(1)"]
services: [checkout, "<img src=x onerror=alert('hs-filter')>"]
root_cause_categories: [config-change, "\"><svg onload=alert('hs-filter')>"]
tags: ["<script>alert('hs-xss')</script>"]
source: "javascript:alert(1)"
runbook: "https://e.org/\"><svg onload=alert(1)>"
---

# <script>alert('hs-xss')</script> Zebracorn outage

## "><svg onload=alert(1)> Background

Checkout failed <img src=x onerror=alert(1)> for a while[^"><svg onload=alert(1)>].

[^"><svg onload=alert(1)>]: <script>alert('hs-xss')</script> A footnote <img src=x onerror="console.log('hs-xss')">.

## Timeline

| Time | Event | Who / What |
|------|-------|------------|
| 09:12 | Error rate rises <img src=x onerror=alert('hs-xss')> | "><svg/onload=alert('hs-xss')> |
| 09:20 | On-call engineer paged by the error-rate alert, [runbook](javascript:alert('hs-xss')) | `<script>alert('hs-xss')</script>` |
| 10:40 | Rollback completes; error rate back to normal, status page updated for customers | SRE on call |

## Impact

Customer impact: 8% of checkouts failed <svg onload=alert(1)> for 88 minutes.
Revenue impact: About 1,200 orders were delayed; none were lost.
Data impact: None.
Reputation impact: A handful of complaints on social media.

## Root Cause Analysis

The incident occurred when: a setting <img src=x onerror=alert('hs-xss')> was pushed to all regions at once.
Why did that happen? The config tool applies every change to every region in one step.
Why did that happen? Staged rollouts "><svg/onload=alert('hs-xss')> were only built for code deploys.

Contributing factors:

- **<img src=x onerror=alert('hs-xss')>**: the push reached every region at once.

What would have prevented this incident:

- **Staged config rollout**: one region first would have limited the impact.

## What Went Well

- **Fast rollback**: the previous setting was one command away.

## What Went Poorly

- **Alert latency**: the page fired eight minutes after errors began.

## Action Items

| # | Action | Owner | Due Date | Priority |
|---|--------|-------|----------|----------|
| 1 | =HYPERLINK("https://e.org/?leak","click") | <img src=x onerror=alert('hs-xss')> | 2024-04-30 | High |
| 2 | +cmd add a canary stage to config pushes | "><svg/onload=alert('hs-xss')> | 2024-04-30 | High |
| 3 | @SUM(1+1) page on error rate within a minute | Dana Whitfield | 2024-04-30 | Medium |
| 4 | -2+3 review the config tool's rollout steps | Dana Whitfield | 2024-04-30 | Low |

These will be reviewed at the reliability review on 2024-03-28.

## Notes {autofocus onfocus=alert(1) tabindex=0}

- [x] <img src=x onerror=alert(1)> checked task
- [ ] `<script>alert('hs-xss')</script>` open task

Links: [<img src=x onerror=alert(1)>](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](jav&#x09;ascript:alert(1)) [d](&#106;avascript&colon;alert(1)) <javascript:alert(1)> [e][ref]

[ref]: vbscript:msgbox(1)

Images: ![a](javascript:alert(1)) ![b](data:text/html,hs-xss) ![c](x"onerror="alert(1))

| Cell | Code |
|:-----|-----:|
| <img src=x onerror=alert(1)> | `<script>alert('hs-xss')</script>` |

```"><svg onload=alert(1)>
<script>alert('hs-xss')</script>
```

<div style="background:url(/hs-beacon-style)" onclick="alert(1)">raw block</div>

<script>console.log('hs-xss'); fetch('/hs-beacon-script')</script>

Inline: <img src=x onerror="console.log('hs-xss')"> <svg onload="fetch('/hs-beacon-svg')"></svg> <a href="javascript:alert(1)">raw link</a>

<h2 id="a><svg onload=alert(1)>">Raw heading</h2>

<iframe srcdoc="<script>parent.console.log('hs-xss')</script>"></iframe>

<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">go</button></form>

<input autofocus onfocus="console.log('hs-xss')">

<details open ontoggle="console.log('hs-xss')"><summary>s</summary>d</details>
"#;

/// A post-mortem that recurs with the hostile one (same service and
/// category two weeks later), so the hostile title and actions also show in
/// its recurrence note; its severity is a payload.
fn recurrence() -> String {
    let text = valid_with(
        "title: Checkout errors after a connection-pool setting was pushed everywhere",
        "title: Checkout errors again",
    );
    let text = edit(&text, "severity: P1", &format!("severity: \"{SERVICE}\""));
    let text = edit(
        &text,
        "started: 2024-03-14T09:12",
        "started: 2024-03-28T09:12",
    );
    edit(&text, "ended: 2024-03-14T10:40", "ended: 2024-03-28T10:40")
}

/// Text as Tera escapes it in the templates.
fn tera(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Text as pulldown-cmark escapes it in a post-mortem's body text.
fn md(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text as pulldown-cmark escapes it in an attribute (an id, a class).
fn attr(text: &str) -> String {
    md(text).replace('"', "&quot;")
}

struct Built {
    site: Site,
    out: PathBuf,
}

impl Built {
    fn page(&self, relative: &str) -> String {
        fs::read_to_string(self.out.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
    }

    /// Fails with the page's path when `needle` is not in it.
    fn assert_in(&self, relative: &str, needle: &str) {
        let page = self.page(relative);
        assert!(page.contains(needle), "{relative} lacks\n  {needle}");
    }

    /// Every HTML page of the output, by relative path.
    fn html_pages(&self) -> BTreeMap<String, String> {
        snapshot(&self.out)
            .into_iter()
            .filter(|(path, _)| path.ends_with(".html"))
            .map(|(path, bytes)| (path, String::from_utf8(bytes).unwrap()))
            .collect()
    }
}

/// The hostile archive built with `raw_html` (`None`: the default).
fn build(raw_html: Option<&str>) -> Built {
    let mut config = site_toml("UTC");
    if let Some(mode) = raw_html {
        config.push_str(&format!("\n[markdown]\nraw_html = \"{mode}\"\n"));
    }
    let site = Site::with_config(&config);
    site.write("2024/hostile.md", HOSTILE);
    site.write("2024/recurrence.md", &recurrence());
    let out = site.out("public");
    pipeline::build(&BuildOptions {
        root: site.root(),
        out: out.clone(),
        drafts: false,
        today: jiff::civil::date(2024, 6, 1),
    })
    .expect("the hostile archive builds");
    Built { site, out }
}

const INCIDENT: &str = "incidents/2024/hostile/index.html";

#[test]
fn front_matter_values_are_text_on_every_page() {
    let built = build(None);
    let title = tera(TITLE);
    let linked =
        |root: &str| format!("<a href=\"{root}incidents/2024/hostile/index.html\">{title}</a>");
    for (page, needle) in [
        (INCIDENT, format!("<title>{title} · Fixture archive</title>")),
        (INCIDENT, format!("<h1>{title}</h1>")),
        ("incidents/2024/hostile/review/index.html", format!("<h1>Review meeting: {title}</h1>")),
        ("index.html", format!("<th scope=\"row\" class=\"title-cell\" data-sort=\"{title}\">")),
        ("index.html", linked("")),
        ("causes/index.html", format!("<h3>{}</h3>", linked("../"))),
        ("actions/index.html", format!("<td class=\"incident-cell\" data-sort=\"{title}\">{}</td>", linked("../"))),
        ("actions/index.html", format!("<a href=\"../incidents/2024/hostile/index.html\" title=\"{title}\">")),
        ("services/checkout/index.html", linked("../../")),
        ("incidents/2024/recurrence/index.html", linked("../../../")),
        (
            INCIDENT,
            format!("<dt>Detection</dt><dd>{}</dd>", tera("<img src=x onerror=prompt(1)>")),
        ),
        (INCIDENT, format!("<dt>Incident commander</dt><dd>{}</dd>", tera(SVG))),
        (
            INCIDENT,
            format!("<ul class=\"inline-list\"><li>{}</li><li>javascript:alert(1)</li></ul>", tera(SCRIPT)),
        ),
        (
            INCIDENT,
            format!("<span class=\"chip undeclared\" title=\"Not declared in site.toml\">{}</span>", tera(SERVICE)),
        ),
        (
            INCIDENT,
            format!(
                "<a class=\"chip undeclared\" href=\"../../../causes/index.html#cause-{c}\" title=\"Not declared in site.toml\">{c}</a>",
                c = tera(CATEGORY)
            ),
        ),
        (INCIDENT, format!("<span class=\"chip tag\">#{}</span>", tera(SCRIPT))),
        // Only http(s) sources become links.
        (INCIDENT, "<dt>Public report</dt><dd>javascript:alert(1)</dd>".to_string()),
        (INCIDENT, {
            let runbook = tera("https://e.org/\"><svg onload=alert(1)>");
            format!("<a href=\"{runbook}\">{runbook}</a>")
        }),
        // A finding quotes the value it is about.
        (
            INCIDENT,
            format!(
                "<p class=\"finding-message\"><code>{}</code> in <code>services</code> is not declared in site.toml</p>",
                tera(SERVICE)
            ),
        ),
        ("index.html", format!("<span class=\"chip\" title=\"{s}\">{s}</span>", s = tera(SERVICE))),
        ("index.html", format!("data-f-service=\"checkout {}\"", tera(SERVICE))),
        ("services/img-src-x-onerror-alert-hs-filter/index.html", format!("<h1>{}</h1>", tera(SERVICE))),
        (
            "services/index.html",
            format!("<a href=\"../services/img-src-x-onerror-alert-hs-filter/index.html\">{}</a>", tera(SERVICE)),
        ),
        ("causes/index.html", format!("<a href=\"#cause-{c}\">{c}</a>", c = tera(CATEGORY))),
        (
            "index.html",
            format!("<td data-sort=\"4\"><span class=\"sev sev-r4\">{}</span></td>", tera(SERVICE)),
        ),
        ("index.html", format!("<tr data-f-severity=\"{}\"", tera(SERVICE))),
        (
            "incidents/2024/recurrence/index.html",
            format!("<p class=\"incident-badges\"><span class=\"sev sev-r4\">{}</span>", tera(SERVICE)),
        ),
        // Chart labels are escaped by the chart code, not by Tera.
        (
            "metrics/index.html",
            "<title>&lt;img src=x onerror=prompt(1)&gt;: 1 incidents</title>".to_string(),
        ),
        (
            "metrics/index.html",
            "<th scope=\"row\">&lt;img src=x onerror=prompt(1)&gt;</th>".to_string(),
        ),
    ] {
        built.assert_in(page, &needle);
    }
}

#[test]
fn body_payloads_are_text_on_the_incident_page() {
    let built = build(None);
    for needle in [
        // Headings: one whose id and contents list are made from its text,
        // and one whose attributes would focus it and run script.
        format!("<h2 id=\"background\">\"{} Background</h2>", md("><svg onload=alert(1)>")),
        "<a href=\"#background\">&quot;&gt; Background</a>".to_string(),
        "<h2 id=\"notes\">Notes</h2>".to_string(),
        // Prose, footnotes (the label is an id and a link), task lists.
        format!(
            "<p>Checkout failed {} for a while<sup class=\"footnote-reference\"><a href=\"#{l}\">1</a></sup>.</p>",
            md(IMG),
            l = attr(SVG)
        ),
        format!(
            "<div class=\"footnote-definition\" id=\"{}\"><sup class=\"footnote-definition-label\">1</sup>{} A footnote {}.",
            attr(SVG),
            md(SCRIPT),
            md("<img src=x onerror=\"console.log('hs-xss')\">")
        ),
        format!("<li><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\n{} checked task</li>", md(IMG)),
        format!("<li><input disabled=\"\" type=\"checkbox\"/>\n<code>{}</code> open task</li>", md(SCRIPT)),
        // Link text and targets: every script URL spelling loses its target.
        format!(
            "<p>Links: <a href=\"#\">{}</a> <a href=\"#\">b</a> <a href=\"#\">c</a> <a href=\"#\">d</a> <a href=\"#\">javascript:alert(1)</a> <a href=\"#\">e</a></p>",
            md(IMG)
        ),
        "<p>Images: <img src=\"#\" alt=\"a\" /> <img src=\"#\" alt=\"b\" /> <img src=\"x%22onerror=%22alert(1)\" alt=\"c\" /></p>".to_string(),
        // Table cells and code.
        format!(
            "<tr><td style=\"text-align: left\">{}</td><td style=\"text-align: right\"><code>{}</code></td></tr>",
            md(IMG),
            md(SCRIPT)
        ),
        format!("<pre><code class=\"language-{}\">{}\n</code></pre>", attr("\"><svg"), md(SCRIPT)),
        // Raw HTML, as blocks and inline.
        md("<div style=\"background:url(/hs-beacon-style)\" onclick=\"alert(1)\">raw block</div>"),
        md("<script>console.log('hs-xss'); fetch('/hs-beacon-script')</script>"),
        format!(
            "<p>Inline: {}</p>",
            md("<img src=x onerror=\"console.log('hs-xss')\"> <svg onload=\"fetch('/hs-beacon-svg')\"></svg> <a href=\"javascript:alert(1)\">raw link</a>")
        ),
        md("<h2 id=\"a><svg onload=alert(1)>\">Raw heading</h2>"),
        md("<iframe srcdoc=\"<script>parent.console.log('hs-xss')</script>\"></iframe>"),
        md("<form action=\"javascript:alert(1)\"><button formaction=\"javascript:alert(1)\">go</button></form>"),
        md("<input autofocus onfocus=\"console.log('hs-xss')\">"),
        md("<details open ontoggle=\"console.log('hs-xss')\"><summary>s</summary>d</details>"),
        // The timeline and action tables, rendered by the template from
        // the cells' text.
        format!(
            "<td>Error rate rises {}</td>\n              <td class=\"tl-who\">{}</td>",
            tera(CELL_IMG),
            tera(CELL_SVG)
        ),
        format!("<td class=\"tl-who\">{}</td>", tera(SCRIPT)),
        format!(
            "<td class=\"action-cell\">{}</td>\n              <td class=\"owner-cell\">{}</td>",
            tera("=HYPERLINK(\"https://e.org/?leak\",\"click\")"),
            tera(CELL_IMG)
        ),
        format!("<td class=\"owner-cell\">{}</td>", tera(CELL_SVG)),
        // Impact and root-cause prose.
        format!("<p>Customer impact: 8% of checkouts failed {} for 88 minutes.", md("<svg onload=alert(1)>")),
        format!("<li><strong>{}</strong>: the push reached every region at once.</li>", md(CELL_IMG)),
    ] {
        built.assert_in(INCIDENT, &needle);
    }
}

#[test]
fn cross_incident_pages_show_cells_and_values_as_text() {
    let built = build(None);
    let owner_img = "actions/img-src-x-onerror-alert-hs-xss/index.html";
    let owner_svg = "actions/svg-onload-alert-hs-xss/index.html";
    built.assert_in(owner_img, &format!("<h1>{}</h1>", tera(CELL_IMG)));
    built.assert_in(owner_svg, &format!("<h1>{}</h1>", tera(CELL_SVG)));
    built.assert_in(
        owner_svg,
        &format!(
            "{} · Fixture archive</title>",
            tera(&format!("{CELL_SVG}: open actions"))
        ),
    );
    for page in [
        "actions/index.html",
        owner_img,
        "services/checkout/index.html",
    ] {
        built.assert_in(page, &tera("=HYPERLINK(\"https://e.org/?leak\",\"click\")"));
    }
    built.assert_in("actions/index.html", &tera(CELL_SVG));
    built.assert_in(
        "causes/index.html",
        &tera("a setting <img src=x onerror=alert('hs-xss')> was pushed to all regions at once."),
    );
    built.assert_in(
        "causes/index.html",
        &tera("Staged rollouts \"><svg/onload=alert('hs-xss')> were only built for code deploys."),
    );
    // The recurrence note on the later incident quotes the earlier one's
    // title and action items.
    built.assert_in(
        "incidents/2024/recurrence/index.html",
        &format!("(“{}”)", tera("+cmd add a canary stage to config pushes")),
    );
}

/// A start tag: its name and attributes, values with entities decoded.
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

fn decode(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|&e| e < 12);
        let Some(end) = end else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "colon" => Some(':'),
            "Tab" => Some('\t'),
            "NewLine" => Some('\n'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The start tags of an HTML page, as a browser's tokenizer would find
/// them (comments skipped, `<script>` and `<style>` contents not parsed).
fn start_tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"<!--") {
            i = html[i..].find("-->").map_or(bytes.len(), |e| i + e + 3);
            continue;
        }
        if bytes[i] != b'<' || !bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        i += 1;
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'/' | b'>')
        {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' {
                i += 1;
                break;
            }
            let start = i;
            i += 1;
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && !matches!(bytes[i], b'/' | b'>' | b'=')
            {
                i += 1;
            }
            let attr = html[start..i].to_ascii_lowercase();
            let mut value = String::new();
            if bytes.get(i) == Some(&b'=') {
                i += 1;
                match bytes.get(i) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let end = html[i + 1..]
                            .find(q as char)
                            .map_or(bytes.len(), |e| i + 1 + e);
                        value = decode(&html[i + 1..end]);
                        i = end + 1;
                    }
                    _ => {
                        let start = i;
                        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>'
                        {
                            i += 1;
                        }
                        value = decode(&html[start..i]);
                    }
                }
            }
            attrs.push((attr, value));
        }
        if matches!(name.as_str(), "script" | "style") {
            let close = format!("</{name}");
            i = html[i.min(bytes.len())..]
                .to_ascii_lowercase()
                .find(&close)
                .map_or(bytes.len(), |e| i + e);
        }
        tags.push(Tag { name, attrs });
    }
    tags
}

/// What in a page could run script: event handler attributes, script
/// URLs, script elements other than the theme's, frames, plugins, forms
/// that post to script, refreshes and `<base>`.
fn armed(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for tag in start_tags(html) {
        let describe = || format!("<{} {:?}>", tag.name, tag.attrs);
        match tag.name.as_str() {
            "iframe" | "frame" | "object" | "embed" | "base" | "applet" => found.push(describe()),
            "meta" if tag.attrs.iter().any(|(a, _)| a == "http-equiv") => found.push(describe()),
            "script" => {
                let src = tag
                    .attrs
                    .iter()
                    .find(|(a, _)| a == "src")
                    .map(|(_, v)| v.as_str());
                let theme =
                    src.is_some_and(|s| s.ends_with("hindsight.js") || s.ends_with("search.js"));
                if !theme {
                    found.push(describe());
                }
            }
            _ => {}
        }
        for (attr, value) in &tag.attrs {
            let squeezed: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            let script_url = ["javascript:", "vbscript:", "data:"]
                .iter()
                .any(|scheme| squeezed.starts_with(scheme))
                && squeezed != "data:,";
            let url_attr = matches!(
                attr.as_str(),
                "href" | "src" | "action" | "formaction" | "xlink:href" | "data" | "poster"
            );
            if attr.starts_with("on")
                || attr == "srcdoc"
                || (url_attr && script_url)
                || (attr == "style" && squeezed.contains("url("))
            {
                found.push(describe());
            }
        }
    }
    found
}

#[test]
fn no_page_holds_markup_that_could_run_script() {
    for mode in [None, Some("sanitize")] {
        let built = build(mode);
        let pages = built.html_pages();
        assert!(pages.len() >= 15, "{:?}", pages.keys());
        for (relative, html) in &pages {
            let found = armed(html);
            assert!(
                found.is_empty(),
                "raw_html {mode:?}: {relative} holds {found:#?}"
            );
        }
    }
    // The scanner itself finds what `trust` lets through.
    let built = build(Some("trust"));
    let found = armed(&built.page(INCIDENT)).join("\n");
    for expected in [
        "\"onclick\"",
        "\"onerror\"",
        "\"onload\"",
        "\"srcdoc\"",
        "\"formaction\"",
        "<script []>",
        "<iframe",
    ] {
        assert!(
            found.contains(expected),
            "trust: the scanner missed {expected}:\n{found}"
        );
    }
}

#[test]
fn exports_keep_payloads_as_plain_data() {
    let built = build(None);
    let json = |name: &str| -> Value { serde_json::from_str(&built.page(name)).unwrap() };

    let incidents = json("incidents.json");
    let hostile = incidents
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "2024/hostile")
        .expect("the hostile incident in incidents.json");
    assert_eq!(hostile["title"], TITLE);
    assert_eq!(
        hostile["services"],
        serde_json::json!(["checkout", SERVICE])
    );
    assert_eq!(
        hostile["root_cause_categories"],
        serde_json::json!(["config-change", CATEGORY])
    );
    assert_eq!(
        hostile["timeline"][0]["event"],
        format!("Error rate rises {CELL_IMG}")
    );
    assert_eq!(hostile["timeline"][0]["who"], CELL_SVG);
    assert_eq!(hostile["timeline"][1]["who"], SCRIPT);
    assert_eq!(hostile["contributing_factors"][0]["name"], CELL_IMG);
    assert_eq!(hostile["action_items"][0]["owner"], CELL_IMG);
    assert_eq!(hostile["action_items"][1]["owner"], CELL_SVG);

    let actions = json("actions.json");
    let first = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["incident"] == "2024/hostile" && a["number"] == "1")
        .expect("action 1 in actions.json");
    assert_eq!(
        first["action"],
        "=HYPERLINK(\"https://e.org/?leak\",\"click\")"
    );
    assert_eq!(first["owner"], CELL_IMG);

    // Spreadsheets would run these cells as formulas: each is defused with
    // a leading apostrophe (and quoted where RFC 4180 needs it).
    let csv = built.page("actions.csv");
    let rows: Vec<&str> = csv
        .split("\r\n")
        .filter(|row| row.starts_with("2024/hostile,"))
        .collect();
    let title = "\"<script>alert('hs-xss')</script> \"\"><svg onload=alert(1)> zebracorn outage\"";
    assert_eq!(
        rows,
        [
            format!("2024/hostile,{title},/incidents/2024/hostile/,1,\"'=HYPERLINK(\"\"https://e.org/?leak\"\",\"\"click\"\")\",<img src=x onerror=alert('hs-xss')>,2024-04-30,High,Open,true,32"),
            format!("2024/hostile,{title},/incidents/2024/hostile/,2,'+cmd add a canary stage to config pushes,\"\"\"><svg/onload=alert('hs-xss')>\",2024-04-30,High,Open,true,32"),
            format!("2024/hostile,{title},/incidents/2024/hostile/,3,'@SUM(1+1) page on error rate within a minute,Dana Whitfield,2024-04-30,Medium,Open,true,32"),
            format!("2024/hostile,{title},/incidents/2024/hostile/,4,'-2+3 review the config tool's rollout steps,Dana Whitfield,2024-04-30,Low,Open,true,32"),
        ]
    );

    // The feed is well-formed XML whose title is the literal text.
    let atom = built.page("atom.xml");
    let doc = roxmltree::Document::parse(&atom).expect("atom.xml is XML");
    let entry = doc
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .find(|e| {
            e.descendants().any(|n| {
                n.has_tag_name("id") && n.text() == Some("urn:hindsight:incident:2024/hostile")
            })
        })
        .expect("the hostile entry");
    let child = |name: &str| entry.children().find(|n| n.has_tag_name(name)).unwrap();
    assert_eq!(child("title").text(), Some(TITLE));
    assert_eq!(
        child("title").children().count(),
        1,
        "the title is one text node"
    );
    assert_eq!(
        child("summary").text(),
        Some("The incident occurred when: a setting <img src=x onerror=alert('hs-xss')> was pushed to all regions at once.")
    );
    let terms: Vec<_> = entry
        .children()
        .filter(|n| n.has_tag_name("category"))
        .filter_map(|n| n.attribute("term"))
        .collect();
    assert_eq!(terms, ["P1", "checkout", SERVICE]);
    assert!(atom.contains("<title>&lt;script&gt;alert(&#39;hs-xss&#39;)&lt;/script&gt; &quot;&gt;&lt;svg onload=alert(1)&gt; zebracorn outage</title>"));
}

#[test]
fn search_records_hold_the_text_not_markup() {
    let built = build(None);
    let archive = built.site.load();
    let all = archive.all();
    let views = Views::compute(&all, &archive.config, jiff::civil::date(2024, 6, 1), None);
    let records = hindsight::search::records(&all, views.summaries());
    let record = records
        .iter()
        .find(|r| r.url == "incidents/2024/hostile/index.html")
        .expect("the hostile record");
    assert_eq!(record.meta["title"], TITLE);
    // The search page writes excerpts as text nodes (the browser test
    // searches); the record itself is the text a reader sees on the page.
    for text in [
        TITLE,
        "<script>alert('hs-xss')</script> Zebracorn outage",
        "Checkout failed <img src=x onerror=alert(1)> for a while",
        "<iframe srcdoc=\"<script>parent.console.log('hs-xss')</script>\"></iframe>",
    ] {
        assert!(
            record.content.contains(text),
            "{text}\nnot in\n{}",
            record.content
        );
    }
    // Filter values are data: the search page's script only ever compares
    // them, and its options are written by Tera (see the next test).
    assert_eq!(record.filters["service"], ["Checkout", SERVICE]);
    assert_eq!(
        record.filters["category"],
        ["Configuration change", CATEGORY]
    );
    let recurrence = records
        .iter()
        .find(|r| r.url == "incidents/2024/recurrence/index.html")
        .expect("the recurrence's record");
    assert_eq!(recurrence.filters["severity"], [SERVICE]);
}

#[test]
fn search_filters_are_written_as_text() {
    let built = build(None);
    let page = built.page("search/index.html");
    for option in [
        format!("<option value=\"{s}\">{s} (1)</option>", s = tera(SERVICE)),
        format!("<option value=\"{c}\">{c} (1)</option>", c = tera(CATEGORY)),
    ] {
        assert!(page.contains(&option), "{option}\nnot in\n{page}");
    }
    assert!(!page.contains(SERVICE) && !page.contains(CATEGORY));
}

#[test]
fn sanitize_keeps_formatting_and_removes_what_runs() {
    let built = build(Some("sanitize"));
    let page = built.page(INCIDENT);
    for kept in [
        // Raw inline HTML is now markup, without its handler.
        "<p>Checkout failed <img src=\"x\"> for a while<sup class=\"footnote-reference\"><a href=\"#&quot;&gt;&lt;svg onload=alert(1)&gt;\">1</a></sup>.</p>",
        "<div class=\"footnote-definition\" id=\"&quot;&gt;&lt;svg onload=alert(1)&gt;\"><sup class=\"footnote-definition-label\">1</sup> A footnote <img src=\"x\">.",
        "<h2 id=\"background\">\"&gt; Background</h2>",
        "<h2 id=\"notes\">Notes</h2>",
        // A raw heading's id keeps its text, escaped, so the theme's
        // splitting of headings cannot be led out of the attribute.
        "<h2 id=\"a&gt;&lt;svg onload=alert(1)&gt;\">Raw heading</h2>",
        "<li><input disabled=\"\" type=\"checkbox\" checked=\"\">\n<img src=\"x\"> checked task</li>",
        "<li><input disabled=\"\" type=\"checkbox\">\n<code>&lt;script&gt;alert('hs-xss')&lt;/script&gt;</code> open task</li>",
        "<tr><td style=\"text-align:left\"><img src=\"x\"></td><td style=\"text-align:right\"><code>&lt;script&gt;alert('hs-xss')&lt;/script&gt;</code></td></tr>",
        "<pre><code>&lt;script&gt;alert('hs-xss')&lt;/script&gt;\n</code></pre>",
        "<div>raw block</div>",
        "<p>Inline: <img src=\"x\">  <a>raw link</a></p>",
        // An input is always disabled.
        "\n<input disabled=\"\">\n",
        "<details><summary>s</summary>d</details>",
        "The incident occurred when: a setting",
    ] {
        assert!(page.contains(kept), "sanitize lost\n  {kept}");
    }
    for gone in [
        "<script>",
        "hs-beacon",
        "<iframe",
        "<form",
        "<svg",
        "<details open",
    ] {
        assert!(!page.contains(gone), "sanitize kept {gone}");
    }
    assert_eq!(armed(&page), Vec::<String>::new());
}

#[test]
fn trust_passes_raw_html_through() {
    let built = build(Some("trust"));
    for raw in [
        "<p>Checkout failed <img src=x onerror=alert(1)> for a while",
        "<script>console.log('hs-xss'); fetch('/hs-beacon-script')</script>",
        "<div style=\"background:url(/hs-beacon-style)\" onclick=\"alert(1)\">raw block</div>",
        "<iframe srcdoc=\"<script>parent.console.log('hs-xss')</script>\"></iframe>",
    ] {
        built.assert_in(INCIDENT, raw);
    }
    // Markdown links still lose script targets, and template values are
    // still escaped: `trust` is about raw HTML only.
    built.assert_in(INCIDENT, "<a href=\"#\">b</a>");
    built.assert_in(INCIDENT, &format!("<h1>{}</h1>", tera(TITLE)));
}

#[test]
fn an_unknown_raw_html_value_is_a_config_error_with_its_place() {
    let site = Site::with_config(&format!(
        "{}\n[markdown]\nraw_html = \"allow\"\n",
        site_toml("UTC")
    ));
    site.write("2024/hostile.md", HOSTILE);
    let output = common::build(&site.root(), &site.out("public"), &[], None);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let line = site_toml("UTC").lines().count() + 3;
    assert!(
        stderr(&output).contains(&format!(
            "site.toml:{line}:12: unknown variant `allow`, expected one of `escape`, `sanitize`, `trust`"
        )),
        "{}",
        stderr(&output)
    );
}

// The browser test.

const MODE_VAR: &str = "HINDSIGHT_BROWSER_TESTS";
const CHROMIUM_VAR: &str = "HINDSIGHT_CHROMIUM";
/// The whole browser script's limit (it has its own, shorter ones).
const BROWSER: Duration = Duration::from_secs(270);
fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// True when the browser test should run; false (after saying why) to
/// skip it; panics when it must run and cannot (as `tests/browser.rs`).
fn browser_available() -> bool {
    let mode = std::env::var(MODE_VAR).unwrap_or_default();
    if mode == "skip" {
        eprintln!("browser test skipped: {MODE_VAR}=skip");
        return false;
    }
    let mut missing = Vec::new();
    let chromium =
        std::env::var_os(CHROMIUM_VAR).map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from);
    if !chromium.is_file() {
        missing.push(format!(
            "Chromium at {} (or set {CHROMIUM_VAR})",
            chromium.display()
        ));
    }
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        missing.push("Node.js 20 or later on PATH".to_string());
    }
    if !browser_dir()
        .join("node_modules/playwright-core/package.json")
        .is_file()
    {
        missing.push("playwright-core (`npm ci --prefix tests/browser`)".to_string());
    }
    if missing.is_empty() {
        return true;
    }
    let list = missing.join("\n  - ");
    if mode == "require" {
        panic!("{MODE_VAR}=require, but the browser test cannot run; install:\n  - {list}");
    }
    eprintln!("browser test SKIPPED: missing:\n  - {list}\nSet {MODE_VAR}=require to make this a failure.");
    false
}

/// Runs `xss.mjs` on a built archive: its exit code and output.
fn run_browser(site: &Path) -> (Option<i32>, String) {
    let started = Instant::now();
    let mut command = Command::new("node");
    command
        .arg(browser_dir().join("xss.mjs"))
        .arg(site)
        .arg("zebracorn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so that a hung run can be ended with Chromium.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut node = command.spawn().expect("run node");
    let (stdout, stderr) = (node.stdout.take().unwrap(), node.stderr.take().unwrap());
    let readers = [reader(stdout), reader(stderr)];
    let status = loop {
        if let Some(status) = node.try_wait().expect("wait for node") {
            break status.code();
        }
        if started.elapsed() > BROWSER {
            #[cfg(unix)]
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", node.id())])
                .status();
            let _ = node.kill();
            let _ = node.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output: Vec<String> = readers
        .into_iter()
        .map(|r| r.join().unwrap_or_default())
        .collect();
    let output = output.join("");
    eprintln!(
        "{output}(browser run: {} ms)",
        started.elapsed().as_millis()
    );
    (status, output)
}

fn reader(mut stream: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text);
        text
    })
}

fn detections(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("xss.mjs: RAN: "))
        .collect()
}

#[test]
fn in_a_browser_nothing_a_post_mortem_wrote_runs() {
    if !browser_available() {
        return;
    }
    for mode in [None, Some("sanitize")] {
        let built = build(mode);
        let (status, output) = run_browser(&built.out);
        assert!(
            matches!(status, Some(0 | 1)),
            "raw_html {mode:?}: the browser check did not complete:\n{output}"
        );
        assert!(
            detections(&output).is_empty(),
            "raw_html {mode:?}: script from a post-mortem ran:\n{output}"
        );
    }
}

#[test]
fn in_a_browser_trusted_raw_html_is_seen_running() {
    if !browser_available() {
        return;
    }
    let built = build(Some("trust"));
    let (status, output) = run_browser(&built.out);
    assert_eq!(
        status,
        Some(1),
        "expected the detector to see script run:\n{output}"
    );
    let found = detections(&output).join("\n");
    for expected in [
        "incidents/2024/hostile/index.html: a alert dialog opened: \"1\"",
        "incidents/2024/hostile/index.html: console.log: hs-xss",
        "a request went to /hs-beacon-script",
        "a request went to /hs-beacon-style",
        "armed markup in the page: <div onclick=\"alert(1)\">",
    ] {
        assert!(
            found.contains(expected),
            "the detector missed `{expected}`:\n{output}"
        );
    }
}
