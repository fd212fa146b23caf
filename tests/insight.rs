//! Cross-incident views: exact figures from fixture archives with known
//! incidents (recurrence, related incidents, the follow-up ledger, services,
//! debt, metrics, feeds and exports).

mod common;

use common::*;
use hindsight::{debt, ledger, metrics, recurrence, services, views};

/// VALID, moved to `start` (RFC 3339, UTC), lasting `minutes`, detected
/// `detect` minutes in, with the given services, categories and debt.
fn incident(
    start: &str,
    minutes: i64,
    detect: i64,
    services: &str,
    categories: &str,
    debt: &str,
) -> String {
    let started = jiff::Timestamp::from_str_or_panic(start);
    let ended = started + jiff::SignedDuration::from_mins(minutes);
    let detected = started + jiff::SignedDuration::from_mins(detect);
    let text = valid_with(
        "started: 2024-03-14T09:12:00+01:00",
        &format!("started: {started}"),
    );
    let text = edit(
        &text,
        "ended: 2024-03-14T10:40:00+01:00",
        &format!("ended: {ended}\ndetected: {detected}\ndebt: [{debt}]"),
    );
    let text = edit(
        &text,
        "services: [checkout]",
        &format!("services: [{services}]"),
    );
    edit(
        &text,
        "root_cause_categories: [config-change]",
        &format!("root_cause_categories: [{categories}]"),
    )
}

trait FromStrOrPanic {
    fn from_str_or_panic(s: &str) -> Self;
}

impl FromStrOrPanic for jiff::Timestamp {
    fn from_str_or_panic(s: &str) -> Self {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }
}

fn archive() -> hindsight::pipeline::Archive {
    let site = Site::with_config(&format!(
        "{}\n[[debt]]\nid = \"no-canary\"\ntitle = \"Config pushed everywhere at once\"\nservices = [\"checkout\"]\n\n[[debt]]\nid = \"old-pool\"\ntitle = \"Hand-tuned pool sizes\"\n",
        site_toml("UTC").replace("min_whys = 2", "min_whys = 2\nrecurrence_days = 60")
    ));
    // Five checkout incidents (durations 30, 60, 90, 120, 600 minutes; detected after 5, 10, 15, 20, 25)
    // and one payments incident.
    site.write(
        "2024/a.md",
        &incident(
            "2024-01-10T10:00:00Z",
            30,
            5,
            "checkout",
            "config-change",
            "no-canary",
        ),
    )
    .write(
        "2024/b.md",
        &incident(
            "2024-02-01T10:00:00Z",
            60,
            10,
            "checkout",
            "config-change",
            "no-canary",
        ),
    )
    .write(
        "2024/c.md",
        &incident("2024-05-01T10:00:00Z", 90, 15, "checkout", "capacity", ""),
    )
    .write(
        "2024/d.md",
        &incident(
            "2024-05-20T10:00:00Z",
            120,
            20,
            "checkout",
            "capacity",
            "old-pool",
        ),
    )
    .write(
        "2024/e.md",
        &incident(
            "2024-08-01T10:00:00Z",
            600,
            25,
            "checkout",
            "config-change",
            "no-canary",
        ),
    )
    .write(
        "2024/f.md",
        &incident(
            "2024-08-02T10:00:00Z",
            45,
            5,
            "payments",
            "config-change",
            "",
        ),
    );
    let archive = site.load();
    assert_eq!(
        archive.post_mortems.len(),
        6,
        "{:?}",
        archive.findings().collect::<Vec<_>>()
    );
    archive
}

fn index(archive: &hindsight::pipeline::Archive, id: &str) -> usize {
    archive
        .post_mortems
        .iter()
        .position(|pm| pm.id == id)
        .unwrap()
}

