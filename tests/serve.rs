//! `hindsight serve` through the real binary: live reload after the ways
//! editors and tools save files, the findings overlay, what the server
//! refuses to serve, the base path, and start-up failures.
//!
//! Each test runs its own server on a free port (`--port 0`) over a fixture
//! site in a temp dir. Tests never sleep to let a rebuild happen: they
//! listen to the server's reload events and re-check the served pages after
//! each one, up to a generous deadline.

mod common;

use std::cell::Cell;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

// ---- shared helpers ----------------------------------------------------------

/// How long to wait for the server to start, or for a change to be served.
/// Generous: the tests run in parallel on small, busy machines.
const WAIT: Duration = Duration::from_secs(20);

/// The title line of `common::VALID`.
const TITLE_LINE: &str =
    "title: Checkout errors after a connection-pool setting was pushed everywhere";

/// `VALID` with another title.
fn titled(title: &str) -> String {
    valid_with(TITLE_LINE, &format!("title: {title}"))
}

/// One HTTP response.
#[derive(Debug)]
struct Reply {
    status: u16,
    /// Header names in lower case.
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The findings overlay injected into an HTML page.
    fn overlay(&self) -> Value {
        const OPEN: &str = r#"<script id="hindsight-overlay" type="application/json">"#;
        let start = self
            .body
            .find(OPEN)
            .unwrap_or_else(|| panic!("no overlay in the page:\n{}", self.body))
            + OPEN.len();
        let end = start + self.body[start..].find("</script>").unwrap();
        serde_json::from_str(&self.body[start..end]).expect("the overlay is JSON")
    }
}

/// A finding as the overlay lists it: (rule, level, line, column, message).
type Listed = (String, String, u64, u64, String);

