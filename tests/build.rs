//! The `hindsight build` command end to end: the bundled archive, exit codes,
//! what is (and is not) written, overdue actions, drafts, reproducibility and
//! links that work from `file://`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

/// 2023-11-14T22:13:20Z.
const EPOCH: &str = "1700000000";

/// The bundled archive (`--root` is the repository) built into a temp dir.
/// Each test builds its own: it takes well under a second.
struct Bundled {
    _dir: tempfile::TempDir,
    out: PathBuf,
    output: Output,
}

fn bundled() -> Bundled {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let output = build(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &out,
        &[],
        Some(EPOCH),
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "bundled archive build failed:\n{}",
        stderr(&output)
    );
    Bundled {
        _dir: dir,
        out,
        output,
    }
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The visible text of a page: tags dropped, entities decoded.
fn page_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    html_text(&out)
}

/// (incident id, timeline rows, whys, action items, duration in minutes),
/// counted by reading the files in content/.
const BUNDLED: [(&str, usize, usize, usize, i64); 12] = [
    ("2012/knight-capital-smars-power-peg", 5, 5, 3, 45),
    ("2017/aws-s3-us-east-1-outage", 7, 5, 6, 257),
    ("2017/gitlab-com-database-deletion", 13, 5, 12, 1454),
    ("2018/github-network-partition-degradation", 16, 5, 5, 1451),
    ("2019/cloudflare-waf-regex-cpu-exhaustion", 9, 5, 7, 27),
    ("2021/facebook-backbone-bgp-dns-outage", 7, 5, 2, 349),
    ("2021/fastly-global-edge-outage", 9, 5, 4, 168),
    ("2021/roblox-consul-73-hour-outage", 12, 5, 8, 4508),
    ("2022/atlassian-cloud-site-deletion", 10, 5, 7, 19699),
    ("2022/github-mysql-contention-2022-03-16", 5, 5, 5, 336),
    ("2022/github-mysql-contention-2022-03-23", 6, 5, 6, 171),
    ("2024/crowdstrike-falcon-channel-file-291", 6, 5, 7, 15591),
];

// ---- (a) the bundled archive -----------------------------------------------------

#[test]
fn bundled_archive_builds_with_exit_0_and_every_page() {
    let b = bundled();
    let out = &b.out;
    let err = stderr(&b.output);
    assert!(
        err.contains("built 12 post-mortems") && err.contains("0 errors"),
        "{err}"
    );
    for page in [
        "index.html",
        "causes/index.html",
        "actions/index.html",
        "search/index.html",
        "incidents.json",
        "actions.json",
        "style.css",
        "search-index/meta.json",
    ] {
        assert!(out.join(page).is_file(), "{page} missing");
    }
    for (id, ..) in BUNDLED {
        let page = out.join("incidents").join(id).join("index.html");
        assert!(page.is_file(), "{} missing", page.display());
    }
    let docs = fs::read_dir(out.join("search-index/doc")).unwrap().count();
    assert_eq!(docs, BUNDLED.len(), "one search document per post-mortem");
}