#[test]
fn recurrences_share_a_service_and_a_category_within_the_window() {
    let archive = archive();
    let rec = recurrence::recurrences(&archive.all(), 60);
    // a (Jan 10) and b (Feb 1) share checkout + config-change, 22 days apart: a recurrence.
    // c (May 1) and d (May 20) share checkout + capacity, 19 days apart.
    // b and e share both but are 182 days apart; e and f share no service.
    let b = &rec[index(&archive, "2024/b")];
    assert_eq!(b.len(), 1);
    assert_eq!(
        (
            b[0].other.id.as_str(),
            b[0].other_is_earlier,
            b[0].days_apart
        ),
        ("2024/a", true, 22)
    );
    assert_eq!(b[0].other.shared, ["checkout", "config-change"]);
    let a = &rec[index(&archive, "2024/a")];
    assert_eq!(
        (a[0].other.id.as_str(), a[0].other_is_earlier),
        ("2024/b", false)
    );
    // VALID's action item "Add a canary stage to config pushes" aims at config(-change) and is open.
    assert_eq!(a[0].earlier_actions.len(), 1);
    assert!(a[0].earlier_actions[0].open);
    assert_eq!(rec[index(&archive, "2024/d")][0].other.id, "2024/c");
    assert!(rec[index(&archive, "2024/e")].is_empty());
    assert!(rec[index(&archive, "2024/f")].is_empty());
}

#[test]
fn related_incidents_rank_by_what_they_share_then_by_time() {
    let archive = archive();
    let related = recurrence::related(&archive.all(), 3);
    let ids: Vec<&str> = related[index(&archive, "2024/a")]
        .iter()
        .map(|l| l.id.as_str())
        .collect();
    // b and e share checkout, config-change and no-canary (3); b is nearer in time.
    assert_eq!(ids, ["2024/b", "2024/e", "2024/c"]);
}

#[test]
fn services_have_their_incidents_and_medians() {
    let archive = archive();
    let today = jiff::civil::date(2024, 9, 1);
    let mut newest: Vec<(views::IncidentSummary, &hindsight::post_mortem::PostMortem)> = archive
        .all()
        .into_iter()
        .map(|pm| (views::summary(pm, &archive.config, today), pm))
        .collect();
    newest.sort_by(|(a, _), (b, _)| views::newest_first(a, b));
    let pairs: Vec<_> = newest.iter().map(|(s, pm)| (s, *pm)).collect();
    let all = services::services(&pairs, &archive.config);
    let checkout = all.iter().find(|s| s.id == "checkout").unwrap();
    assert_eq!(
        (checkout.count, checkout.last_date.as_str()),
        (5, "2024-08-01")
    );
    // Resolve: 30 60 90 120 600 -> median 90; p90 rank 3.6 -> 120 + 0.6 * 480 = 408.
    assert_eq!(checkout.time_to_resolve.median_minutes, Some(90.0));
    assert_eq!(checkout.time_to_resolve.p90_minutes, Some(408.0));
    // Detect: 5 10 15 20 25 -> median 15; p90 rank 3.6 -> 20 + 0.6 * 5 = 23.
    assert_eq!(checkout.time_to_detect.median_minutes, Some(15.0));
    assert_eq!(checkout.time_to_detect.p90_minutes, Some(23.0));
    let payments = all.iter().find(|s| s.id == "payments").unwrap();
    assert_eq!(
        (payments.count, payments.time_to_resolve.median_minutes),
        (1, None),
        "fewer than 5: no figure"
    );
    assert_eq!(checkout.categories[0].key, "Configuration change");
    assert_eq!(checkout.categories[0].count, 3);
}

#[test]
fn debt_is_ranked_by_incidents_then_impact_hours() {
    let archive = archive();
    let newest: Vec<&hindsight::post_mortem::PostMortem> = archive.all();
    let ranked = debt::ranked(&newest, &archive.config);
    assert_eq!(ranked[0].id, "no-canary");
    assert_eq!(ranked[0].count, 3);
    // a 30 + b 60 + e 600 minutes = 11.5 hours.
    assert_eq!(ranked[0].impact_hours, 11.5);
    assert_eq!(
        (
            ranked[1].id.as_str(),
            ranked[1].count,
            ranked[1].impact_hours
        ),
        ("old-pool", 1, 2.0)
    );
}

