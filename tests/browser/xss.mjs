// Browser test of a built archive: serves SITE_DIR over HTTP on loopback,
// opens every HTML page in headless Chromium and fails if anything that a
// post-mortem wrote ran: a dialog (`alert(1)`), a console message carrying
// the marker `hs-xss`, a request to a path starting `/hs-beacon`, or, as
// markup that would run on a click or a hover, an element with an event
// handler attribute or a `javascript:`/`vbscript:`/`data:` URL. On the
// search page it also searches, so that the page shows results (titles and
// excerpts) from the post-mortems' text.
//
// usage: node tests/browser/xss.mjs SITE_DIR [QUERY]
//
//   SITE_DIR  a built archive (the output of `hindsight build`)
//   QUERY     a word to search for on search/index.html; it must find at
//             least one result (default: no search)
//
// Environment: HINDSIGHT_CHROMIUM (default /usr/bin/chromium),
// HINDSIGHT_BROWSER_TIMEOUT_MS (each wait; default 20000).
//
// Exit status: 0 nothing ran; 1 something ran (each detection listed, one
// line each starting `xss.mjs: RAN:`); 2 usage; 3 the check itself could not
// be done (Chromium did not start, a page did not load, no search results).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "./chromium.mjs";
import { serveStatic } from "./static-server.mjs";

const WAIT_MS = Number(process.env.HINDSIGHT_BROWSER_TIMEOUT_MS || 20000);
// How long a page is watched after `load`: error and focus handlers and
// fetches started by them land well within it.
const SETTLE_MS = 300;
const MARKER = "hs-xss";
const BEACON = "/hs-beacon";
class Unable extends Error {}

function usage(message) {
  console.error(`xss.mjs: ${message}`);
  console.error("usage: node tests/browser/xss.mjs SITE_DIR [QUERY]");
  process.exit(2);
}

function log(message) {
  console.log(`xss.mjs: ${message}`);
}

function htmlPages(root) {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".html")) found.push(path.relative(root, full).split(path.sep).join("/"));
    }
  };
  walk(root);
  return found.sort();
}

// Elements that would run script when clicked, hovered or focused, each
// with the class of its nearest classed ancestor, to tell where it is.
// URLs that do nothing (the theme's empty icon) are not.
function armedMarkup() {
  const found = [];
  const scriptUrl = /^(javascript|vbscript|data):/i;
  const inert = new Set(["data:,", "javascript:void(0)", "javascript:void(0);"]);
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\u0000-\u0020]/g, "");
      const url = ["href", "src", "action", "formaction", "xlink:href", "data", "poster"].includes(name);
      if (name.startsWith("on") || name === "srcdoc" || (url && scriptUrl.test(value) && !inert.has(value.toLowerCase()))) {
        const where = el.parentElement?.closest("[class]")?.classList[0];
        found.push(`<${el.localName} ${name}="${attr.value}">${where ? ` in .${where}` : ""}`);
      }
    }
  }
  return found;
}

async function main() {
  const root = process.argv[2] ? path.resolve(process.argv[2]) : usage("no site folder");
  const query = process.argv[3] || "";
  if (!fs.existsSync(path.join(root, "index.html"))) usage(`${root} has no index.html: build the archive first`);
  if (!fs.existsSync(CHROMIUM)) usage(`no Chromium at ${CHROMIUM} (install the Debian package \`chromium\` or set HINDSIGHT_CHROMIUM)`);

  const ran = [];
  const requests = [];
  const server = await serveStatic(root, { requests });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-chromium-"));
  const started = Date.now();
  let context;
  try {
    context = await chromium
      .launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60000 })
      .catch((e) => {
        throw new Unable(`Chromium did not start: ${e.message}`);
      });
    // Nothing leaves the machine: a post-mortem's external image or link is
    // refused rather than fetched.
    await context.route("**/*", (route) => (route.request().url().startsWith(origin) ? route.continue() : route.abort()));
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(WAIT_MS);
    let current = "";
    page.on("dialog", async (dialog) => {
      ran.push(`${current}: a ${dialog.type()} dialog opened: "${dialog.message()}"`);
      await dialog.dismiss().catch(() => {});
    });
    page.on("console", (m) => {
      if (m.text().includes(MARKER)) ran.push(`${current}: console.${m.type()}: ${m.text()}`);
    });
    page.on("request", (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith(BEACON)) ran.push(`${current}: a request went to ${url.pathname}`);
    });

    const pages = htmlPages(root);
    log(`serving ${root} at ${origin}; ${pages.length} pages`);
    for (const relative of pages) {
      current = relative;
      const response = await page.goto(`${origin}/${relative}`, { waitUntil: "load" }).catch((e) => {
        throw new Unable(`${relative} did not load: ${e.message}`);
      });
      if (!response || response.status() !== 200) throw new Unable(`${relative} answered ${response ? response.status() : "nothing"}`);
      await page.waitForTimeout(SETTLE_MS);
      for (const markup of await page.evaluate(armedMarkup)) ran.push(`${relative}: armed markup in the page: ${markup}`);
      if (relative === "search/index.html" && query) {
        const input = page.locator("#search-input");
        await input.fill(query).catch((e) => {
          throw new Unable(`no search box on ${relative}: ${e.message}`);
        });
        await page.waitForSelector(".search-result", { timeout: WAIT_MS }).catch(() => {
          throw new Unable(`searching for "${query}" showed no result within ${WAIT_MS} ms`);
        });
        await page.waitForTimeout(SETTLE_MS);
        const results = await page.locator(".search-result").count();
        log(`search for "${query}": ${results} result(s) shown`);
        for (const markup of await page.evaluate(armedMarkup)) ran.push(`${relative} (results): armed markup in the page: ${markup}`);
      }
    }
    for (const beacon of requests.filter((p) => p.startsWith(BEACON))) {
      const line = `the server was asked for ${beacon}`;
      if (!ran.some((r) => r.endsWith(beacon))) ran.push(line);
    }
    log(`checked ${pages.length} pages in ${Date.now() - started} ms`);
  } finally {
    if (context) await context.close().catch(() => {});
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  if (ran.length) {
    for (const r of ran) console.error(`xss.mjs: RAN: ${r}`);
    process.exitCode = 1;
  } else {
    log("ok: no dialog, no marked console message, no beacon request, no armed markup");
  }
}

// A hard limit, so a hung browser never hangs the test run.
const watchdog = setTimeout(() => {
  console.error("xss.mjs: UNABLE: gave up after 240 s");
  process.exit(3);
}, 240000);
watchdog.unref();

try {
  await main();
} catch (e) {
  process.exitCode = 3;
  console.error(`xss.mjs: UNABLE: ${e instanceof Unable ? e.message : e.stack || e}`);
}