#[test]
fn bundled_incidents_json_has_each_incident_with_its_counts() {
    let b = bundled();
    let out = &b.out;
    let incidents = json(&out.join("incidents.json"));
    let list = incidents.as_array().expect("an array");
    assert_eq!(list.len(), 12);
    let got: BTreeMap<&str, (usize, usize, usize, i64)> = list
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap(),
                (
                    i["timeline"].as_array().unwrap().len(),
                    i["whys"].as_array().unwrap().len(),
                    i["action_items"].as_array().unwrap().len(),
                    i["duration_minutes"].as_i64().unwrap(),
                ),
            )
        })
        .collect();
    let expected: BTreeMap<&str, (usize, usize, usize, i64)> = BUNDLED
        .iter()
        .map(|&(id, t, w, a, d)| (id, (t, w, a, d)))
        .collect();
    assert_eq!(got, expected);
    // Newest first.
    assert_eq!(list[0]["id"], "2024/crowdstrike-falcon-channel-file-291");
    assert_eq!(list[11]["id"], "2012/knight-capital-smars-power-peg");
    let s3 = list
        .iter()
        .find(|i| i["id"] == "2017/aws-s3-us-east-1-outage")
        .unwrap();
    assert_eq!(s3["severity"], "P0");
    assert_eq!(s3["status"], "resolved");
    assert_eq!(s3["started"], "2017-02-28T09:37:00-08:00");
    assert_eq!(s3["ended"], "2017-02-28T13:54:00-08:00");
    assert_eq!(s3["url"], "/incidents/2017/aws-s3-us-east-1-outage/");
    assert_eq!(s3["timeline"][6]["time"], "2017-02-28T13:54:00-08:00");
    assert_eq!(s3["timeline"][6]["time_text"], "13:54");
    assert_eq!(s3["action_items"][4]["owner"], "Lena Hoffmann");
    assert_eq!(s3["action_items"][4]["due"], "2017-08-31");
    assert_eq!(s3["action_items"][4]["status"], "Done");
    assert_eq!(s3["contributing_factors"].as_array().unwrap().len(), 3);
    assert_eq!(s3["preventions"].as_array().unwrap().len(), 4);
    assert_eq!(
        s3["contributing_factors"][0]["name"],
        "Status dashboard shared fate with S3"
    );
    for i in list {
        assert_eq!(i["findings"], Value::Array(vec![]), "{}", i["id"]);
    }
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn assert_has_keys(v: &Value, expected: &[&str], what: &str) {
    let have = keys(v);
    let missing: Vec<_> = expected.iter().filter(|k| !have.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "{what} lacks {missing:?}; it has {have:?}"
    );
}

#[test]
fn bundled_incidents_json_fields_are_named_as_specified() {
    let b = bundled();
    let out = &b.out;
    let incidents = json(&out.join("incidents.json"));
    for i in incidents.as_array().unwrap() {
        assert_has_keys(
            i,
            &[
                "id",
                "title",
                "severity",
                "status",
                "started",
                "ended",
                "detected",
                "duration_minutes",
                "services",
                "root_cause_categories",
                "url",
                "timeline",
                "proximate_cause",
                "whys",
                "contributing_factors",
                "preventions",
                "went_well",
                "went_poorly",
                "action_items",
                "findings",
            ],
            "incident",
        );
        for (key, kind) in [
            ("id", "string"),
            ("title", "string"),
            ("severity", "string"),
            ("status", "string"),
            ("started", "string"),
            ("ended", "string"),
            ("detected", "string"),
            ("duration_minutes", "number"),
            ("services", "array"),
            ("root_cause_categories", "array"),
            ("url", "string"),
            ("proximate_cause", "string"),
            ("whys", "array"),
        ] {
            let ok = match kind {
                "string" => i[key].is_string(),
                "number" => i[key].is_i64(),
                _ => i[key].is_array(),
            };
            assert!(ok, "{}: `{key}` is not a {kind}: {}", i["id"], i[key]);
        }
        for e in i["timeline"].as_array().unwrap() {
            assert_has_keys(
                e,
                &["time", "time_text", "approximate", "event", "who"],
                "timeline event",
            );
            assert!(e["approximate"].is_boolean());
        }
        for list in [
            "contributing_factors",
            "preventions",
            "went_well",
            "went_poorly",
        ] {
            let items = i[list].as_array().unwrap();
            assert!(!items.is_empty(), "{}: no {list}", i["id"]);
            for item in items {
                assert_has_keys(item, &["name", "detail"], list);
            }
        }
        for a in i["action_items"].as_array().unwrap() {
            assert_has_keys(
                a,
                &["number", "action", "owner", "due", "priority", "status"],
                "action item",
            );
        }
    }
}

