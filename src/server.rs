//! The drafting server's HTTP side (axum): serves the current `Snapshot`
//! and nothing else, under the site's base path; injects the live-reload
//! script and the findings overlay into HTML; announces each new snapshot
//! to browsers over server-sent events, only after it has been swapped in
//! whole.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::{Arc, RwLock};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Router;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use thiserror::Error;
use tokio::sync::watch;
use tokio_stream::wrappers::WatchStream;
use tokio_stream::StreamExt;

use crate::markup;
use crate::output::OutputFile;
use crate::snapshot::Snapshot;

/// Where the server's own endpoints live, below the base path.
pub const ENDPOINTS: &str = "__hindsight/";
const LIVE_JS: &str = include_str!("live.js");

/// The version being served, and the search index built for it.
pub struct LiveSite {
    current: RwLock<Arc<Snapshot>>,
    search: RwLock<Arc<HashMap<String, Vec<u8>>>>,
    generation: watch::Sender<u64>,
    /// Counts the search indexes served, so an open search page can read
    /// the new one.
    indexes: watch::Sender<u64>,
}

impl LiveSite {
    pub fn new(snapshot: Snapshot) -> Arc<LiveSite> {
        let (generation, _) = watch::channel(snapshot.generation);
        Arc::new(LiveSite {
            current: RwLock::new(Arc::new(snapshot)),
            search: RwLock::new(Arc::new(HashMap::new())),
            generation,
            indexes: watch::channel(0).0,
        })
    }

