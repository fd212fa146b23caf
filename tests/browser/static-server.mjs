// A static file server for a built archive on 127.0.0.1, for the browser
// scripts. The archive can be served below a path (`/archive/`), as a site
// with a base path is; every request path is recorded in `requests`. With
// `encodeIndex`, the search index's gzipped files are sent with a gzip
// content encoding, as some hosts do, so the browser decompresses them.
// With `failOnce`, the first request whose path contains that string is
// answered 503. Setting `server.root` serves another folder from then on
// (a new build deployed).

import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".xml": "application/xml",
  ".csv": "text/csv; charset=utf-8",
  ".svg": "image/svg+xml",
};

// Resolves to the listening server; its origin is
// `http://127.0.0.1:${server.address().port}`.
export function serveStatic(first, { prefix = "/", requests = [], encodeIndex = false, failOnce = null } = {}) {
  let failing = failOnce;
  const server = http.createServer((req, res) => {
    const root = server.root;
    const url = new URL(req.url, "http://127.0.0.1");
    requests.push(url.pathname);
    if (failing && url.pathname.includes(failing)) {
      failing = null;
      res.writeHead(503, { "content-type": "text/plain" }).end("unavailable");
      return;
    }
    if (!url.pathname.startsWith(prefix)) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const relative = decodeURIComponent(url.pathname.slice(prefix.length));
    let file = path.normalize(path.join(root, relative));
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    fs.readFile(file, (err, bytes) => {
      if (err) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      const type = TYPES[path.extname(file)] || "application/octet-stream";
      const headers = { "content-type": type };
      if (encodeIndex && file.endsWith(".hsi")) headers["content-encoding"] = "gzip";
      res.writeHead(200, headers).end(bytes);
    });
  });
  server.root = first;
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