#[test]
fn bundled_actions_json_lists_every_action_with_open_and_overdue_ones() {
    let b = bundled();
    let out = &b.out;
    let actions = json(&out.join("actions.json"));
    let list = actions.as_array().unwrap();
    assert_eq!(list.len(), BUNDLED.iter().map(|b| b.3).sum::<usize>());
    assert_eq!(list.len(), 72);
    for a in list {
        assert_has_keys(
            a,
            &[
                "incident", "number", "action", "owner", "due", "priority", "status", "overdue",
            ],
            "action",
        );
        assert!(a["overdue"].is_boolean());
    }
    let open: Vec<(&str, &str)> = list
        .iter()
        .filter(|a| a["status"] == "Open" || a["status"] == "In progress")
        .map(|a| {
            (
                a["incident"].as_str().unwrap(),
                a["number"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(open.len(), 17, "{open:?}");
    let per_incident = |id: &str| open.iter().filter(|(i, _)| *i == id).count();
    assert_eq!(per_incident("2017/gitlab-com-database-deletion"), 4);
    assert_eq!(per_incident("2021/roblox-consul-73-hour-outage"), 3);
    assert_eq!(per_incident("2022/atlassian-cloud-site-deletion"), 2);
    assert_eq!(per_incident("2024/crowdstrike-falcon-channel-file-291"), 1);
    assert_eq!(per_incident("2022/github-mysql-contention-2022-03-16"), 4);
    assert_eq!(per_incident("2022/github-mysql-contention-2022-03-23"), 3);
    // On 2023-11-14 every open action is overdue but CrowdStrike's (due 2025-01-15).
    let overdue: Vec<&str> = list
        .iter()
        .filter(|a| a["overdue"] == true)
        .map(|a| a["incident"].as_str().unwrap())
        .collect();
    assert_eq!(overdue.len(), 16, "{overdue:?}");
    assert!(!overdue.contains(&"2024/crowdstrike-falcon-channel-file-291"));
    let roblox8 = list
        .iter()
        .find(|a| a["incident"] == "2021/roblox-consul-73-hour-outage" && a["number"] == "8")
        .unwrap();
    assert_eq!(roblox8["owner"], "Hana Yoshida");
    assert_eq!(roblox8["due"], "2022-04-30");
    assert_eq!(roblox8["priority"], "Low");
    assert_eq!(roblox8["status"], "Open");
    assert_eq!(roblox8["overdue"], true);
    // The open-actions page lists the open ones, not the done ones.
    let page = page_text(&read(&out.join("actions/index.html")));
    assert!(page
        .contains("Re-enable Consul streaming only after a new implementation passes a load test"));
    assert!(page.contains("Commission two independent software security vendors"));
    assert!(
        !page.contains("Compact the BoltDB Raft log stores"),
        "a done action is listed as open"
    );
}

// ---- (b) error-level findings: exit 1, site still written ------------------------

#[test]
fn findings_exit_1_and_show_on_the_page_and_stderr() {
    let site = Site::new();
    site.write("2024/bad-time.md", &valid_with("| 09:20 |", "| soonish |"))
        .write("2024/fine.md", VALID);
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.lines().any(|l| l
            == "content/2024/bad-time.md:16:3: error[timeline]: `soonish` is not a time hindsight can read"),
        "{err}"
    );
    assert!(
        err.contains("\n  = hint: Write `HH:MM` (on the day the incident started)"),
        "{err}"
    );
    assert!(!err.contains("content/2024/fine.md:"), "{err}");
    // The site is written anyway, and the finding is on its page.
    assert!(out.join("index.html").is_file());
    assert!(out.join("incidents/2024/fine/index.html").is_file());
    let page = page_text(&read(&out.join("incidents/2024/bad-time/index.html")));
    assert!(
        page.contains("soonish is not a time hindsight can read"),
        "finding not on the page"
    );
    let incidents = json(&out.join("incidents.json"));
    let bad = incidents
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "2024/bad-time")
        .unwrap();
    assert_eq!(
        bad["findings"],
        serde_json::json!([{
            "rule": "timeline",
            "level": "error",
            "line": 16,
            "column": 3,
            "message": "`soonish` is not a time hindsight can read"
        }])
    );
}

#[test]
fn raw_html_in_a_post_mortem_is_shown_as_text() {
    let site = Site::new();
    let text = valid_with(
        "Data impact: None.",
        "Data impact: None. <script>alert(\"pwned\")</script> <img src=x onerror=alert(1)>",
    );
    let text = edit(
        &text,
        "title: Checkout errors after a connection-pool setting was pushed everywhere",
        "title: \"Checkout <b>errors</b>\"",
    );
    site.write("2024/html.md", &text);
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for page in ["incidents/2024/html/index.html", "index.html"] {
        let html = read(&out.join(page));
        assert!(
            !html.contains("<script>alert"),
            "{page} runs the post-mortem's script"
        );
        assert!(
            !html.contains("<img src=x"),
            "{page} has the post-mortem's <img>"
        );
        assert!(
            !html.contains("<b>errors</b>"),
            "{page} renders HTML from the title"
        );
    }
    let page = page_text(&read(&out.join("incidents/2024/html/index.html")));
    assert!(
        page.contains("<script>alert(\"pwned\")</script>"),
        "the text is not shown"
    );
}

#[test]
fn warnings_alone_exit_0() {
    let site = Site::new();
    site.write(
        "2024/typo.md",
        &valid_with("services: [checkout]", "services: [chekout]"),
    );
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("content/2024/typo.md:7:12: warning[unknown-service]: `chekout` in `services` is not declared in site.toml"),
        "{}",
        stderr(&output)
    );
}

// ---- (c), (d) exit 2 leaves the output alone -------------------------------------

#[test]
fn invalid_site_toml_exits_2_and_keeps_the_previous_output() {
    let site = Site::new();
    site.write("2024/fine.md", VALID);
    let out = site.out("public");
    let first = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let before = snapshot(&out);
    assert!(before.contains_key("index.html"));

    fs::write(
        site.root().join("site.toml"),
        site_toml("UTC").replace("title = \"Fixture archive\"", "title = \"Fixture archive"),
    )
    .unwrap();
    let second = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("site.toml:1:"),
        "{}",
        stderr(&second)
    );
    assert_eq!(snapshot(&out), before, "the previous build changed");
    let siblings: Vec<String> = fs::read_dir(site.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        siblings.iter().filter(|n| n.starts_with('.')).count(),
        0,
        "staging folders left behind: {siblings:?}"
    );
}

