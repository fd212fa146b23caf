//! Feeds and spreadsheet exports: `/atom.xml` and `/actions.csv`.

use crate::config::SiteConfig;
use crate::markup::escape;
use crate::post_mortem::PostMortem;
use crate::views::ActionRow;

/// How many post-mortems the Atom feed carries, newest first.
pub const FEED_ENTRIES: usize = 50;

/// An Atom id: the page's URL when the site has an absolute base URL, else a
/// URN that stays the same wherever the archive is served.
fn feed_id(base: &str, id: &str) -> String {
    match (
        base.starts_with("http://") || base.starts_with("https://"),
        id.is_empty(),
    ) {
        (true, true) => base.to_string(),
        (true, false) => format!("{base}incidents/{id}/"),
        (false, true) => "urn:hindsight:archive".to_string(),
        (false, false) => format!("urn:hindsight:incident:{id}"),
    }
}

/// An Atom feed of the newest post-mortems. `newest` is newest first; `updated`
/// is the build's date-time (RFC 3339), since entries carry no edit time.
pub fn atom(newest: &[&PostMortem], config: &SiteConfig, updated: &str) -> Vec<u8> {
    let base = &config.base_url;
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!("  <title>{}</title>\n", escape(&config.title)));
    if !config.description.is_empty() {
        out.push_str(&format!(
            "  <subtitle>{}</subtitle>\n",
            escape(&config.description)
        ));
    }
    out.push_str(&format!("  <id>{}</id>\n", escape(&feed_id(base, ""))));
    out.push_str(&format!("  <link href=\"{}\"/>\n", escape(base)));
    out.push_str(&format!(
        "  <link rel=\"self\" href=\"{}atom.xml\"/>\n",
        escape(base)
    ));
    out.push_str(&format!("  <updated>{updated}</updated>\n"));
    out.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        escape(&config.title)
    ));
    out.push_str("  <generator>hindsight</generator>\n");
    for pm in newest.iter().take(FEED_ENTRIES) {
        let url = format!("{base}incidents/{}/", pm.id);
        let when = pm
            .front
            .ended
            .or(pm.front.started)
            .map_or_else(|| updated.to_string(), |m| m.to_string());
        let summary = pm
            .root_cause
            .proximate
            .as_ref()
            .map_or_else(String::new, |p| {
                format!("The incident occurred when: {}", p.text)
            });
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <title>{}</title>\n", escape(pm.title())));
        out.push_str(&format!(
            "    <id>{}</id>\n",
            escape(&feed_id(base, &pm.id))
        ));
        out.push_str(&format!("    <link href=\"{}\"/>\n", escape(&url)));
        out.push_str(&format!("    <updated>{when}</updated>\n"));
        if let Some(started) = pm.front.started {
            out.push_str(&format!("    <published>{started}</published>\n"));
        }
        if let Some(severity) = &pm.front.severity {
            out.push_str(&format!("    <category term=\"{}\"/>\n", escape(severity)));
        }
        for service in &pm.front.services {
            out.push_str(&format!("    <category term=\"{}\"/>\n", escape(service)));
        }
        out.push_str(&format!("    <summary>{}</summary>\n", escape(&summary)));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out.into_bytes()
}

/// A CSV field: quoted when needed (RFC 4180), and defused when a
/// spreadsheet would read it as a formula.
fn csv_field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// `/actions.csv`: one row per action item with its incident.
pub fn actions_csv(rows: &[ActionRow], config: &SiteConfig) -> Vec<u8> {
    let mut out = String::from(
        "incident,incident_title,incident_url,number,action,owner,due,priority,status,overdue,overdue_days\r\n",
    );
    for r in rows {
        let fields = [
            r.incident_id.clone(),
            r.incident_title.clone(),
            format!("{}incidents/{}/", config.base_url, r.incident_id),
            r.number.clone(),
            r.action.clone(),
            r.owner.clone(),
            r.due.clone().unwrap_or_else(|| r.due_text.clone()),
            r.priority.clone(),
            r.status.clone(),
            r.overdue.to_string(),
            r.overdue_days.map(|d| d.to_string()).unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
    }
}