#[test]
fn the_ledger_groups_by_owner_and_computes_completion() {
    let archive = archive();
    let today = jiff::civil::date(2024, 9, 1);
    let rows: Vec<views::ActionRow> = archive
        .post_mortems
        .iter()
        .flat_map(|pm| {
            pm.action_items
                .iter()
                .map(move |a| views::action_row(pm, a, today))
        })
        .collect();
    let owners = ledger::owners(&rows);
    assert_eq!(owners.len(), 1);
    let dana = &owners[0];
    assert_eq!(
        (dana.name.as_str(), dana.slug.as_str()),
        ("Dana Whitfield", "dana-whitfield")
    );
    assert_eq!(dana.url, "actions/dana-whitfield/index.html");
    // One open item per incident, all due 2024-04-30: overdue by 124 days on 2024-09-01.
    assert_eq!(
        (dana.total, dana.open.len(), dana.done, dana.overdue),
        (6, 6, 0, 6)
    );
    assert_eq!(dana.open[0].overdue_days, Some(124));
    let newest: Vec<&hindsight::post_mortem::PostMortem> = archive.all();
    let (by_incident, by_quarter) = ledger::completion_rates(&newest);
    assert_eq!(by_incident.len(), 6);
    let quarters: Vec<(&str, usize, usize)> = by_quarter
        .iter()
        .map(|c| (c.key.as_str(), c.total, c.done))
        .collect();
    assert_eq!(
        quarters,
        [("2024-Q1", 2, 0), ("2024-Q2", 2, 0), ("2024-Q3", 2, 0)]
    );
}

#[test]
fn metrics_give_medians_and_percentiles_only_with_five_incidents() {
    let archive = archive();
    let m = metrics::compute(&archive.all(), &archive.config);
    assert_eq!(m.incidents, 6);
    let months: Vec<(&str, usize)> = m
        .per_month
        .iter()
        .map(|p| (p.month.as_str(), p.total))
        .collect();
    assert_eq!(
        months,
        [
            ("2024-01", 1),
            ("2024-02", 1),
            ("2024-05", 2),
            ("2024-08", 2)
        ]
    );
    // All six are P1 (VALID's severity): resolve 30 45 60 90 120 600 -> median (60+90)/2 = 75;
    // p90 rank 4.5 -> 120 + 0.5 * 480 = 360.
    let p1 = m.by_severity.iter().find(|g| g.key == "P1").unwrap();
    assert_eq!(p1.time_to_resolve.n, 6);
    assert_eq!(p1.time_to_resolve.median_minutes, Some(75.0));
    assert_eq!(p1.time_to_resolve.p90_minutes, Some(360.0));
    let p0 = m.by_severity.iter().find(|g| g.key == "P0").unwrap();
    assert_eq!(
        (p0.time_to_resolve.n, p0.time_to_resolve.median_minutes),
        (0, None)
    );
}