/// The findings the overlay lists for `file`, or `None` when it lists no
/// such file.
fn listed(overlay: &Value, file: &str) -> Option<Vec<Listed>> {
    let entry = overlay["files"]
        .as_array()
        .expect("overlay files")
        .iter()
        .find(|f| f["file"] == file)?;
    Some(
        entry["findings"]
            .as_array()
            .expect("overlay findings")
            .iter()
            .map(|f| {
                assert_eq!(f["file"], file, "a finding listed under another file");
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["level"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["column"].as_u64().unwrap(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect(),
    )
}

fn problems(overlay: &Value) -> Vec<String> {
    overlay["problems"]
        .as_array()
        .expect("overlay problems")
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

/// The incident ids in `incidents.json`.
fn incident_ids(json: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(json).expect("incidents.json is JSON");
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// Where a browser goes for `href` on the page at `from` (both paths).
fn resolve(from: &str, href: &str) -> String {
    let joined = if href.starts_with('/') {
        href.to_string()
    } else {
        format!("{}{href}", &from[..=from.rfind('/').unwrap()])
    };
    let mut parts: Vec<&str> = Vec::new();
    let segments: Vec<&str> = joined.split('/').skip(1).collect();
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            ".." => {
                parts.pop();
            }
            "." => {}
            s if s.is_empty() && i + 1 < segments.len() => {}
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The not-found page's stylesheet and incident-list links.
fn not_found_links(body: &str) -> [String; 2] {
    let href_before = |marker: &str| {
        let at = body
            .find(marker)
            .unwrap_or_else(|| panic!("no {marker} in:\n{body}"));
        let start = body[..at].rfind("href=\"").unwrap() + "href=\"".len();
        body[start..start + body[start..].find('"').unwrap()].to_string()
    };
    let css = {
        const LINK: &str = r#"rel="stylesheet" href=""#;
        let at = body.find(LINK).expect("a stylesheet") + LINK.len();
        body[at..at + body[at..].find('"').unwrap()].to_string()
    };
    [css, href_before(">incident list</a>")]
}

/// Asserts that a browser asking for `target` (not in the site) is led
/// back into it: redirected into the base path, and there served or shown a
/// not-found page whose stylesheet and incident-list links resolve to real
/// files.
fn assert_lost_visitors_find_the_site(server: &Server, target: &str) {
    let mut reply = server.raw("GET", target);
    let mut target = target.to_string();
    // Sent into the base path once, then served or not found there.
    if matches!(reply.status, 301 | 302 | 307 | 308) {
        let to = reply.header("location").unwrap_or_default().to_string();
        assert!(to.starts_with(&server.base), "{target} -> {to}");
        reply = server.raw("GET", &to);
        target = to;
    }
    match reply.status {
        200 => {}
        404 => {
            // A `<base href>` changes what relative links resolve against.
            let from = reply
                .body
                .find("<base href=\"")
                .map(|at| {
                    let rest = &reply.body[at + 12..];
                    resolve(&target, &rest[..rest.find('"').unwrap()])
                })
                .unwrap_or_else(|| target.clone());
            for href in not_found_links(&reply.body) {
                let to = resolve(&from, &href);
                assert_eq!(
                    server.raw("GET", &to).status,
                    200,
                    "{target}: {href} -> {to}"
                );
            }
        }
        other => panic!("{target}: status {other}"),
    }
}

/// Writes `path` the way careful tools do (a temporary file renamed over
/// it), so the server never sees a half-written file.
fn write_atomically(path: &Path, text: &str) {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    fs::write(&tmp, text).unwrap();
    fs::rename(&tmp, path).unwrap();
}

/// Waits until the wall clock is past the whole second `second` (seconds
/// since 1970), with a margin for the file system's coarser clock.
fn wait_for_second_after(second: u64) {
    let target =
        std::time::UNIX_EPOCH + Duration::from_secs(second + 1) + Duration::from_millis(50);
    if let Ok(left) = target.duration_since(std::time::SystemTime::now()) {
        std::thread::sleep(left);
    }
}

fn mtime_second(path: &Path) -> u64 {
    fs::metadata(path)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Copies the folder `from` to `to`, recursively.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Sends one HTTP/1.0 request with `target` exactly as given (no
/// normalisation) and reads the whole response.
fn raw_request(addr: &str, method: &str, target: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(stream, "{method} {target} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("read the response");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {text:?}"));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Opens `{base}__hindsight/events` and forwards each reload event's
/// generation. The thread ends when the server goes away.
fn subscribe(addr: &str, base: &str) -> Receiver<u64> {
    subscribe_to(addr, base, "reload")
}

/// Like `subscribe`, for the events named `name`.
fn subscribe_to(addr: &str, base: &str, name: &'static str) -> Receiver<u64> {
    let (tx, rx) = mpsc::channel();
    let mut stream = TcpStream::connect(addr).expect("connect for events");
    // HTTP/1.0: the stream is sent as is, not in chunks.
    write!(
        stream,
        "GET {}__hindsight/events HTTP/1.0\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
        base, addr
    )
    .unwrap();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        if reader.read_line(&mut status).is_err() || !status.contains(" 200 ") {
            return;
        }
        let mut event = String::new();
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if let Some(name) = line.strip_prefix("event:") {
                event = name.trim().to_string();
            } else if let Some(data) = line.strip_prefix("data:") {
                if event == name {
                    if let Ok(g) = data.trim().parse::<u64>() {
                        if tx.send(g).is_err() {
                            break;
                        }
                    }
                }
            } else if line.is_empty() {
                event.clear();
            }
        }
    });
    rx
}

/// One output stream of a child process, line by line, as it arrives.
#[derive(Default)]
struct Lines {
    /// The lines so far, and whether the stream has ended.
    state: Mutex<(Vec<String>, bool)>,
    arrived: Condvar,
}

impl Lines {
    /// Collects `stream` on a thread of its own.
    fn collect(stream: impl Read + Send + 'static) -> Arc<Lines> {
        let lines = Arc::new(Lines::default());
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                sink.state.lock().unwrap().0.push(line);
                sink.arrived.notify_all();
            }
            sink.state.lock().unwrap().1 = true;
            sink.arrived.notify_all();
        });
        lines
    }

    fn all(&self) -> Vec<String> {
        self.state.lock().unwrap().0.clone()
    }

    /// Waits up to `within` until `done(lines, ended)` holds; returns
    /// whether it did.
    fn wait(&self, within: Duration, done: impl Fn(&[String], bool) -> bool) -> bool {
        let deadline = Instant::now() + within;
        let mut state = self.state.lock().unwrap();
        while !done(&state.0, state.1) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self.arrived.wait_timeout(state, left).unwrap().0;
        }
        true
    }
}

/// A `hindsight` child process with its output collected; killed when
/// dropped, so no test leaves a server behind, even when it fails.
struct Process {
    child: Child,
    stdout: Arc<Lines>,
    stderr: Arc<Lines>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    fn spawn(args: &[&str]) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hindsight"))
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("SOURCE_DATE_EPOCH")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start hindsight");
        let stdout = Lines::collect(child.stdout.take().unwrap());
        let stderr = Lines::collect(child.stderr.take().unwrap());
        Process {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits for the process to exit and its output to be read; `None` if
    /// it is still running after `within`.
    fn exit_code(&mut self, within: Duration) -> Option<Option<i32>> {
        let ended = |_: &[String], ended: bool| ended;
        // Both pipes close when the process exits.
        if !(self.stdout.wait(within, ended) && self.stderr.wait(within, ended)) {
            return None;
        }
        Some(self.child.wait().unwrap().code())
    }

    /// Everything the process printed, for failure messages.
    fn log(&self) -> String {
        format!(
            "--- stdout\n{}\n--- stderr\n{}",
            self.stdout.all().join("\n"),
            self.stderr.all().join("\n")
        )
    }
}

/// A running `hindsight serve`, subscribed to its reload events.
struct Server {
    process: Process,
    /// The first stdout line.
    start_line: String,
    /// `http://HOST:PORT/BASE`, as printed.
    url: String,
    /// `HOST:PORT`.
    addr: String,
    /// The base path: `/` or `/pm/`.
    base: String,
    /// Generations announced on the live-reload stream.
    reloads: Receiver<u64>,
    /// The newest generation announced so far.
    seen: Cell<u64>,
    agent: ureq::Agent,
}

impl Server {
    /// Starts `hindsight serve --root ROOT --port 0 EXTRA…`, waits for its
    /// first line and subscribes to its reload events.
    fn start(root: &Path, extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--root", root.to_str().unwrap(), "--port", "0"];
        args.extend_from_slice(extra);
        let process = Process::spawn(&args);
        if !process
            .stdout
            .wait(WAIT, |lines, ended| !lines.is_empty() || ended)
        {
            panic!("the server printed nothing\n{}", process.log());
        }
        let Some(start_line) = process.stdout.all().first().cloned() else {
            panic!("the server ended without a word\n{}", process.log());
        };
        let url = start_line
            .strip_prefix("Serving ")
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("unexpected first line: {start_line}"))
            .to_string();
        let host_and_path = url
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("not an http URL: {start_line}"));
        let slash = host_and_path.find('/').unwrap();
        let addr = host_and_path[..slash].to_string();
        let base = host_and_path[slash..].to_string();
        let reloads = subscribe(&addr, &base);
        let server = Server {
            process,
            start_line,
            url,
            addr,
            base,
            reloads,
            seen: Cell::new(0),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .proxy(None)
                .timeout_global(Some(WAIT))
                .build()
                .into(),
        };
        // The stream starts with the current generation.
        if server.next_reload(WAIT).is_none() {
            panic!("no first reload event\n{}", server.log());
        }
        server
    }

    /// The next reload event's generation, if one comes within `within`.
    fn next_reload(&self, within: Duration) -> Option<u64> {
        match self.reloads.recv_timeout(within) {
            Ok(g) => {
                self.seen.set(self.seen.get().max(g));
                Some(g)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                panic!("the reload stream ended\n{}", self.log())
            }
        }
    }

    /// The newest generation announced so far, counting events waiting.
    fn generation(&self) -> u64 {
        while let Ok(g) = self.reloads.try_recv() {
            self.seen.set(self.seen.get().max(g));
        }
        self.seen.get()
    }

    /// Waits until `done` holds, checking again after every reload event.
    fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + WAIT;
        loop {
            self.generation();
            if done() {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if self.next_reload(left).is_none() && !done() {
                panic!("timed out waiting until {what}\n{}", self.log());
            }
        }
    }

    /// Waits until a reload newer than `generation` has been announced.
    fn wait_for_generation_above(&self, generation: u64) -> u64 {
        self.wait_until(&format!("a generation above {generation}"), || {
            self.seen.get() > generation
        });
        self.seen.get()
    }

    /// Waits until the server has printed nothing for `quiet`.
    fn wait_quiet(&self, quiet: Duration) {
        let deadline = Instant::now() + WAIT;
        loop {
            let before = self.process.stdout.all().len();
            if !self
                .process
                .stdout
                .wait(quiet, |lines, ended| lines.len() > before || ended)
            {
                return;
            }
            assert!(Instant::now() < deadline, "the server never went quiet");
        }
    }

    /// Waits until the server prints a line for which `matches` holds.
    /// Needed for `Rebuilt` lines: one is printed just after its version is
    /// swapped in and announced.
    fn wait_for_line(&self, what: &str, matches: impl Fn(&str) -> bool) {
        if !self
            .process
            .stdout
            .wait(WAIT, |lines, _| lines.iter().any(|l| matches(l)))
        {
            panic!("no line {what}\n{}", self.log());
        }
    }

    /// The `Rebuilt after …` lines printed so far.
    fn rebuilt(&self) -> Vec<String> {
        self.process
            .stdout
            .all()
            .into_iter()
            .filter(|l| l.starts_with("Rebuilt after "))
            .collect()
    }

    fn log(&self) -> String {
        self.process.log()
    }

    /// GET `path`, relative to the base path (`incidents/x/`).
    fn get(&self, path: &str) -> Reply {
        self.request("GET", &format!("{}{path}", self.url))
    }

    fn request(&self, method: &str, url: &str) -> Reply {
        let result = match method {
            "GET" => self.agent.get(url).call(),
            "POST" => self.agent.post(url).send_empty(),
            "PUT" => self.agent.put(url).send_empty(),
            "DELETE" => self.agent.delete(url).call(),
            other => panic!("no helper for {other}"),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}\n{}", self.log()));
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let body = response.body_mut().read_to_string().expect("a text body");
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A request with its target sent byte for byte.
    fn raw(&self, method: &str, target: &str) -> Reply {
        raw_request(&self.addr, method, target)
    }

    fn status(&self, path: &str) -> u16 {
        self.get(path).status
    }

    /// Whether `path` is served (200) and contains `text`.
    fn serves(&self, path: &str, text: &str) -> bool {
        let reply = self.get(path);
        reply.status == 200 && reply.body.contains(text)
    }

    fn overlay(&self, path: &str) -> Value {
        let reply = self.get(path);
        assert!(
            reply.content_type().starts_with("text/html"),
            "{path} is not HTML"
        );
        reply.overlay()
    }
}

/// A fixture site with `content/<name>` for each (name, text).
fn site_with(files: &[(&str, &str)]) -> Site {
    let site = Site::new();
    for (name, text) in files {
        site.write(name, text);
    }
    site
}

fn content(site: &Site, relative: &str) -> std::path::PathBuf {
    site.root().join("content").join(relative)
}

// ---- saving: in place, by rename, delete and recreate, bursts ------------------

#[test]
fn an_edit_in_place_reloads_with_a_new_generation_and_the_new_title() {
    let site = site_with(&[("2024/edit.md", VALID)]);
    let server = Server::start(&site.root(), &[]);
    assert!(
        server.start_line.starts_with("Serving http://127.0.0.1:")
            && server
                .start_line
                .contains("/ (1 post-mortem, 0 errors, 0 warnings, built in ")
            && server.start_line.contains(" ms; watching with ")
            && server.start_line.ends_with("; Ctrl-C stops)"),
        "{}",
        server.start_line
    );
    assert_eq!(server.base, "/");
    assert!(server.serves("incidents/2024/edit/", "connection-pool setting"));
    let before = server.generation();
    assert_eq!(before, 1, "the first version is generation 1");

    fs::write(
        content(&site, "2024/edit.md"),
        titled("Checkout errors after the pool size was halved"),
    )
    .unwrap();
    server.wait_until("the page shows the new title", || {
        server.serves(
            "incidents/2024/edit/",
            "Checkout errors after the pool size was halved",
        )
    });
    // The page is served from the new snapshot only once it is swapped in,
    // and the swap is announced.
    let after = server.wait_for_generation_above(before);
    assert!(after > before);
    let overlay = server.overlay("incidents/2024/edit/");
    assert!(overlay["generation"].as_u64().unwrap() >= after);
    server.wait_for_line("reporting the rebuild", |l| {
        l.starts_with("Rebuilt after content/2024/edit.md in ")
            && l.ends_with(" revalidated): 0 errors, 0 warnings")
    });
}

#[test]
fn saving_through_a_temporary_file_renamed_over_the_original_is_seen() {
    let site = site_with(&[("x.md", VALID)]);
    let server = Server::start(&site.root(), &[]);
    let target = content(&site, "x.md");

    // VS Code and most atomic writers: `x.md.tmp`, renamed over `x.md`.
    let tmp = content(&site, "x.md.tmp");
    fs::write(&tmp, titled("Checkout errors saved through a tmp file")).unwrap();
    fs::rename(&tmp, &target).unwrap();
    server.wait_until("the renamed-over text is served", || {
        server.serves("incidents/x/", "Checkout errors saved through a tmp file")
    });

    // A hidden swap file renamed over the original.
    let swp = content(&site, ".x.md.swp");
    fs::write(&swp, titled("Checkout errors saved through a swap file")).unwrap();
    fs::rename(&swp, &target).unwrap();
    server.wait_until("the swap file's text is served", || {
        server.serves("incidents/x/", "Checkout errors saved through a swap file")
    });

    // Vim's default: the original moved to `x.md~`, a new `x.md` written,
    // the backup removed.
    let backup = content(&site, "x.md~");
    fs::rename(&target, &backup).unwrap();
    fs::write(&target, titled("Checkout errors saved the way vim does")).unwrap();
    fs::remove_file(&backup).unwrap();
    server.wait_until("vim's save is served", || {
        server.serves("incidents/x/", "Checkout errors saved the way vim does")
    });

    // The temporary files were never post-mortems.
    assert_eq!(incident_ids(&server.get("incidents.json").body), ["x"]);
    server.wait_quiet(Duration::from_millis(500));
    let rebuilt = server.rebuilt();
    assert!(!rebuilt.is_empty());
    for line in &rebuilt {
        assert!(
            !line.contains(".tmp") && !line.contains(".swp") && !line.contains('~'),
            "a temporary file was rebuilt: {line}"
        );
    }
    let overlay = server.overlay("index.html");
    let files: Vec<&str> = overlay["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["content/x.md"]);
}

#[test]
fn delete_recreate_delete_and_rename_are_followed() {
    let site = site_with(&[
        ("a.md", &titled("Checkout errors in file a")),
        ("b.md", &titled("Checkout errors in file b")),
        ("c.md", &titled("Checkout errors in file c")),
    ]);
    let server = Server::start(&site.root(), &[]);
    assert!(server.serves("index.html", "incidents/b/index.html"));

    // Deleted and written again at once: the page follows the new text.
    fs::remove_file(content(&site, "a.md")).unwrap();
    fs::write(
        content(&site, "a.md"),
        titled("Checkout errors in file a, again"),
    )
    .unwrap();
    server.wait_until("the recreated a.md is served", || {
        server.serves("incidents/a/", "Checkout errors in file a, again")
    });

    // Deleted alone: its page is gone and the index no longer lists it.
    fs::remove_file(content(&site, "b.md")).unwrap();
    server.wait_until("b's page is gone", || server.status("incidents/b/") == 404);
    let index = server.get("index.html");
    assert_eq!(index.status, 200);
    assert!(!index.body.contains("incidents/b/"), "b is still listed");
    assert!(!index.body.contains("Checkout errors in file b"));
    assert!(index.body.contains("incidents/a/index.html"));

    // Renamed: the old address is gone, the new one serves it.
    fs::rename(content(&site, "c.md"), content(&site, "renamed.md")).unwrap();
    server.wait_until("c.md is served under its new name", || {
        server.serves("incidents/renamed/", "Checkout errors in file c")
    });
    assert_eq!(server.status("incidents/c/"), 404);
    let mut ids = incident_ids(&server.get("incidents.json").body);
    ids.sort();
    assert_eq!(ids, ["a", "renamed"]);
}

#[test]
fn folders_moved_out_in_and_renamed_are_followed() {
    let site = site_with(&[
        ("2023/a.md", &titled("Checkout errors filed in 2023")),
        ("keep.md", VALID),
    ]);
    let server = Server::start(&site.root(), &[]);
    assert_eq!(server.status("incidents/2023/a/"), 200);

    // Moved out of content/ (beside the site, on the same file system): a
    // single event for the folder, none for the file inside.
    let parked = site.out("parked");
    fs::rename(content(&site, "2023"), &parked).unwrap();
    server.wait_until("the moved-out post-mortem is gone", || {
        server.status("incidents/2023/a/") == 404
    });

    // Moved back in under another name.
    fs::rename(&parked, content(&site, "archive")).unwrap();
    server.wait_until("the moved-in post-mortem is served", || {
        server.serves("incidents/archive/a/", "Checkout errors filed in 2023")
    });
    // The moved-in folder is watched: an edit inside it is seen.
    fs::write(
        content(&site, "archive/a.md"),
        titled("Checkout errors edited after the move"),
    )
    .unwrap();
    server.wait_until("the edit in the moved-in folder is served", || {
        server.serves(
            "incidents/archive/a/",
            "Checkout errors edited after the move",
        )
    });

    // Renamed in place.
    fs::rename(content(&site, "archive"), content(&site, "older")).unwrap();
    server.wait_until("the renamed folder's post-mortem is served", || {
        server.serves(
            "incidents/older/a/",
            "Checkout errors edited after the move",
        )
    });
    assert_eq!(server.status("incidents/archive/a/"), 404);
    let mut ids = incident_ids(&server.get("incidents.json").body);
    ids.sort();
    assert_eq!(ids, ["keep", "older/a"]);
}

#[test]
fn a_folder_with_a_dot_in_its_name_is_followed_when_renamed() {
    let site = site_with(&[("release.v2/a.md", VALID)]);
    let server = Server::start(&site.root(), &[]);
    assert_eq!(server.status("incidents/release-v2/a/"), 200);
    fs::rename(content(&site, "release.v2"), content(&site, "release.v3")).unwrap();
    server.wait_until("the renamed folder's post-mortem is served", || {
        server.status("incidents/release-v3/a/") == 200
    });
    assert_eq!(server.status("incidents/release-v2/a/"), 404);
}

#[test]
fn a_burst_of_writes_is_a_few_rebuilds_and_ends_with_the_last_text() {
    let names = ["p0.md", "p1.md", "p2.md", "p3.md"];
    let site = Site::new();
    for name in names {
        site.write(name, VALID);
    }
    let server = Server::start(&site.root(), &[]);
    assert!(server.rebuilt().is_empty());

    // 20 writes, 5 to each of 4 files, as fast as they go (a `git checkout`).
    let writes: Vec<(std::path::PathBuf, String)> = (0..20)
        .map(|i| {
            (
                content(&site, names[i % names.len()]),
                titled(&format!("Checkout errors, burst edit {i}")),
            )
        })
        .collect();
    let mut times = Vec::with_capacity(21);
    times.push(Instant::now());
    for (path, text) in &writes {
        fs::write(path, text).unwrap();
        times.push(Instant::now());
    }
    let took = times[20] - times[0];
    // The watcher groups events less than 40 ms apart. On a busy machine
    // this thread may be descheduled mid-burst; each such pause may
    // rightly split the burst once more.
    let pauses = times
        .windows(2)
        .filter(|w| w[1] - w[0] >= Duration::from_millis(40))
        .count();
    server.wait_until("every file's last edit is served", || {
        (16..20).all(|i| {
            let id = names[i % names.len()].trim_end_matches(".md");
            server.serves(
                &format!("incidents/{id}/"),
                &format!("Checkout errors, burst edit {i}"),
            )
        })
    });
    // Late events would show up as more rebuilds: let them arrive.
    server.wait_quiet(Duration::from_millis(1000));
    let rebuilt = server.rebuilt();
    assert!(
        (1..=3 + pauses).contains(&rebuilt.len()),
        "20 writes in {took:?} ({pauses} pauses) gave {} rebuilds:\n{}",
        rebuilt.len(),
        rebuilt.join("\n")
    );
    assert!(server.generation() <= 1 + rebuilt.len() as u64);
}

#[test]
fn unchanged_saves_and_lone_temporary_files_do_not_rebuild() {
    let site = site_with(&[("a.md", VALID), ("b.md", VALID)]);
    let server = Server::start(&site.root(), &[]);

    // Saved without a change (written whole and renamed over, so that no
    // half-written state can be read), and temporary files left alone.
    write_atomically(&content(&site, "a.md"), VALID);
    fs::write(content(&site, ".a.md.swp"), "swap").unwrap();
    fs::write(
        content(&site, "c.md.tmp"),
        titled("Checkout errors in a tmp file"),
    )
    .unwrap();
    // Then a real edit. Events are handled in order, so once it is served
    // anything the first writes caused has happened.
    write_atomically(
        &content(&site, "b.md"),
        &titled("Checkout errors, the real edit"),
    );
    server.wait_until("the real edit is served", || {
        server.serves("incidents/b/", "Checkout errors, the real edit")
    });
    server.wait_for_line("reporting b.md's rebuild", |l| {
        l.starts_with("Rebuilt after content/b.md in ")
    });
    let rebuilt = server.rebuilt();
    assert_eq!(rebuilt.len(), 1, "{rebuilt:?}");
    assert_eq!(server.wait_for_generation_above(1), 2);
    assert_eq!(incident_ids(&server.get("incidents.json").body), ["a", "b"]);
}

#[test]
fn rebuild_lines_name_removals_and_static_files_and_count_in_the_singular() {
    const POORLY: &str = "the page fired eight minutes after errors began.";
    const BLAMING: &str = "the on-call engineer should have known the setting was unsafe.";
    let site = site_with(&[("a.md", VALID)]);
    let server = Server::start(&site.root(), &[]);
    let line_after = |what: &str, counts: &str| {
        let start = format!("Rebuilt after {what} in ");
        let end = format!(": {counts}");
        server.wait_for_line(&format!("`{start}… {end}`"), |l| {
            l.starts_with(&start) && l.ends_with(&end)
        });
    };

    // One error (a resolved post-mortem blames), then one warning (an open one).
    write_atomically(&content(&site, "b.md"), &valid_with(POORLY, BLAMING));
    line_after("content/b.md", "1 error, 0 warnings");
    write_atomically(
        &content(&site, "c.md"),
        &valid_with(POORLY, BLAMING).replace("status: resolved", "status: open"),
    );
    line_after("content/c.md", "1 error, 1 warning");

    // A deleted file is named as removed, not as edited.
    fs::remove_file(content(&site, "c.md")).unwrap();
    line_after("removing content/c.md", "1 error, 0 warnings");

    // The site's own static files are not the theme.
    fs::create_dir(site.root().join("static")).unwrap();
    fs::write(site.root().join("static/CNAME"), "example.org\n").unwrap();
    line_after("static files", "1 error, 0 warnings");
    assert!(
        !server.rebuilt().iter().any(|l| l.contains(" theme ")),
        "{}",
        server.log()
    );
}

// ---- broken input: the server keeps serving and says what is wrong ---------------

#[test]
fn empty_unclosed_and_missing_content_are_reported_and_served_around() {
    let site = site_with(&[("good.md", VALID)]);
    let server = Server::start(&site.root(), &[]);

    // An empty new file: said to be empty, at line 1.
    fs::write(content(&site, "empty.md"), "").unwrap();
    server.wait_until("the empty file is in the overlay", || {
        listed(&server.overlay("index.html"), "content/empty.md").is_some()
    });
    let index = server.get("index.html");
    assert_eq!(index.status, 200);
    let empty = listed(&index.overlay(), "content/empty.md").unwrap();
    assert!(
        empty.contains(&(
            "front-matter".into(),
            "error".into(),
            1,
            1,
            "this file is empty".into()
        )),
        "{empty:?}"
    );

    // Front matter opened and never closed.
    fs::write(content(&site, "unclosed.md"), "---\ntitle: x\n").unwrap();
    server.wait_until("the unclosed file is in the overlay", || {
        listed(&server.overlay("index.html"), "content/unclosed.md").is_some()
    });
    let overlay = server.overlay("index.html");
    let unclosed = listed(&overlay, "content/unclosed.md").unwrap();
    assert_eq!(
        unclosed[0],
        (
            "front-matter".into(),
            "error".into(),
            1,
            1,
            "the front matter opened with `---` is never closed".into()
        ),
        "{unclosed:?}"
    );
    assert!(overlay["errors"].as_u64().unwrap() >= 2);
    assert!(server.serves("incidents/good/", "connection-pool setting"));

    // The whole content folder deleted: still answering, and saying why the
    // archive is empty.
    fs::remove_dir_all(site.root().join("content")).unwrap();
    server.wait_until("the missing content folder is a problem", || {
        problems(&server.overlay("index.html"))
            .iter()
            .any(|p| p.contains("no content folder"))
    });
    assert_eq!(server.status("index.html"), 200);
    assert_eq!(server.status(""), 200);
    assert_eq!(server.status("incidents/good/"), 404);
    let listed_problems = problems(&server.overlay("index.html"));
    assert_eq!(listed_problems.len(), 1, "{listed_problems:?}");
    assert!(
        listed_problems[0].contains(&site.root().join("content").display().to_string()),
        "{listed_problems:?}"
    );

    // Recreated with a file: the post-mortem is back and the problem gone.
    fs::create_dir(site.root().join("content")).unwrap();
    fs::write(content(&site, "good.md"), VALID).unwrap();
    server.wait_until("good.md is back", || {
        server.serves("incidents/good/", "connection-pool setting")
    });
    server.wait_until("the problem is cleared", || {
        problems(&server.overlay("index.html")).is_empty()
    });
    // The recreated folder is watched again: a later edit in it is seen.
    fs::write(
        content(&site, "good.md"),
        titled("Checkout errors seen in the recreated folder"),
    )
    .unwrap();
    server.wait_until("an edit in the recreated folder is served", || {
        server.serves(
            "incidents/good/",
            "Checkout errors seen in the recreated folder",
        )
    });
    // And so is a new file in a new subfolder.
    site.write("2025/new.md", VALID);
    server.wait_until("a file in a new subfolder is served", || {
        server.status("incidents/2025/new/") == 200
    });
}

#[test]
fn a_post_mortem_with_front_matter_errors_still_gets_its_page() {
    let site = site_with(&[("good.md", VALID)]);
    let server = Server::start(&site.root(), &[]);

    // A YAML syntax error (an unclosed quote on line 3) and a field of the
    // wrong type (line 5), written while serving.
    site.write("syntax.md", &valid_with("severity: P1", "severity: \"P1"));
    site.write(
        "field.md",
        &valid_with(
            "started: 2024-03-14T09:12:00+01:00",
            "started: yesterday-ish",
        ),
    );
    server.wait_until("both drafts have pages", || {
        server.status("incidents/syntax/") == 200 && server.status("incidents/field/") == 200
    });

    let syntax = server.get("incidents/syntax/");
    assert!(syntax.content_type().starts_with("text/html"));
    let findings = listed(&syntax.overlay(), "content/syntax.md").unwrap();
    assert_eq!(
        (
            findings[0].0.as_str(),
            findings[0].1.as_str(),
            findings[0].2,
            findings[0].3
        ),
        ("front-matter", "error", 3, 11),
        "{findings:?}"
    );
    assert!(findings[0].4.contains("not valid YAML"), "{findings:?}");

    let field = server.get("incidents/field/");
    // The rest of the front matter is read: the title is on the page.
    assert!(field
        .body
        .contains("connection-pool setting was pushed everywhere"));
    let findings = listed(&field.overlay(), "content/field.md").unwrap();
    assert_eq!(
        findings[0],
        (
            "field-type".into(),
            "error".into(),
            5,
            1,
            "`started`: `yesterday-ish` is not a date-time".into()
        ),
        "{findings:?}"
    );
    // Each page's overlay holds its own post-mortem first.
    assert_eq!(field.overlay()["files"][0]["file"], "content/field.md");
    assert_eq!(syntax.overlay()["files"][0]["file"], "content/syntax.md");
    // The good post-mortem is untouched and its page lists no findings of
    // its own.
    let good = server.overlay("incidents/good/");
    assert_eq!(listed(&good, "content/good.md"), Some(Vec::new()));
}

#[test]
fn the_overlay_cannot_end_its_script_element() {
    // Messages quote the post-mortem; one that quotes `</script>` must not
    // end the overlay's element and run what follows.
    let site = site_with(&[("good.md", VALID)]);
    let server = Server::start(&site.root(), &[]);
    let quoted = "</script><script>alert(1)</script>";
    site.write(
        "x.md",
        &valid_with(
            "started: 2024-03-14T09:12:00+01:00",
            &format!("started: {quoted}"),
        ),
    );
    server.wait_until("x.md is served", || server.status("incidents/x/") == 200);
    let page = server.get("incidents/x/");
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
    // The JSON runs to the element's real end and holds the text as written.
    let findings = listed(&page.overlay(), "content/x.md").unwrap();
    assert_eq!(
        findings[0],
        (
            "field-type".into(),
            "error".into(),
            5,
            1,
            format!("`started`: `{quoted}` is not a date-time")
        )
    );
}

// ---- what is served, and how ---------------------------------------------------

#[test]
fn paths_are_confined_to_the_built_site_with_proper_types() {
    let site = site_with(&[("a.md", VALID), ("störung.md", VALID)]);
    let server = Server::start(&site.root(), &[]);
    assert_eq!(server.base, "/");

    // Leaving the site, plainly or encoded, or undecodable: 400.
    for target in [
        "/../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2e%2e%2fCargo.toml",
        "/a/%2e/b",
        "/%00",
        "/%ff",
        "/incidents/..%5c..%5csite.toml",
    ] {
        let reply = server.raw("GET", target);
        assert_eq!(reply.status, 400, "{target}: {}", reply.body);
        assert!(!reply.body.contains("root:"), "{target}");
    }

    // A missing page: 404 with the theme's not-found page, overlay included.
    let missing = server.get("nonexistent/");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.content_type(), "text/html; charset=utf-8");
    assert!(missing.body.contains("This page is not in the archive"));
    assert_eq!(missing.overlay()["generation"], 1);

    // The sources are not part of the site.
    for path in [
        "site.toml",
        "content/a.md",
        "content/",
        "content/st%C3%B6rung.md",
    ] {
        assert_eq!(server.status(path), 404, "{path}");
    }

    // A non-ASCII file name: its page is at the percent-encoded address.
    let page = server.get("incidents/st%C3%B6rung/");
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains("connection-pool setting was pushed everywhere"));
    assert!(server
        .get("index.html")
        .body
        .contains("incidents/störung/index.html"));

    // Content types.
    for (path, expected) in [
        ("", "text/html; charset=utf-8"),
        ("index.html", "text/html; charset=utf-8"),
        ("atom.xml", "application/atom+xml; charset=utf-8"),
        ("actions.csv", "text/csv; charset=utf-8"),
        ("incidents.json", "application/json"),
        ("__hindsight/live.js", "text/javascript; charset=utf-8"),
    ] {
        let reply = server.get(path);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.content_type(), expected, "{path}");
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{path}");
    }
    // The theme's stylesheet, at its path below the theme's static folder.
    let static_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/static");
    let css_path = fs::read_dir(&static_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "css"))
        .expect("a stylesheet in the default theme");
    let css_url = css_path
        .strip_prefix(&static_dir)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let css = server.get(&css_url);
    assert_eq!(css.status, 200, "{css_url}");
    assert_eq!(css.content_type(), "text/css; charset=utf-8");
    assert_eq!(css.body, fs::read_to_string(&css_path).unwrap());
    // Only HTML gets the overlay.
    assert!(!css.body.contains("hindsight-overlay"));
    assert!(!server
        .get("incidents.json")
        .body
        .contains("hindsight-overlay"));

    // A query string does not change what is served.
    assert!(server.serves("incidents/a/?from=feed", "connection-pool setting"));

    // A folder without its slash is redirected to it.
    let redirect = server.get("incidents/a");
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.header("location"), Some("/incidents/a/"));

    // Only GET and HEAD.
    for method in ["POST", "PUT", "DELETE"] {
        let reply = server.request(method, &format!("{}index.html", server.url));
        assert_eq!(reply.status, 405, "{method}");
    }
    let head = server.raw("HEAD", "/index.html");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[test]