#[test]
fn broken_theme_template_exits_2_and_keeps_the_previous_output() {
    let site = Site::new();
    site.write("2024/fine.md", VALID);
    let out = site.out("public");
    assert_eq!(
        build(&site.root(), &out, &[], Some(EPOCH)).status.code(),
        Some(0)
    );
    let before = snapshot(&out);
    let templates = site.root().join("themes/default/templates");
    fs::create_dir_all(&templates).unwrap();
    fs::write(
        templates.join("index.html"),
        "{% for i in incidents %}never closed",
    )
    .unwrap();
    let output = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(snapshot(&out), before, "the previous build changed");
}

#[test]
fn unknown_time_zone_in_site_toml_exits_2() {
    let site = Site::with_config(&site_toml("Mars/Olympus_Mons"));
    site.write("2024/fine.md", VALID);
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("unknown time zone `Mars/Olympus_Mons`"));
    assert!(!out.exists());
}

#[test]
fn out_folder_hindsight_did_not_write_exits_2_untouched() {
    let site = Site::new();
    site.write("2024/fine.md", VALID);
    let out = site.out("precious");
    fs::create_dir_all(out.join("notes")).unwrap();
    fs::write(out.join("thesis.txt"), "four years of work").unwrap();
    fs::write(out.join("notes/index.html"), "<p>mine</p>").unwrap();
    let before = snapshot(&out);
    let output = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("was not written by hindsight"),
        "{}",
        stderr(&output)
    );
    assert_eq!(snapshot(&out), before);
}

#[test]
fn out_that_is_a_file_exits_2_untouched() {
    let site = Site::new();
    site.write("2024/fine.md", VALID);
    let out = site.out("notes.txt");
    fs::write(&out, "not a folder, and not hindsight's").unwrap();
    let output = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(out.is_file(), "the file at --out was replaced");
    assert_eq!(read(&out), "not a folder, and not hindsight's");
    let names: Vec<String> = fs::read_dir(site.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(names.is_empty(), "left behind: {names:?}");
}

#[test]
fn default_out_is_public_under_the_root() {
    let site = Site::new();
    site.write("2024/fine.md", VALID);
    let output = hindsight(
        &["build", "--root", site.root().to_str().unwrap()],
        Some(EPOCH),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(site
        .root()
        .join("public/incidents/2024/fine/index.html")
        .is_file());
    assert!(site.root().join("public/incidents.json").is_file());
}

#[test]
fn unreadable_file_exits_1_and_the_rest_is_built() {
    let site = Site::new();
    site.write("2024/fine.md", VALID)
        .write_bytes("2024/latin1.md", b"---\ntitle: Caf\xe9\n---\n");
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("content/2024/latin1.md:2:11: error[read]: this file is not UTF-8 text"),
        "{err}"
    );
    assert!(out.join("incidents/2024/fine/index.html").is_file());
    assert_eq!(
        json(&out.join("incidents.json")).as_array().unwrap().len(),
        1
    );
    // The file has no page of its own: the index is where its error shows.
    let index = page_text(&read(&out.join("index.html")));
    assert!(
        index.contains("content/2024/latin1.md") && index.contains("not UTF-8"),
        "index.html does not mention the unreadable file"
    );
}

#[test]
fn a_file_name_without_letters_or_digits_does_not_stop_the_build() {
    // `!!!.md` slugifies to nothing; the other post-mortem must still be built.
    let site = Site::new();
    site.write("!!!.md", VALID).write("2024/fine.md", VALID);
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some(EPOCH));
    assert_ne!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(out.join("incidents/2024/fine/index.html").is_file());
}