    pub fn current(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Serves `snapshot` from now on, then tells the browsers to reload.
    pub fn swap(&self, snapshot: Snapshot) {
        let generation = snapshot.generation;
        let old = {
            let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(&mut *current, Arc::new(snapshot))
        };
        self.generation.send_replace(generation);
        // Freeing a large version (its rendered pages) takes a while: after
        // the lock is released and the browsers are told.
        drop(old);
    }

    /// Replaces the search index's files (`search-index/…`).
    pub fn set_search(&self, files: Vec<OutputFile>) {
        let map = files.into_iter().map(|f| (f.path, f.bytes)).collect();
        *self.search.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(map);
        self.indexes.send_modify(|n| *n += 1);
    }

    fn search_file(&self, path: &str) -> Option<Vec<u8>> {
        self.search
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .cloned()
    }
}

#[derive(Debug, Error)]
pub enum BindError {
    #[error("{addr} is in use{}", match .next_free {
        Some(p) => format!("; port {p} is free: run again with `--port {p}`, or `--port 0` to let the system pick one"),
        None => "; run again with `--port 0` to let the system pick a free port".to_string(),
    })]
    InUse {
        addr: SocketAddr,
        next_free: Option<u16>,
    },
    #[error("cannot listen on {addr}: this machine has no network interface with the address {}; use `--bind 127.0.0.1` (this machine only, the default) or `--bind 0.0.0.0` (every interface)", .addr.ip())]
    NotHere { addr: SocketAddr },
    // The reason is the error's source, shown after this by the caller.
    #[error("cannot listen on {addr}")]
    Other {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Listens on `ip:port`; a busy port is an error naming the next free one.
pub fn bind(ip: IpAddr, port: u16) -> Result<TcpListener, BindError> {
    let addr = SocketAddr::new(ip, port);
    match TcpListener::bind(addr) {
        Ok(listener) => {
            listener
                .set_nonblocking(true)
                .map_err(|source| BindError::Other { addr, source })?;
            Ok(listener)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(BindError::InUse {
            addr,
            next_free: (port.saturating_add(1)..=port.saturating_add(100))
                .find(|&p| TcpListener::bind(SocketAddr::new(ip, p)).is_ok()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {
            Err(BindError::NotHere { addr })
        }
        Err(source) => Err(BindError::Other { addr, source }),
    }
}

/// What a path is percent-encoded for in URLs this server sends (`Location`,
/// the live-reload script's `src`): spaces, quotes and the characters that
/// would end the path or an HTML attribute. Non-ASCII is always encoded.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'\'')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// `path` (decoded) as it is written in a URL.
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

/// The path part of `base_url`, percent-decoded, which the site is served
/// under: `/` for `https://example.org`, `/pm/` for `https://example.org/pm/`,
/// `/post mortems/` for `/post%20mortems/` (`site.toml` refuses queries and
/// fragments). Request paths are decoded before they are compared with it,
/// so either spelling matches.
pub fn base_path(base_url: &str) -> String {
    let after_scheme = base_url.split_once("://").map_or(base_url, |(_, rest)| {
        rest.find('/').map_or("/", |i| &rest[i..])
    });
    let mut path = if after_scheme.starts_with('/') {
        percent_decode_str(after_scheme)
            .decode_utf8_lossy()
            .into_owned()
    } else {
        "/".to_string()
    };
    if !path.ends_with('/') {
        path.push('/');
    }
    path
}

/// What a request path asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// A file of the site, by its output path (`incidents/x/index.html`).
    File(String),
    /// Send the browser here instead: the base path, or a path below it,
    /// percent-encoded.
    Redirect(String),
    Events,
    Script,
    /// Refused, with why: not percent-decodable to UTF-8, or trying to
    /// leave the site.
    BadRequest(&'static str),
}

/// Maps a raw request path to what it asks for. The path is decoded once,
/// then compared with the (decoded) base path; `..`, `.`, backslashes and
/// NUL are refused after decoding, so an encoded traversal (`%2e%2e%2f`)
/// is refused like a plain one. A path outside the base is sent to the
/// same path below it, so a page stays open across a `base_url` edit.
pub fn target(base: &str, raw: &str) -> Target {
    let Ok(decoded) = percent_decode_str(raw).decode_utf8() else {
        return Target::BadRequest("the path is not UTF-8 once percent-decoded");
    };
    let Some(rest) = decoded.strip_prefix(base) else {
        if decoded == "/" || format!("{decoded}/") == base {
            return Target::Redirect(encode_path(base));
        }
        let inside = decoded.strip_prefix('/').unwrap_or(&decoded);
        return match refused(inside) {
            Some(why) => Target::BadRequest(why),
            None => Target::Redirect(encode_path(&format!("{base}{inside}"))),
        };
    };
    match rest {
        "__hindsight/events" => return Target::Events,
        "__hindsight/live.js" => return Target::Script,
        _ => {}
    }
    if let Some(why) = refused(rest) {
        return Target::BadRequest(why);
    }
    if rest.is_empty() || rest.ends_with('/') {
        Target::File(format!("{rest}index.html"))
    } else {
        Target::File(rest.to_string())
    }
}

/// Why a decoded path below the base is refused, if it is.
fn refused(path: &str) -> Option<&'static str> {
    if path.contains(['\0', '\\']) {
        Some("backslashes and NUL are not allowed in a path")
    } else if path.split('/').any(|s| s == ".." || s == ".") {
        Some("`.` and `..` segments are not allowed: nothing outside the site is served")
    } else if path.starts_with('/') {
        Some("the path has an empty segment (`//`) where a name should be")
    } else {
        None
    }
}

/// The router: every path goes through `handle`.
pub fn router(site: Arc<LiveSite>) -> Router {
    Router::new().fallback(handle).with_state(site)
}

/// Serves until the process ends.
pub async fn run(listener: TcpListener, site: Arc<LiveSite>) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    axum::serve(listener, router(site)).await
}

async fn handle(State(site): State<Arc<LiveSite>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut response = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET and HEAD are served",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let snapshot = site.current();
    let decoded_base = base_path(&snapshot.archive().config.base_url);
    // Pages link to the server's endpoints by URL: encoded.
    let base = encode_path(&decoded_base);
    match target(&decoded_base, uri.path()) {
        Target::Events => events(&site).into_response(),
        Target::Script => with_type(
            StatusCode::OK,
            "text/javascript; charset=utf-8",
            LIVE_JS.into(),
        ),
        Target::Redirect(to) => redirect(&to),
        Target::BadRequest(why) => {
            plain(StatusCode::BAD_REQUEST, &format!("bad request path: {why}"))
        }
        Target::File(path) => {
            let path_for_render = path.clone();
            let snap = Arc::clone(&snapshot);
            // Rendering a large page takes a while: off the async workers.
            let found = tokio::task::spawn_blocking(move || snap.get(&path_for_render))
                .await
                .unwrap_or(None);
            match found {
                Some(Ok(bytes)) => file(&snapshot, &base, &path, &bytes),
                Some(Err(e)) => {
                    let body = format!(
                        "<!doctype html><meta charset=utf-8><title>Template error</title><h1>The theme could not render this page</h1><pre>{}</pre></body>",
                        markup::escape(&e.to_string())
                    );
                    html_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        &snapshot,
                        &base,
                        &path,
                        body.into_bytes(),
                    )
                }
                None => match site.search_file(&path) {
                    Some(bytes) => with_type(StatusCode::OK, content_type(&path), bytes),
                    None if snapshot.contains(&format!("{path}/index.html")) => {
                        redirect(&format!("{}/", uri.path()))
                    }
                    None => not_found(&snapshot, &base, &path),
                },
            }
        }
    }
}

fn events(site: &LiveSite) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    // The current generation first: a page loaded just before a swap
    // learns at once that it is out of date.
    let reloads = WatchStream::new(site.generation.subscribe())
        .map(|g| Ok(Event::default().event("reload").data(g.to_string())));
    let indexes = WatchStream::new(site.indexes.subscribe())
        .map(|n| Ok(Event::default().event("search").data(n.to_string())));
    Sse::new(reloads.merge(indexes)).keep_alive(KeepAlive::default())
}

fn file(snapshot: &Snapshot, base: &str, path: &str, bytes: &[u8]) -> Response {
    if path.ends_with(".html") {
        html_response(StatusCode::OK, snapshot, base, path, bytes.to_vec())
    } else {
        with_type(StatusCode::OK, content_type(path), bytes.to_vec())
    }
}

fn not_found(snapshot: &Snapshot, base: &str, path: &str) -> Response {
    let body = match snapshot.not_found(path) {
        Some(Ok(bytes)) => bytes,
        _ => {
            b"<!doctype html><meta charset=utf-8><title>Not found</title><h1>Not found</h1></body>"
                .to_vec()
        }
    };
    html_response(StatusCode::NOT_FOUND, snapshot, base, path, body)
}

fn html_response(
    status: StatusCode,
    snapshot: &Snapshot,
    base: &str,
    path: &str,
    mut body: Vec<u8>,
) -> Response {
    let overlay = serde_json::to_string(&snapshot.overlay(path))
        .expect("plain data serialises")
        // Inside <script>, `</script>` in a message must not end the element.
        .replace('<', "\\u003c");
    let snippet = format!(
        "<script id=\"hindsight-overlay\" type=\"application/json\">{overlay}</script>\n<script src=\"{base}{ENDPOINTS}live.js\" data-generation=\"{}\" data-events=\"{base}{ENDPOINTS}events\" defer></script>\n",
        snapshot.generation
    );
    let at = find_last(&body, b"</body>").unwrap_or(body.len());
    body.splice(at..at, snippet.into_bytes());
    with_type(status, "text/html; charset=utf-8", body)
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|w| w.eq_ignore_ascii_case(needle))
}

