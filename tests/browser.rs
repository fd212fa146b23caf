//! hindsight in a real browser: headless Chromium, driven by scripts in
//! `tests/browser/` (playwright-core). `serve.mjs` opens an incident page of
//! a fixture site under `hindsight serve`, checks the findings overlay,
//! edits the post-mortem on disk and waits for the page to reload by itself
//! and show the edit. `search.mjs` searches a built fixture archive served
//! below a base path: matches, excerpts, filters, the address, links.
//!
//! Needs Chromium (`/usr/bin/chromium`, or `HINDSIGHT_CHROMIUM`), Node and
//! `npm ci --prefix tests/browser`. Without them the test is skipped with a
//! note on stderr, unless `HINDSIGHT_BROWSER_TESTS=require` (as CI sets it),
//! which makes it fail instead. `HINDSIGHT_BROWSER_TESTS=skip` always skips.

mod common;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{build, edit, stderr, Site, VALID};

const MODE_VAR: &str = "HINDSIGHT_BROWSER_TESTS";
const CHROMIUM_VAR: &str = "HINDSIGHT_CHROMIUM";
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
/// How long the server may take to print its `Serving …` line.
const STARTUP: Duration = Duration::from_secs(60);
/// How long the whole browser script may take (it has its own, shorter,
/// limits per step; this only stops a hung browser from hanging the run).
const BROWSER: Duration = Duration::from_secs(240);

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// What is missing to run the browser test, as install instructions.
fn missing_prerequisites() -> Vec<String> {
    let mut missing = Vec::new();
    let chromium =
        std::env::var_os(CHROMIUM_VAR).map_or_else(|| DEFAULT_CHROMIUM.into(), PathBuf::from);
    if !chromium.is_file() {
        missing.push(format!(
            "Chromium at {} (`apt-get install chromium`, or set {CHROMIUM_VAR} to a Chromium binary)",
            chromium.display()
        ));
    }
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        missing.push("Node.js 20 or later on PATH (`node`)".to_string());
    }
    if !browser_dir()
        .join("node_modules/playwright-core/package.json")
        .is_file()
    {
        missing.push(format!(
            "playwright-core in {} (`npm ci --prefix tests/browser`)",
            browser_dir().join("node_modules").display()
        ));
    }
    missing
}

/// True when the test should run; false (after saying why) to skip it.
/// Panics when it must run and cannot.
fn prerequisites_met() -> bool {
    let mode = std::env::var(MODE_VAR).unwrap_or_default();
    if mode == "skip" {
        eprintln!("browser test skipped: {MODE_VAR}=skip");
        return false;
    }
    let missing = missing_prerequisites();
    if missing.is_empty() {
        return true;
    }
    let list = missing.join("\n  - ");
    if mode == "require" {
        panic!(
            "{MODE_VAR}=require, but the browser test cannot run; install:\n  - {list}\n\
             (on Debian: `apt-get install -y chromium nodejs npm` and `npm ci --prefix tests/browser`)"
        );
    }
    eprintln!(
        "browser test SKIPPED: missing:\n  - {list}\n\
         Install them to run it; set {MODE_VAR}=require to make this a failure (CI does)."
    );
    false
}

/// Collects a child's output lines for failure messages.
fn collect(
    stream: impl Read + Send + 'static,
    prefix: &'static str,
    log: &Arc<Mutex<Vec<String>>>,
    first: Option<mpsc::Sender<String>>,
) -> JoinHandle<()> {
    let log = Arc::clone(log);
    std::thread::spawn(move || {
        let mut first = first;
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(tx) = first.take() {
                let _ = tx.send(line.clone());
            }
            log.lock().unwrap().push(format!("{prefix}{line}"));
        }
    })
}

/// A running `hindsight serve`, stopped when dropped, even if the test panics.
struct Server {
    child: Child,
    url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(root: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hindsight"))
            .args(["serve", "--root"])
            .arg(root)
            .args(["--port", "0"])
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start `hindsight serve`");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        collect(child.stdout.take().unwrap(), "", &log, Some(tx));
        collect(child.stderr.take().unwrap(), "stderr: ", &log, None);
        let mut server = Server {
            child,
            url: String::new(),
            log,
        };
        let first = rx.recv_timeout(STARTUP).unwrap_or_else(|_| {
            panic!(
                "`hindsight serve` printed no `Serving …` line within {} s; its output:\n{}",
                STARTUP.as_secs(),
                server.output()
            )
        });
        server.url = first
            .strip_prefix("Serving ")
            .and_then(|rest| rest.split_whitespace().next())
            .filter(|url| url.starts_with("http://"))
            .unwrap_or_else(|| {
                panic!(
                    "the first line of `hindsight serve` is not `Serving http://…`: {first:?}; its output:\n{}",
                    server.output()
                )
            })
            .to_string();
        server
    }