#[test]
fn feeds_and_exports_are_written_and_parse() {
    let site = Site::new();
    site.write(
        "2024/a.md",
        &valid_with(
            "| 1 | Add a canary stage to config pushes |",
            "| 1 | =HYPERLINK(\"http://x\") canary stage, with \"quotes\" |",
        ),
    );
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some("1725148800"));
    assert!(output.status.success(), "{}", stderr(&output));
    let csv = std::fs::read_to_string(out.join("actions.csv")).unwrap();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "incident,incident_title,incident_url,number,action,owner,due,priority,status,overdue,overdue_days");
    assert!(
        lines[1].contains(",1,\"'=HYPERLINK(\"\"http://x\"\") canary stage, with \"\"quotes\"\"\",Dana Whitfield,2024-04-30,High,Open,true,124"),
        "{}",
        lines[1]
    );
    let atom = std::fs::read_to_string(out.join("atom.xml")).unwrap();
    let doc = roxmltree::Document::parse(&atom).expect("atom.xml is well-formed XML");
    let feed = doc.root_element();
    assert_eq!(
        (feed.tag_name().name(), feed.tag_name().namespace()),
        ("feed", Some("http://www.w3.org/2005/Atom"))
    );
    let entries: Vec<_> = feed
        .children()
        .filter(|n| n.has_tag_name("entry"))
        .collect();
    assert_eq!(entries.len(), 1);
    let child = |n: &roxmltree::Node, name: &str| {
        n.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .map(String::from)
    };
    assert_eq!(
        child(&entries[0], "title").as_deref(),
        Some("Checkout errors after a connection-pool setting was pushed everywhere")
    );
    assert_eq!(
        child(&entries[0], "published").as_deref(),
        Some("2024-03-14T09:12:00+01:00")
    );
    assert!(atom.starts_with(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
    ));
    assert_eq!(atom.matches("<entry>").count(), 1);
    assert!(atom.contains("<id>urn:hindsight:incident:2024/a</id>"));
    assert!(atom.contains("<updated>2024-09-01T00:00:00Z</updated>"));
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(metrics["incidents"], 1);
    assert_eq!(metrics["min_sample"], 5);
    for page in [
        "services/index.html",
        "services/checkout/index.html",
        "actions/dana-whitfield/index.html",
        "debt/index.html",
        "metrics/index.html",
    ] {
        assert!(out.join(page).is_file(), "{page}");
    }
}

#[test]
fn causes_count_incidents_per_category_with_a_quarterly_trend() {
    let archive = archive();
    let groups = views::causes(&archive.all(), &archive.config);
    let counts: Vec<(&str, usize)> = groups
        .iter()
        .filter(|g| !g.incidents.is_empty())
        .map(|g| (g.id.as_str(), g.incidents.len()))
        .collect();
    assert_eq!(counts, [("config-change", 4), ("capacity", 2)]);
    let quarters = views::quarters(&archive.all());
    assert_eq!(quarters, ["2024-Q1", "2024-Q2", "2024-Q3"]);
    // config-change: a (Jan), b (Feb), e and f (Aug).
    assert_eq!(views::trend(&groups[0], &quarters), [2, 0, 2]);
}

#[test]
fn contributing_factors_recur_across_incidents_by_normalised_name() {
    assert_eq!(
        views::normalise_factor("The missing alert on X."),
        "missing alert on x"
    );
    let archive = archive();
    let newest: Vec<&hindsight::post_mortem::PostMortem> = archive.all();
    let factors = views::recurring_factors(&newest);
    // Every fixture incident names "No canary" as a factor.
    assert_eq!(factors.len(), 1);
    assert_eq!(
        (factors[0].name.as_str(), factors[0].incidents.len()),
        ("No canary", 6)
    );
}

/// Builds `site` with `days` checkout config-change incidents, `day-01`
/// to `day-NN`, a day apart from 2024-01-02; returns the causes page.
fn causes_page_of_daily_incidents(site: &Site, days: i64) -> String {
    for day in 1..=days {
        let start = jiff::civil::date(2024, 1, 1) + jiff::Span::new().days(day);
        site.write(
            &format!("2024/day-{day:02}.md"),
            &incident(
                &format!("{start}T10:00:00Z"),
                30,
                5,
                "checkout",
                "config-change",
                "",
            ),
        );
    }
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some("1735689600"));
    assert!(out.join("index.html").is_file(), "{}", stderr(&output));
    std::fs::read_to_string(out.join("causes/index.html")).unwrap()
}