fn refusals_say_why_and_405_lists_the_allowed_methods() {
    let site = site_with(&[("a.md", VALID)]);
    let server = Server::start(&site.root(), &["--no-watch"]);
    for (target, why) in [
        ("/%2e%2e/site.toml", "`.` and `..` segments are not allowed"),
        ("/incidents/./a/", "`.` and `..` segments are not allowed"),
        ("/%ff", "not UTF-8 once percent-decoded"),
        ("/a%5cb", "backslashes and NUL are not allowed"),
        ("//etc/passwd", "empty segment (`//`)"),
    ] {
        let reply = server.raw("GET", target);
        assert_eq!(reply.status, 400, "{target}");
        assert!(
            reply.body.starts_with("bad request path: ") && reply.body.contains(why),
            "{target}: {}",
            reply.body
        );
    }
    for method in ["POST", "PUT", "DELETE"] {
        let reply = server.request(method, &format!("{}index.html", server.url));
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.header("allow"), Some("GET, HEAD"), "{method}");
    }
}

#[test]
fn the_search_index_is_served_and_rebuilt_after_edits() {
    let site = site_with(&[("a.md", VALID)]);
    let server = Server::start(&site.root(), &[]);
    // Built beside the site once the edits pause.
    server.wait_for_line("announcing the first search index", |l| {
        l.starts_with("Search index rebuilt: 1 post-mortem in ")
    });
    let page_count = |server: &Server| {
        let meta = server.get("search-index/meta.json");
        assert_eq!(meta.status, 200);
        assert_eq!(meta.content_type(), "application/json");
        let value: Value = serde_json::from_str(&meta.body).unwrap();
        value["docs"].as_u64().unwrap()
    };
    assert_eq!(page_count(&server), 1);
    // An open search page hears of the next index.
    let indexes = subscribe_to(&server.addr, &server.base, "search");
    assert_eq!(indexes.recv_timeout(Duration::from_secs(5)), Ok(1));

    site.write("b.md", VALID);
    server.wait_for_line("announcing the second search index", |l| {
        l.starts_with("Search index rebuilt: 2 post-mortems in ")
    });
    assert_eq!(page_count(&server), 2);
    assert_eq!(indexes.recv_timeout(Duration::from_secs(5)), Ok(2));
}