    fn output(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `tests/browser/SCRIPT` with `args` under node, in its own process
/// group so that a hung run ends with its Chromium: the exit status (`None`
/// when it did not finish within `BROWSER`) and everything it printed.
fn run_node(script: &str, args: &[&OsStr]) -> (Option<ExitStatus>, String) {
    let started = Instant::now();
    let mut command = Command::new("node");
    command
        .arg(browser_dir().join(script))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut node = command.spawn().expect("run node");
    let log = Arc::new(Mutex::new(Vec::new()));
    let readers = [
        collect(node.stdout.take().unwrap(), "", &log, None),
        collect(node.stderr.take().unwrap(), "", &log, None),
    ];
    let status = loop {
        if let Some(status) = node.try_wait().expect("wait for node") {
            break Some(status);
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
    // A browser left behind would hold the pipes open: wait a little only.
    let deadline = Instant::now() + Duration::from_secs(10);
    while readers.iter().any(|r| !r.is_finished()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = log.lock().unwrap().join("\n");
    eprintln!("{output}");
    (status, output)
}

#[test]
fn a_saved_edit_reloads_the_open_page_and_the_overlay_shows_findings() {
    if !prerequisites_met() {
        return;
    }
    let site = Site::new();
    let relative = "content/2024/checkout-errors.md";
    site.write("2024/checkout-errors.md", VALID);
    let server = Server::start(&site.root());

    let (status, browser_output) = run_node(
        "serve.mjs",
        &[
            server.url.as_ref(),
            site.root().as_os_str(),
            relative.as_ref(),
        ],
    );
    match status {
        Some(status) if status.success() => {}
        Some(status) => panic!(
            "the browser test failed ({status}):\n{browser_output}\n\n`hindsight serve` at {} said:\n{}",
            server.url,
            server.output()
        ),
        None => panic!(
            "the browser test did not finish within {} s:\n{browser_output}\n\n`hindsight serve` said:\n{}",
            BROWSER.as_secs(),
            server.output()
        ),
    }
    // The page saw both edits, so the server rebuilt at least twice; its
    // line for a rebuild is printed just after the swap, so allow a moment.
    let rebuilt = "Rebuilt after content/2024/checkout-errors.md";
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.output().matches(rebuilt).count() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = server.output();
    assert!(
        output.matches(rebuilt).count() >= 2,
        "the server reported fewer rebuilds than the page saw:\n{output}"
    );
}

#[test]
fn search_finds_filters_and_keeps_the_search_in_the_address() {
    if !prerequisites_met() {
        return;
    }
    let site = Site::new();
    let zeppelin = |text: &str| {
        edit(
            text,
            "A handful of complaints on social media.",
            "A handful of complaints compared the queue to a zeppelin.",
        )
    };
    site.write("2024/checkout-errors.md", &zeppelin(VALID));
    let payments = edit(
        &edit(
            &edit(
                VALID,
                "title: Checkout errors after a connection-pool setting was pushed everywhere",
                "title: Payments API down while a zeppelin of retries queued up",
            ),
            "severity: P1",
            "severity: P0",
        ),
        "services: [checkout]",
        "services: [payments]",
    );
    site.write("2024/payments-down.md", &zeppelin(&payments));
    let older = edit(
        &edit(
            &edit(
                VALID,
                "title: Checkout errors after a connection-pool setting was pushed everywhere",
                "title: Checkout slow during the year-end sale",
            ),
            "started: 2024-03-14T09:12:00+01:00",
            "started: 2023-12-20T09:12:00+01:00",
        ),
        "ended: 2024-03-14T10:40:00+01:00",
        "ended: 2023-12-20T10:40:00+01:00",
    );
    site.write("2023/checkout-slow.md", &older);
    // Japanese, and German saved with a decomposed umlaut.
    let tokyo = edit(
        &edit(
            &edit(
                VALID,
                "title: Checkout errors after a connection-pool setting was pushed everywhere",
                "title: Tokyo region database failover",
            ),
            "A handful of complaints on social media.",
            "東京リージョンでデータベース障害が発生しました。 Die Zersto\u{308}rung der Warteschlange.",
        ),
        "services: [checkout]",
        "services: [payments]",
    );
    site.write("2022/tokyo-db.md", &tokyo);
    let out = site.out("public");
    let built = build(&site.root(), &out, &[], Some("1717200000"));
    assert!(built.status.success(), "{}", stderr(&built));
    // The next build, deployed while the page is open: one more zeppelin.
    site.write(
        "2024/airship.md",
        &zeppelin(&edit(
            VALID,
            "title: Checkout errors after a connection-pool setting was pushed everywhere",
            "title: Airship telemetry lost",
        )),
    );
    let next = site.out("next");
    let built = build(&site.root(), &next, &[], Some("1717200000"));
    assert!(built.status.success(), "{}", stderr(&built));

    let (status, output) = run_node("search.mjs", &[out.as_os_str(), next.as_os_str()]);
    match status {
        Some(status) if status.success() => {}
        Some(status) => panic!("the search test failed ({status}):\n{output}"),
        None => panic!(
            "the search test did not finish within {} s:\n{output}",
            BROWSER.as_secs()
        ),
    }
}