#[test]
fn bad_usage_exits_2() {
    let output = hindsight(&["build", "--no-such-flag"], None);
    assert_eq!(output.status.code(), Some(2));
    let site = Site::new();
    fs::remove_dir_all(site.root().join("content")).unwrap();
    let output = build(&site.root(), &site.out("public"), &[], None);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no content folder"),
        "{}",
        stderr(&output)
    );
}

// ---- (e) overdue actions ----------------------------------------------------------

#[test]
fn open_actions_due_before_source_date_epoch_are_overdue() {
    let text = valid_with(
        "| 1 | Add a canary stage to config pushes | Dana Whitfield | 2024-04-30 | High |\n",
        "| 1 | Add a canary stage to config pushes | Dana Whitfield | 2024-04-30 | High |\n\
         | 2 | Page on the error rate within two minutes | Ola Nordmann | 2024-06-30 | Med |\n\
         | 3 | Document the config tool's blast radius | Lee Chen | 2024-05-31 | Low |\n\
         | 4 | Load-test the pool setting | Sam Park | 2024-05-01 | Low |\n",
    );
    // Action 4 is done: never overdue.
    let text = text
        .replace(
            "| # | Action | Owner | Due Date | Priority |",
            "| # | Action | Owner | Due Date | Priority | Status |",
        )
        .replace(
            "|---|--------|-------|----------|----------|",
            "|---|--------|-------|----------|----------|--------|",
        )
        .replace("2024-04-30 | High |", "2024-04-30 | High | Open |")
        .replace("2024-06-30 | Med |", "2024-06-30 | Med | In progress |")
        .replace("2024-05-31 | Low |", "2024-05-31 | Low | |")
        .replace("2024-05-01 | Low |", "2024-05-01 | Low | Done |");
    let site = Site::new();
    site.write("2024/actions.md", &text);
    let out = site.out("public");
    // 2024-05-31T12:00:00Z: "today" is 2024-05-31.
    let output = build(&site.root(), &out, &[], Some("1717156800"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let actions = json(&out.join("actions.json"));
    let got: Vec<(&str, &str, &str, bool)> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["number"].as_str().unwrap(),
                a["due"].as_str().unwrap(),
                a["status"].as_str().unwrap(),
                a["overdue"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("1", "2024-04-30", "Open", true),
            ("2", "2024-06-30", "In progress", false),
            // Due today is not overdue yet.
            ("3", "2024-05-31", "Open", false),
            ("4", "2024-05-01", "Done", false),
        ]
    );
    // The same input on 2024-07-01: actions 2 and 3 are overdue too.
    let later = build(&site.root(), &out, &[], Some("1719835200"));
    assert_eq!(later.status.code(), Some(0));
    let actions = json(&out.join("actions.json"));
    let overdue: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["overdue"] == true)
        .map(|a| a["number"].as_str().unwrap())
        .collect();
    assert_eq!(overdue, ["1", "2", "3"]);
}

#[test]
fn source_date_epoch_that_is_not_a_number_exits_2() {
    let site = Site::new();
    site.write("2024/fine.md", VALID);
    let output = build(&site.root(), &site.out("public"), &[], Some("yesterday"));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("SOURCE_DATE_EPOCH"),
        "{}",
        stderr(&output)
    );
}

// ---- (f) drafts -------------------------------------------------------------------