#[test]
fn a_base_url_with_a_path_is_served_under_that_path() {
    let site = Site::with_config(&format!(
        "base_url = \"https://example.org/pm/\"\n{}",
        site_toml("UTC")
    ));
    site.write("a.md", VALID);
    let server = Server::start(&site.root(), &[]);
    assert!(server.url.ends_with("/pm/"), "{}", server.start_line);
    assert_eq!(server.base, "/pm/");

    // The server root and the base without its slash lead to the base.
    for target in ["/", "/pm"] {
        let reply = server.raw("GET", target);
        assert_eq!(reply.status, 301, "{target}");
        assert_eq!(reply.header("location"), Some("/pm/"), "{target}");
    }
    // Outside the base, a browser is sent to the same path inside the site
    // rather than shown a page whose relative links lead nowhere.
    for outside in ["/index.html", "/__hindsight/events"] {
        let reply = server.raw("GET", outside);
        assert_eq!(reply.status, 301, "{outside}");
        assert_eq!(
            reply.header("location"),
            Some(format!("/pm{outside}").as_str()),
            "{outside}"
        );
    }
    assert_eq!(
        server.raw("GET", "/pm/incidents/a").header("location"),
        Some("/pm/incidents/a/")
    );

    let index = server.get("index.html");
    assert_eq!(index.status, 200);
    assert!(
        index
            .body
            .contains(r#"<script src="/pm/__hindsight/live.js" data-generation="1" data-events="/pm/__hindsight/events" defer>"#),
        "{}",
        index.body
    );
    let script = server.raw("GET", "/pm/__hindsight/live.js");
    assert_eq!(script.status, 200);
    assert!(script.body.contains("EventSource"));

    // A not-found page below the base links back into the site from
    // whatever depth it was asked for at.
    for target in [
        "/pm/nonexistent/deep/",
        "/pm/incidents/nope",
        "/pm/x/y/z.html",
    ] {
        assert_eq!(server.raw("GET", target).status, 404, "{target}");
        assert_lost_visitors_find_the_site(&server, target);
    }

    // The events stream (opened by `Server::start` at /pm/__hindsight/events)
    // announces rebuilds.
    fs::write(
        content(&site, "a.md"),
        titled("Checkout errors under a base path"),
    )
    .unwrap();
    server.wait_until("the edit is served under /pm/", || {
        server.serves("incidents/a/", "Checkout errors under a base path")
    });
    assert!(server.wait_for_generation_above(1) >= 2);
}

#[test]
fn a_not_found_page_outside_the_base_path_links_into_the_site() {
    let site = Site::with_config(&format!(
        "base_url = \"https://example.org/pm/\"\n{}",
        site_toml("UTC")
    ));
    site.write("a.md", VALID);
    let server = Server::start(&site.root(), &[]);
    for target in ["/other/deep/page", "/favicon.ico"] {
        assert_lost_visitors_find_the_site(&server, target);
    }
}

#[test]
fn a_page_outside_the_base_path_is_sent_to_the_same_page_below_it() {
    let site = Site::with_config(&format!(
        "base_url = \"https://example.org/postmortems/\"\n{}",
        site_toml("UTC")
    ));
    site.write("2017/x.md", VALID);
    let server = Server::start(&site.root(), &["--no-watch"]);
    // As after `base_url` was edited under an open tab.
    for (outside, below) in [
        ("/incidents/2017/x/", "/postmortems/incidents/2017/x/"),
        ("/atom.xml", "/postmortems/atom.xml"),
    ] {
        let reply = server.raw("GET", outside);
        assert_eq!(reply.status, 301, "{outside}");
        assert_eq!(reply.header("location"), Some(below), "{outside}");
        assert_eq!(server.raw("GET", below).status, 200, "{below}");
    }
}

#[test]
fn a_base_url_with_a_space_or_non_ascii_letters_is_served_without_looping() {
    for (base_url, base) in [
        ("/docs/post mortems/", "/docs/post%20mortems/"),
        ("https://example.org/störung", "/st%C3%B6rung/"),
    ] {
        let site = Site::with_config(&format!("base_url = \"{base_url}\"\n{}", site_toml("UTC")));
        site.write("a.md", VALID);
        let server = Server::start(&site.root(), &["--no-watch"]);
        assert_eq!(server.base, base, "{}", server.start_line);
        assert!(server.serves("incidents/a/", "connection-pool setting"));
        // Every way in reaches a page in at most one redirect.
        for target in [
            "/".to_string(),
            base.trim_end_matches('/').to_string(),
            "/incidents/a/".to_string(),
            format!("{base}incidents/a"),
        ] {
            let reply = server.raw("GET", &target);
            assert_eq!(reply.status, 301, "{base_url}: {target}");
            let to = reply.header("location").unwrap_or_default();
            assert!(to.starts_with(base), "{base_url}: {target} -> {to}");
            assert_eq!(
                server.raw("GET", to).status,
                200,
                "{base_url}: {target} -> {to}"
            );
        }
        let index = server.get("index.html").body;
        assert!(
            index.contains(&format!(r#"<script src="{base}__hindsight/live.js""#)),
            "{index}"
        );
    }
}

#[test]
fn a_base_url_with_a_query_or_a_relative_path_is_a_problem_at_its_place() {
    for (base_url, message) in [
        (
            "https://example.com/x?y=1#z",
            "site.toml:1:12: base_url `https://example.com/x?y=1#z` has a query or fragment (`?y=1#z`)",
        ),
        (
            "relative/path",
            "site.toml:1:12: base_url `relative/path` is relative; write an absolute URL",
        ),
    ] {
        let site = Site::with_config(&format!(
            "base_url = \"{base_url}\"\n{}",
            site_toml("UTC")
        ));
        site.write("a.md", VALID);
        let server = Server::start(&site.root(), &["--no-watch"]);
        // Served at the root with the defaults meanwhile, without redirects.
        assert_eq!(server.base, "/", "{}", server.start_line);
        assert_eq!(server.raw("GET", "/").status, 200);
        let listed_problems = problems(&server.overlay("index.html"));
        assert_eq!(listed_problems.len(), 1, "{listed_problems:?}");
        assert!(
            listed_problems[0].contains(message),
            "{listed_problems:?}"
        );
    }
}

// ---- start-up ------------------------------------------------------------------

#[test]
fn a_busy_port_exits_2_suggesting_another_port_and_port_0() {
    let site = site_with(&[("a.md", VALID)]);
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let port_arg = port.to_string();
    let root = site.root();
    let mut process = Process::spawn(&[
        "serve",
        "--root",
        root.to_str().unwrap(),
        "--port",
        &port_arg,
        "--no-watch",
    ]);
    // It must exit, not serve (the process is killed on drop if it does).
    let code = process
        .exit_code(WAIT)
        .unwrap_or_else(|| panic!("serve kept running on a busy port\n{}", process.log()));
    drop(busy);
    let err = process.stderr.all().join("\n");
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        process.stdout.all(),
        Vec::<String>::new(),
        "nothing is served"
    );
    assert!(
        err.contains(&format!("127.0.0.1:{port} is in use")),
        "{err}"
    );
    assert!(err.contains("`--port 0`"), "{err}");
    // And a free port by number, another than the busy one.
    let suggested: Vec<u16> = err
        .match_indices("`--port ")
        .filter_map(|(i, m)| {
            let rest = &err[i + m.len()..];
            rest[..rest.find('`')?].parse().ok()
        })
        .filter(|&p| p != 0)
        .collect();
    assert_eq!(suggested.len(), 1, "{err}");
    assert_ne!(suggested[0], port, "{err}");
}

#[test]
fn a_root_that_is_not_a_folder_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let mut process =
        Process::spawn(&["serve", "--root", missing.to_str().unwrap(), "--port", "0"]);
    let code = process
        .exit_code(WAIT)
        .unwrap_or_else(|| panic!("serve kept running\n{}", process.log()));
    let err = process.stderr.all().join("\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("nowhere is not a folder; pass the site folder with --root"),
        "{err}"
    );
}

#[test]
fn a_missing_content_folder_at_start_is_served_and_recovers() {
    let site = Site::new();
    fs::remove_dir(site.root().join("content")).unwrap();
    let server = Server::start(&site.root(), &[]);
    assert!(
        server
            .start_line
            .contains("(0 post-mortems, 0 errors, 0 warnings, "),
        "{}",
        server.start_line
    );
    // Said on stderr once started, and on every page.
    assert!(
        server.process.stderr.wait(WAIT, |lines, _| lines
            .iter()
            .any(|l| l.starts_with("problem: there is no content folder at "))),
        "{}",
        server.log()
    );
    let index = server.get("index.html");
    assert_eq!(index.status, 200);
    let listed_problems = problems(&index.overlay());
    assert_eq!(listed_problems.len(), 1, "{listed_problems:?}");
    assert!(listed_problems[0].contains("no content folder"));

    // Created while serving: watched from then on.
    fs::create_dir(site.root().join("content")).unwrap();
    site.write("a.md", VALID);
    server.wait_until("the new content folder is served", || {
        server.serves("incidents/a/", "connection-pool setting")
            && problems(&server.overlay("index.html")).is_empty()
    });
    fs::write(
        content(&site, "a.md"),
        titled("Checkout errors, second edit"),
    )
    .unwrap();
    server.wait_until("an edit in it is served", || {
        server.serves("incidents/a/", "Checkout errors, second edit")
    });
}

#[test]
fn a_broken_site_toml_at_start_is_served_and_recovers() {
    let site = site_with(&[("a.md", VALID)]);
    let toml_path = site.root().join("site.toml");
    fs::write(&toml_path, "title = \"Broken\n").unwrap();
    let server = Server::start(&site.root(), &[]);
    // Served with the defaults, the problem on stderr and every page.
    assert!(
        server.process.stderr.wait(WAIT, |lines, _| lines
            .iter()
            .any(|l| l.starts_with("problem: ") && l.contains("site.toml:1:"))),
        "{}",
        server.log()
    );
    let index = server.get("index.html");
    assert_eq!(index.status, 200);
    let listed_problems = problems(&index.overlay());
    assert_eq!(listed_problems.len(), 1, "{listed_problems:?}");
    assert!(
        listed_problems[0].contains("site.toml:1:"),
        "{listed_problems:?}"
    );
    assert_eq!(server.status("incidents/a/"), 200);

    // Fixed while serving.
    write_atomically(&toml_path, &site_toml("UTC"));
    server.wait_until("the fixed site.toml is used", || {
        server.serves("index.html", "Fixture archive")
            && problems(&server.overlay("index.html")).is_empty()
    });
}

#[test]
fn a_missing_or_non_utf8_site_toml_is_reported_with_the_reason_and_a_hint() {
    let site = site_with(&[("a.md", VALID)]);
    let toml_path = site.root().join("site.toml");
    fs::remove_file(&toml_path).unwrap();
    let server = Server::start(&site.root(), &[]);
    let missing = |p: &str| {
        p.starts_with("cannot read ")
            && p.contains("site.toml: ")
            && p.contains("(os error ")
            && p.ends_with("; create it in the site folder (README.md shows one), or pass the site folder with --root")
    };
    assert!(
        server.process.stderr.wait(WAIT, |lines, _| lines
            .iter()
            .any(|l| l.strip_prefix("problem: ").is_some_and(missing))),
        "{}",
        server.log()
    );
    let listed_problems = problems(&server.overlay("index.html"));
    assert!(
        listed_problems.len() == 1 && missing(&listed_problems[0]),
        "{listed_problems:?}"
    );

    // Written in another encoding.
    let tmp = site.root().join("site.toml.tmp");
    fs::write(&tmp, b"title = \"Archiv f\xfcr St\xf6rungen\"\n").unwrap();
    fs::rename(&tmp, &toml_path).unwrap();
    server.wait_until("the non-UTF-8 site.toml is the problem", || {
        let listed = problems(&server.overlay("index.html"));
        listed.len() == 1
            && listed[0].contains("site.toml: stream did not contain valid UTF-8")
            && listed[0].ends_with("; save it as UTF-8")
    });

    write_atomically(&toml_path, &site_toml("UTC"));
    server.wait_until("the fixed site.toml is used", || {
        server.serves("index.html", "Fixture archive")
            && problems(&server.overlay("index.html")).is_empty()
    });
}

#[test]
fn bind_listens_on_the_given_address() {
    if TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    }
    let site = site_with(&[("a.md", VALID)]);
    let server = Server::start(&site.root(), &["--bind", "::1"]);
    assert!(
        server.start_line.starts_with("Serving http://[::1]:"),
        "{}",
        server.start_line
    );
    assert!(server.serves("incidents/a/", "connection-pool setting"));
    fs::write(
        content(&site, "a.md"),
        titled("Checkout errors seen over IPv6"),
    )
    .unwrap();
    server.wait_until("the edit is served over IPv6", || {
        server.serves("incidents/a/", "Checkout errors seen over IPv6")
    });
}