fn with_type(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    // A drafting server: never let the browser show a stale version.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn plain(status: StatusCode, message: &str) -> Response {
    with_type(
        status,
        "text/plain; charset=utf-8",
        format!("{message}\n").into_bytes(),
    )
}

fn redirect(to: &str) -> Response {
    let mut response = plain(StatusCode::MOVED_PERMANENTLY, "moved");
    if let Ok(v) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// The content type of a site file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/atom+xml; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "svg" => "image/svg+xml",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        // The search index's gzipped files, which the page decompresses.
        "hsi" => "application/octet-stream",
        _ => mime_guess::from_ext(ext)
            .first_raw()
            .unwrap_or("application/octet-stream"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_is_the_path_of_base_url() {
        assert_eq!(base_path("/"), "/");
        assert_eq!(base_path("https://example.org"), "/");
        assert_eq!(base_path("https://example.org/pm"), "/pm/");
        assert_eq!(base_path("https://example.org/a/b/"), "/a/b/");
        assert_eq!(base_path("/archive/"), "/archive/");
    }

    #[test]
    fn base_path_is_decoded() {
        assert_eq!(base_path("/docs/post mortems/"), "/docs/post mortems/");
        assert_eq!(base_path("/docs/post%20mortems/"), "/docs/post mortems/");
        assert_eq!(base_path("https://example.org/st%C3%B6rung"), "/störung/");
    }

    #[test]
    fn a_redirect_never_leads_to_another() {
        for base in ["/", "/pm/", "/docs/post mortems/", "/störung/", "/a%b/"] {
            let encoded = encode_path(base);
            for raw in [
                "/".to_string(),
                encoded.trim_end_matches('/').to_string(),
                encoded.clone(),
                format!("{encoded}incidents/x/"),
                "/incidents/2017/x/".into(),
                "/docs/post mortems/".into(),
                "/st%C3%B6rung".into(),
                "/a b/%C3%A9?/x".into(),
            ] {
                if let Target::Redirect(to) = target(base, &raw) {
                    assert!(
                        !matches!(target(base, &to), Target::Redirect(_)),
                        "{base}: {raw} -> {to} -> {:?}",
                        target(base, &to)
                    );
                }
            }
        }
    }

    #[test]
    fn paths_map_to_site_files() {
        assert_eq!(target("/", "/"), Target::File("index.html".into()));
        assert_eq!(
            target("/", "/incidents/x/"),
            Target::File("incidents/x/index.html".into())
        );
        assert_eq!(
            target("/", "/incidents/st%C3%B6rung/"),
            Target::File("incidents/störung/index.html".into())
        );
        assert_eq!(
            target("/pm/", "/pm/atom.xml"),
            Target::File("atom.xml".into())
        );
        assert_eq!(target("/pm/", "/pm"), Target::Redirect("/pm/".into()));
        assert_eq!(target("/pm/", "/"), Target::Redirect("/pm/".into()));
        assert_eq!(target("/pm/", "/pm/__hindsight/events"), Target::Events);
        assert_eq!(
            target("/post mortems/", "/post%20mortems/atom.xml"),
            Target::File("atom.xml".into())
        );
        assert_eq!(
            target("/post mortems/", "/post%20mortems"),
            Target::Redirect("/post%20mortems/".into())
        );
    }

    #[test]
    fn a_path_outside_the_base_is_sent_to_the_same_path_below_it() {
        assert_eq!(
            target("/postmortems/", "/incidents/2017/x/"),
            Target::Redirect("/postmortems/incidents/2017/x/".into())
        );
        assert_eq!(
            target("/post mortems/", "/incidents/st%C3%B6rung/"),
            Target::Redirect("/post%20mortems/incidents/st%C3%B6rung/".into())
        );
        assert!(matches!(
            target("/pm/", "/../etc/passwd"),
            Target::BadRequest(_)
        ));
    }

    #[test]
    fn traversal_plain_or_encoded_is_refused() {
        for raw in [
            "/../etc/passwd",
            "/incidents/../../x",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/a/%2e/b",
            "/..%5c..%5cwindows",
            "/%00",
            "/%ff%fe",
            "//etc/passwd",
        ] {
            assert!(matches!(target("/", raw), Target::BadRequest(_)), "{raw}");
        }
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("atom.xml"),
            "application/atom+xml; charset=utf-8"
        );
        assert_eq!(
            content_type("search-index/doc/3.hsi"),
            "application/octet-stream"
        );
        assert_eq!(content_type("logo.png"), "image/png");
    }
}