#[test]
fn drafts_are_built_only_with_the_flag() {
    let site = Site::new();
    site.write("2024/published.md", VALID).write(
        "2024/work-in-progress.md",
        &valid_with("status: resolved\n", "status: resolved\ndraft: true\n"),
    );
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let ids = |out: &Path| -> Vec<String> {
        json(&out.join("incidents.json"))
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&out), ["2024/published"]);
    assert!(!out.join("incidents/2024/work-in-progress").exists());
    assert!(!read(&out.join("index.html")).contains("work-in-progress"));

    let with = site.out("with-drafts");
    let output = build(&site.root(), &with, &["--drafts"], Some(EPOCH));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut got = ids(&with);
    got.sort();
    assert_eq!(got, ["2024/published", "2024/work-in-progress"]);
    assert!(with
        .join("incidents/2024/work-in-progress/index.html")
        .is_file());
    assert!(read(&with.join("index.html")).contains("incidents/2024/work-in-progress/"));
}

#[test]
fn a_draft_with_errors_does_not_fail_a_build_without_drafts() {
    let site = Site::new();
    site.write("2024/published.md", VALID).write(
        "2024/half-written.md",
        &valid_with("status: resolved\n", "status: resolved\ndraft: true\n")
            .replace("| 09:20 |", "| [HH:MM] |"),
    );
    let output = build(&site.root(), &site.out("public"), &[], Some(EPOCH));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = build(&site.root(), &site.out("with"), &["--drafts"], Some(EPOCH));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

// ---- (g) reproducible builds --------------------------------------------------------

#[test]
fn two_builds_of_the_same_input_are_byte_identical() {
    let site = Site::new();
    site.write("2024/a.md", VALID)
        .write("2024/b.md", &valid_with("severity: P1", "severity: P11"))
        .write(
            "2023/c.md",
            &valid_with(
                "started: 2024-03-14T09:12:00+01:00",
                "started: 2023-03-14T09:12:00+01:00",
            )
            .replace(
                "ended: 2024-03-14T10:40:00+01:00",
                "ended: 2023-03-14T10:40:00+01:00",
            ),
        )
        .write("2024/d.md", &valid_with("| 09:20 |", "| 09:05 |"));
    let first = site.out("first");
    let second = site.out("second");
    for out in [&first, &second] {
        let output = build(&site.root(), out, &[], Some(EPOCH));
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    }
    let (a, b) = (snapshot(&first), snapshot(&second));
    for file in [
        "incidents.json",
        "index.html",
        "actions.json",
        "incidents/2024/b/index.html",
    ] {
        assert!(a.contains_key(file), "{file} missing");
        assert!(a[file] == b[file], "{file} differs between two builds");
    }
    let html: Vec<&String> = a.keys().filter(|k| k.ends_with(".html")).collect();
    for file in html {
        assert!(a[file] == b[file], "{file} differs between two builds");
    }
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the builds wrote different files"
    );
}

#[test]
fn rebuilding_into_the_same_folder_replaces_it_exactly() {
    let site = Site::new();
    site.write("2024/a.md", VALID).write("2024/b.md", VALID);
    let out = site.out("public");
    assert_eq!(
        build(&site.root(), &out, &[], Some(EPOCH)).status.code(),
        Some(0)
    );
    let before = snapshot(&out);
    fs::remove_file(site.root().join("content/2024/b.md")).unwrap();
    let output = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let after = snapshot(&out);
    assert!(before.contains_key("incidents/2024/b/index.html"));
    assert!(
        !after.contains_key("incidents/2024/b/index.html"),
        "a removed post-mortem's page stays"
    );
    assert_eq!(
        json(&out.join("incidents.json")).as_array().unwrap().len(),
        1
    );
}

// ---- (h) links ----------------------------------------------------------------------

/// The values of every `href="…"` and `src="…"` attribute.
fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["href=\"", "src=\"", "href='", "src='"] {
        let quote = attr.chars().last().unwrap();
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            let before = rest[..at].chars().last();
            rest = &rest[at + attr.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '-') {
                continue; // data-href=, xlink:href= and the like
            }
            if let Some(end) = rest.find(quote) {
                found.push(html_text(&rest[..end]));
            }
        }
    }
    found
}