#[test]
fn bind_localhost_listens_on_loopback_without_a_warning() {
    let site = site_with(&[("a.md", VALID)]);
    let server = Server::start(&site.root(), &["--bind", "localhost", "--no-watch"]);
    assert!(
        server.start_line.starts_with("Serving http://127.0.0.1:"),
        "{}",
        server.start_line
    );
    assert!(server.serves("incidents/a/", "connection-pool setting"));
    assert!(
        !server
            .process
            .stderr
            .all()
            .iter()
            .any(|l| l.starts_with("warning:")),
        "{}",
        server.log()
    );
}

#[test]
fn bind_to_every_interface_warns_that_drafts_are_visible_to_the_network() {
    let site = site_with(&[("a.md", VALID)]);
    let root = site.root();
    let process = Process::spawn(&[
        "serve",
        "--root",
        root.to_str().unwrap(),
        "--port",
        "0",
        "--bind",
        "0.0.0.0",
        "--no-watch",
    ]);
    assert!(
        process.stderr.wait(WAIT, |lines, _| lines.iter().any(|l| l
            .starts_with("warning: listening on 0.0.0.0, so your drafts are visible to anyone on the network")
            && l.ends_with("use `--bind 127.0.0.1` to keep them on it"))),
        "{}",
        process.log()
    );
}