#[test]
fn the_causes_page_shows_the_newest_hundred_recurrences_and_counts_all() {
    let site = Site::with_config(
        &site_toml("UTC").replace("min_whys = 2", "min_whys = 2\nrecurrence_days = 60"),
    );
    // 30 checkout config-change incidents a day apart. Each keeps its 10
    // nearest recurrences; the pairs whose other incident is earlier are
    // listed: 150 in all.
    let causes = causes_page_of_daily_incidents(&site, 30);
    assert_eq!(causes.matches("<li class=\"recurrence-item").count(), 100);
    assert!(
        causes.contains("The newest 100 of 150 are shown"),
        "{causes}"
    );
    // Newest first: the last day's pairs lead.
    let first = causes.find("recurrence-pair").unwrap();
    assert!(causes[first..first + 400].contains("day-30"));
    let incident =
        std::fs::read_to_string(site.out("public").join("incidents/2024/day-05/index.html"))
            .unwrap();
    assert!(incident.contains("day-04"), "each incident keeps its own");
}

#[test]
fn the_actions_page_lists_the_most_overdue_five_hundred_and_owners_keep_all() {
    let site = Site::new();
    // 101 post-mortems with VALID's one open action (due 2024-04-30), and
    // one with 500 more, due a day apart from 2024-01-01: 601 open items.
    for n in 1..=101 {
        site.write(&format!("2024/small-{n:03}.md"), VALID);
    }
    let row = "| 1 | Add a canary stage to config pushes | Dana Whitfield | 2024-04-30 | High |";
    let rows: Vec<String> = (0..500)
        .map(|i| {
            let due = jiff::civil::date(2024, 1, 1) + jiff::Span::new().days(i);
            format!(
                "| {} | Add check {i} to the config pipeline | Dana Whitfield | {due} | High |",
                i + 1
            )
        })
        .collect();
    site.write("2024/big.md", &edit(VALID, row, &rows.join("\n")));
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some("1735689600"));
    assert!(out.join("index.html").is_file(), "{}", stderr(&output));
    let read = |path: &str| std::fs::read_to_string(out.join(path)).unwrap();

    let actions = read("actions/index.html");
    let table = &actions[actions.find("id=\"actions-table\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(table.matches("<tr class=").count(), 500);
    assert!(
        actions.contains("The 500 most overdue of 601 open items."),
        "{actions}"
    );
    // Most overdue first: the item due on 2024-01-01 leads.
    let first = table.find("<tr class=").unwrap();
    assert!(table[first..first + 1200].contains("Add check 0 to the config pipeline"));
    assert!(
        actions.contains("The 100 newest of 102 incidents with action items"),
        "{actions}"
    );

    let owner = read(&ledger::owner_url("Dana Whitfield"));
    assert_eq!(owner.matches("<tr class=").count(), 601);
    let csv = read("actions.csv");
    assert_eq!(csv.lines().count(), 1 + 601);
}

#[test]
fn the_causes_page_lists_the_newest_of_each_group_and_links_to_the_rest() {
    let site = Site::new();
    // 60 post-mortems in Configuration change, all naming the factor "No canary".
    let causes = causes_page_of_daily_incidents(&site, 60);
    let group = &causes[causes.find("id=\"cause-config-change\"").unwrap()..];
    let group = &group[..group.find("</section>").unwrap()];
    assert_eq!(group.matches("<li class=\"cause-item\">").count(), 50);
    assert!(
        group.contains("The newest 50 of 60 are shown. <a href=\"../search/index.html?category=Configuration%20change\">List all 60 in search</a>"),
        "{group}"
    );
    // Newest first: day 60 leads, day 10 is the last shown.
    assert!(group.find("day-60").unwrap() < group.find("day-11").unwrap());
    assert!(!group.contains("day-10/"));
    assert!(causes.contains("<span class=\"count-badge\" title=\"60 post-mortems\">60</span>"));
    let factors = &causes[causes.find("id=\"factors\"").unwrap()..];
    let factors = &factors[..factors.find("</section>").unwrap()];
    assert_eq!(factors.matches("<li><a href=").count(), 20);
    assert!(factors.contains("The newest 20 of 60."), "{factors}");
}