/// Checks every link of `page` (relative to `out`); returns the problems.
fn broken_links(out: &Path, page: &str) -> Vec<String> {
    let html = read(&out.join(page));
    let dir = Path::new(page).parent().unwrap_or(Path::new(""));
    let mut problems = Vec::new();
    for link in links(&html) {
        let lower = link.to_ascii_lowercase();
        if ["http:", "https:", "mailto:", "data:", "tel:"]
            .iter()
            .any(|s| lower.starts_with(s))
            || link.starts_with("//")
        {
            continue;
        }
        if link.starts_with('/') {
            problems.push(format!(
                "{page}: `{link}` is absolute from the root and breaks under file://"
            ));
            continue;
        }
        let (path, fragment) = match link.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (link.as_str(), None),
        };
        let path = path.split('?').next().unwrap();
        let target_rel = if path.is_empty() {
            PathBuf::from(page)
        } else {
            normalise(&dir.join(path))
        };
        let target = out.join(&target_rel);
        if !target.is_file() {
            problems.push(if target.is_dir() {
                format!("{page}: `{link}` is a folder; under file:// that is a listing, not its index.html")
            } else {
                format!("{page}: `{link}` does not exist")
            });
            continue;
        }
        if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
            if target_rel.extension().is_some_and(|e| e == "html") {
                let target_html = read(&target);
                if !target_html.contains(&format!("id=\"{fragment}\"")) {
                    problems.push(format!(
                        "{page}: `{link}` has no element with id `{fragment}`"
                    ));
                }
            }
        }
    }
    problems
}

fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                assert!(out.pop(), "`{}` climbs out of the site", path.display());
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn links_on_the_index_and_an_incident_page_resolve_to_files() {
    let b = bundled();
    let out = &b.out;
    let mut problems = Vec::new();
    for page in [
        "index.html",
        "incidents/2017/aws-s3-us-east-1-outage/index.html",
        "causes/index.html",
        "actions/index.html",
    ] {
        let found = links(&read(&out.join(page)));
        assert!(found.len() >= 5, "{page}: only {} links", found.len());
        problems.extend(broken_links(out, page));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // The index links to every incident page, relatively.
    let index = read(&out.join("index.html"));
    for (id, ..) in BUNDLED {
        assert!(
            links(&index).contains(&format!("incidents/{id}/index.html")),
            "index.html does not link to incidents/{id}/index.html"
        );
    }
}

#[test]
fn the_search_page_script_and_the_index_it_loads_exist() {
    let b = bundled();
    let out = &b.out;
    let page = "search/index.html";
    let html = read(&out.join(page));
    assert!(
        links(&html).contains(&"../search.js".to_string()),
        "the search page does not load ../search.js"
    );
    // The script finds the index from the site's root, which the page gives.
    assert!(html.contains("data-root=\"../\""), "{html}");
    let script = read(&out.join("search.js"));
    assert!(script.contains("\"search-index/\""));
    // Every shard the description names, a document per post-mortem and a
    // file for each filter the page offers.
    let meta = json(&out.join("search-index/meta.json"));
    assert_eq!(meta["version"], 1);
    assert_eq!(meta["docs"], BUNDLED.len());
    let keys = meta["keys"].as_array().unwrap();
    assert!(keys.len() > 100, "{keys:?}");
    for key in keys {
        let hex: String = key
            .as_str()
            .unwrap()
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        let shard = out.join(format!("search-index/terms/{hex}.hsi"));
        assert!(shard.is_file(), "{} missing", shard.display());
    }
    for n in 0..BUNDLED.len() {
        assert!(out.join(format!("search-index/doc/{n}.hsi")).is_file());
    }
    for facet in ["severity", "status", "service", "category", "year"] {
        assert!(
            html.contains(&format!("data-filter=\"{facet}\"")),
            "{facet}"
        );
        let file = out.join(format!("search-index/filter/{facet}.hsi"));
        assert!(file.is_file(), "{} missing", file.display());
    }
    assert!(
        broken_links(out, page).is_empty(),
        "{:#?}",
        broken_links(out, page)
    );
}

#[test]
fn fixture_site_pages_link_relatively_at_every_depth() {
    // A post-mortem directly under content/ and one three folders down.
    let site = Site::new();
    site.write("top.md", VALID)
        .write("teams/payments/2024/deep.md", VALID);
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut problems = Vec::new();
    for page in [
        "index.html",
        "incidents/top/index.html",
        "incidents/teams/payments/2024/deep/index.html",
    ] {
        problems.extend(broken_links(&out, page));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