#[test]
fn bind_to_an_address_this_machine_lacks_exits_2_saying_so_once_with_a_hint() {
    // TEST-NET-3 (RFC 5737): never a real interface's address.
    let site = site_with(&[("a.md", VALID)]);
    let root = site.root();
    let mut process = Process::spawn(&[
        "serve",
        "--root",
        root.to_str().unwrap(),
        "--port",
        "0",
        "--bind",
        "203.0.113.7",
    ]);
    let code = process
        .exit_code(WAIT)
        .unwrap_or_else(|| panic!("serve kept running\n{}", process.log()));
    assert_eq!(code, Some(2), "{}", process.log());
    assert_eq!(
        process.stderr.all(),
        ["error: cannot listen on 203.0.113.7:0: this machine has no network interface with the address 203.0.113.7; use `--bind 127.0.0.1` (this machine only, the default) or `--bind 0.0.0.0` (every interface)"]
    );
}

#[test]
fn no_watch_keeps_serving_the_first_version() {
    // A watching server on the same folder is the witness that the edit was
    // there to be seen.
    let site = site_with(&[("a.md", VALID)]);
    let frozen = Server::start(&site.root(), &["--no-watch"]);
    assert!(
        frozen.start_line.contains("; not watching;"),
        "{}",
        frozen.start_line
    );
    let witness = Server::start(&site.root(), &[]);
    fs::write(
        content(&site, "a.md"),
        titled("Checkout errors nobody reloaded"),
    )
    .unwrap();
    witness.wait_until("the watching server serves the edit", || {
        witness.serves("incidents/a/", "Checkout errors nobody reloaded")
    });
    // The edit has had the time a watching server needed, and then some.
    assert_eq!(frozen.next_reload(Duration::from_millis(1500)), None);
    assert_eq!(frozen.generation(), 1);
    let page = frozen.get("incidents/a/");
    assert!(page
        .body
        .contains("connection-pool setting was pushed everywhere"));
    assert!(!page.body.contains("Checkout errors nobody reloaded"));
    assert!(frozen.rebuilt().is_empty());
}

