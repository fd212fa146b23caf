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
use percent_encoding::percent_decode_str;
use thiserror::Error;
use tokio::sync::watch;
use tokio_stream::wrappers::WatchStream;
use tokio_stream::StreamExt;

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
}

impl LiveSite {
    pub fn new(snapshot: Snapshot) -> Arc<LiveSite> {
        let (generation, _) = watch::channel(snapshot.generation);
        Arc::new(LiveSite {
            current: RwLock::new(Arc::new(snapshot)),
            search: RwLock::new(Arc::new(HashMap::new())),
            generation,
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

    /// Replaces the search index's files (`pagefind/…`).
    pub fn set_search(&self, files: Vec<OutputFile>) {
        let map = files.into_iter().map(|f| (f.path, f.bytes)).collect();
        *self.search.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(map);
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
    #[error("cannot listen on {addr}: {source}")]
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
        Err(source) => Err(BindError::Other { addr, source }),
    }
}

/// The path part of `base_url`, which the site is served under: `/` for
/// `https://example.org`, `/pm/` for `https://example.org/pm/`.
pub fn base_path(base_url: &str) -> String {
    let after_scheme = base_url.split_once("://").map_or(base_url, |(_, rest)| {
        rest.find('/').map_or("/", |i| &rest[i..])
    });
    let mut path = if after_scheme.starts_with('/') {
        after_scheme.to_string()
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
    /// Send the browser here instead (the base path with its slash).
    Redirect(String),
    Events,
    Script,
    /// Not percent-decodable to UTF-8, or trying to leave the site.
    BadRequest,
    /// Outside the base path.
    Outside,
}

/// Maps a raw request path to what it asks for. Decoding happens once;
/// `..`, `.`, backslashes and NUL are refused after it, so an encoded
/// traversal (`%2e%2e%2f`) is refused like a plain one.
pub fn target(base: &str, raw: &str) -> Target {
    let Some(rest) = raw.strip_prefix(base) else {
        return if raw == "/" || format!("{raw}/") == base {
            Target::Redirect(base.to_string())
        } else {
            Target::Outside
        };
    };
    match rest {
        "__hindsight/events" => return Target::Events,
        "__hindsight/live.js" => return Target::Script,
        _ => {}
    }
    let Ok(decoded) = percent_decode_str(rest).decode_utf8() else {
        return Target::BadRequest;
    };
    if decoded.contains(['\0', '\\'])
        || decoded.split('/').any(|s| s == ".." || s == ".")
        || decoded.starts_with('/')
    {
        return Target::BadRequest;
    }
    if decoded.is_empty() || decoded.ends_with('/') {
        Target::File(format!("{decoded}index.html"))
    } else {
        Target::File(decoded.into_owned())
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
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET and HEAD are served",
        );
    }
    let snapshot = site.current();
    let base = base_path(&snapshot.archive().config.base_url);
    match target(&base, uri.path()) {
        Target::Events => events(&site).into_response(),
        Target::Script => with_type(
            StatusCode::OK,
            "text/javascript; charset=utf-8",
            LIVE_JS.into(),
        ),
        Target::Redirect(to) => redirect(&to),
        Target::BadRequest => plain(StatusCode::BAD_REQUEST, "bad request path"),
        // Outside the base path the theme's relative links would lead
        // nowhere: send the browser into the site instead.
        Target::Outside => redirect(&base),
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
                        escape(&e.to_string())
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
    let stream = WatchStream::new(site.generation.subscribe())
        .map(|g| Ok(Event::default().event("reload").data(g.to_string())));
    Sse::new(stream).keep_alive(KeepAlive::default())
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
        // Pagefind's index and fragment files are binary.
        "pf_meta" | "pf_index" | "pf_fragment" | "pf_filter" => "application/octet-stream",
        _ => mime_guess::from_ext(ext)
            .first_raw()
            .unwrap_or("application/octet-stream"),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
        assert_eq!(target("/pm/", "/other/"), Target::Outside);
        assert_eq!(target("/pm/", "/pm/__hindsight/events"), Target::Events);
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
            assert_eq!(target("/", raw), Target::BadRequest, "{raw}");
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
            content_type("pagefind/wasm.en.pagefind"),
            "application/octet-stream"
        );
        assert_eq!(content_type("logo.png"), "image/png");
    }
}