#[test]
fn poll_sees_an_edit() {
    let site = site_with(&[("a.md", VALID)]);
    let path = content(&site, "a.md");
    let server = Server::start(&site.root(), &["--poll"]);
    assert!(
        server
            .start_line
            .contains("watching with polling every 500 ms"),
        "{}",
        server.start_line
    );
    // The poller compares modification times in whole seconds (see
    // `poll_sees_a_second_edit_within_the_same_second`): edit in a later
    // second than the file was written.
    wait_for_second_after(mtime_second(&path));
    fs::write(&path, titled("Checkout errors found by polling")).unwrap();
    server.wait_until("the polled edit is served", || {
        server.serves("incidents/a/", "Checkout errors found by polling")
    });
    assert!(server.wait_for_generation_above(1) >= 2);
    // New files are found too.
    site.write("b.md", &titled("Checkout errors in a polled new file"));
    server.wait_until("the new file is served", || {
        server.serves("incidents/b/", "Checkout errors in a polled new file")
    });
}

#[test]
fn poll_sees_a_second_edit_within_the_same_second() {
    let site = site_with(&[("a.md", VALID)]);
    let path = content(&site, "a.md");
    let server = Server::start(&site.root(), &["--poll"]);
    // A first save early in a new second, which the poller sees...
    wait_for_second_after(mtime_second(&path));
    fs::write(&path, titled("Checkout errors, first save")).unwrap();
    server.wait_until("the first save is served", || {
        server.serves("incidents/a/", "Checkout errors, first save")
    });
    // ...then a correction a moment later, as an author fixing a typo does.
    fs::write(&path, titled("Checkout errors, second save")).unwrap();
    server.wait_until("the second save is served", || {
        server.serves("incidents/a/", "Checkout errors, second save")
    });
}

// ---- drafts, site.toml, unreadable files ---------------------------------------

#[test]
fn drafts_are_served_and_marked() {
    let site = site_with(&[
        ("done.md", VALID),
        (
            "wip.md",
            &valid_with(
                TITLE_LINE,
                "title: Checkout errors still being written\ndraft: true",
            ),
        ),
    ]);
    let server = Server::start(&site.root(), &[]);
    let wip = server.get("incidents/wip/");
    assert_eq!(wip.status, 200);
    assert!(wip.body.contains("class=\"badge badge-draft\""));
    let done = server.get("incidents/done/");
    assert!(!done.body.contains("badge-draft"));
    let index = server.get("index.html").body;
    assert_eq!(index.matches("class=\"badge badge-draft\"").count(), 1);
    let row = &index[index
        .find("Checkout errors still being written")
        .expect("draft listed")..];
    assert!(
        row[..row.find("</tr>").unwrap_or(row.len())].contains("badge-draft"),
        "the draft badge is not on the draft's row"
    );
}

#[test]
fn site_toml_changes_rerender_and_a_broken_one_keeps_the_last_good() {
    let site = site_with(&[("a.md", VALID)]);
    let server = Server::start(&site.root(), &[]);
    assert!(server.serves("index.html", "Fixture archive"));
    let toml_path = site.root().join("site.toml");
    let good =
        site_toml("UTC").replace("title = \"Fixture archive\"", "title = \"Renamed archive\"");

    write_atomically(&toml_path, &good);
    server.wait_until("the new site title is on the index", || {
        server.serves("index.html", "Renamed archive")
    });
    // Every page, not only the index.
    assert!(server.serves("incidents/a/", "Renamed archive"));
    assert!(!server.get("incidents/a/").body.contains("Fixture archive"));

    // An unclosed string on line 1.
    let broken = good.replace("title = \"Renamed archive\"", "title = \"Broken archive");
    write_atomically(&toml_path, &broken);
    server.wait_until("site.toml is a problem", || {
        !problems(&server.overlay("index.html")).is_empty()
    });
    let overlay = server.overlay("index.html");
    let listed_problems = problems(&overlay);
    assert_eq!(listed_problems.len(), 1, "{listed_problems:?}");
    assert!(
        listed_problems[0].contains("site.toml:1:"),
        "{listed_problems:?}"
    );
    // line:column, with a real column.
    let after = &listed_problems[0][listed_problems[0].find("site.toml:1:").unwrap() + 12..];
    let column: u32 = after[..after.find(':').unwrap()].parse().unwrap();
    assert!(column > 1, "{listed_problems:?}");
    // The last good configuration is still used.
    let index = server.get("index.html");
    assert_eq!(index.status, 200);
    assert!(index.body.contains("Renamed archive"));
    assert!(!index.body.contains("Broken archive"));
    assert!(server.serves("incidents/a/", "connection-pool setting"));

    // Fixed: the problem is gone and the fixed title is used.
    let fixed = good.replace("Renamed archive", "Fixed archive");
    write_atomically(&toml_path, &fixed);
    server.wait_until("the fixed site title is on the index", || {
        server.serves("index.html", "Fixed archive")
    });
    assert_eq!(
        problems(&server.overlay("index.html")),
        Vec::<String>::new()
    );
}

#[test]
fn theme_and_static_changes_are_served_and_a_broken_template_keeps_the_last_good() {
    let site = site_with(&[("a.md", VALID)]);
    let theme = site.root().join("themes/default");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default"),
        &theme,
    );
    let server = Server::start(&site.root(), &[]);
    let missing = server.get("nonexistent/");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("This page is not in the archive"));

    // A static folder created while serving: watched, its files at the root.
    fs::create_dir(site.root().join("static")).unwrap();
    fs::write(site.root().join("static/notes.txt"), "hello from static\n").unwrap();
    server.wait_until("the new static file is served", || {
        server.get("notes.txt").body == "hello from static\n"
    });
    assert_eq!(
        server.get("notes.txt").content_type(),
        "text/plain; charset=utf-8"
    );
    fs::write(site.root().join("static/notes.txt"), "edited\n").unwrap();
    server.wait_until("the edited static file is served", || {
        server.get("notes.txt").body == "edited\n"
    });

    // A template edit re-renders.
    let template = theme.join("templates/404.html");
    let original = fs::read_to_string(&template).unwrap();
    let edited = edit(
        &original,
        "This page is not in the archive",
        "Nothing is filed under this address",
    );
    write_atomically(&template, &edited);
    server.wait_until("the edited template is used", || {
        server
            .get("nonexistent/")
            .body
            .contains("Nothing is filed under this address")
    });

    // A broken template: reported, and the last good theme kept.
    write_atomically(&template, &format!("{edited}\n{{% if %}}"));
    server.wait_until("the broken template is a problem", || {
        !problems(&server.overlay("index.html")).is_empty()
    });
    let listed_problems = problems(&server.overlay("index.html"));
    assert!(
        listed_problems.len() == 1 && listed_problems[0].contains("template error"),
        "{listed_problems:?}"
    );
    let missing = server.get("nonexistent/");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Nothing is filed under this address"));
    assert!(server.serves("incidents/a/", "connection-pool setting"));

    // Fixed: the problem goes away.
    write_atomically(&template, &original);
    server.wait_until("the fixed template is used", || {
        server
            .get("nonexistent/")
            .body
            .contains("This page is not in the archive")
    });
    assert_eq!(
        problems(&server.overlay("index.html")),
        Vec::<String>::new()
    );
}

#[test]
fn an_unreadable_file_keeps_its_last_good_page_and_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let site = site_with(&[("locked.md", VALID)]);
    let path = content(&site, "locked.md");
    let server = Server::start(&site.root(), &[]);
    assert!(server.serves("incidents/locked/", "connection-pool setting"));

    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&path).is_ok() {
        // Root reads anything: there is nothing to test.
        eprintln!("skipped: this user can read a file with mode 000");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        return;
    }
    server.wait_until("the read finding is in the overlay", || {
        listed(&server.overlay("incidents/locked/"), "content/locked.md")
            .is_some_and(|f| f.iter().any(|f| f.0 == "read"))
    });
    let page = server.get("incidents/locked/");
    assert_eq!(page.status, 200, "the last good version is still served");
    assert!(page
        .body
        .contains("connection-pool setting was pushed everywhere"));
    let findings = listed(&page.overlay(), "content/locked.md").unwrap();
    let read = findings.iter().find(|f| f.0 == "read").unwrap();
    assert_eq!((read.1.as_str(), read.2, read.3), ("error", 1, 1));
    assert!(read.4.contains("cannot read this file"), "{read:?}");

    // Readable again: the finding goes away.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    server.wait_until("the read finding is gone", || {
        listed(&server.overlay("incidents/locked/"), "content/locked.md")
            .is_some_and(|f| f.iter().all(|f| f.0 != "read"))
    });
}

#[test]
fn a_file_that_stops_being_utf8_keeps_its_last_good_page_and_is_reported() {
    // The same recovery as an unreadable file, reachable as root too.
    let site = site_with(&[("latin1.md", VALID)]);
    let server = Server::start(&site.root(), &[]);
    assert!(server.serves("incidents/latin1/", "connection-pool setting"));

    site.write_bytes("latin1.md", b"---\ntitle: Caf\xe9\n---\n");
    server.wait_until("the read finding is in the overlay", || {
        listed(&server.overlay("incidents/latin1/"), "content/latin1.md")
            .is_some_and(|f| f.iter().any(|f| f.0 == "read"))
    });
    let page = server.get("incidents/latin1/");
    assert_eq!(page.status, 200, "the last good version is still served");
    assert!(page
        .body
        .contains("connection-pool setting was pushed everywhere"));
    let findings = listed(&page.overlay(), "content/latin1.md").unwrap();
    let read = findings.iter().find(|f| f.0 == "read").unwrap();
    assert_eq!((read.1.as_str(), read.2, read.3), ("error", 2, 11));
    assert!(read.4.contains("not UTF-8"), "{read:?}");
    // Every page's overlay lists it, so it is seen wherever the author is.
    assert!(listed(&server.overlay("index.html"), "content/latin1.md")
        .is_some_and(|f| f.iter().any(|f| f.0 == "read")));

    // Saved as UTF-8 again: the new text replaces the kept one.
    site.write("latin1.md", &titled("Checkout errors, saved as UTF-8"));
    server.wait_until("the fixed file is served", || {
        server.serves("incidents/latin1/", "Checkout errors, saved as UTF-8")
    });
    let findings = listed(&server.overlay("incidents/latin1/"), "content/latin1.md").unwrap();
    assert!(findings.iter().all(|f| f.0 != "read"), "{findings:?}");
}
