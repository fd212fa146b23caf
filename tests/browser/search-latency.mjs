// Benchmark of the built site's search in a real Chromium: for each query,
// a fresh page opens the search page, waits for the search box (shown once
// the index description has loaded), types the query and waits for the first result.
// Reports, per query, the time from opening the page to the box being
// ready, from the last keystroke to the first result shown (as the driver
// sees it, and in the page from the keydown event), and the bytes
// fetched in all (page, style sheet, scripts, index files), then their
// medians.
//
// usage: node tests/browser/search-latency.mjs URL [QUERY ...]
//
//   URL    the site's root over HTTP, e.g. http://127.0.0.1:8000/ for
//          `python3 -m http.server -d public 8000`
//   QUERY  words to search for (default: a few that the generated
//          benchmark corpus and the bundled archive both contain)
//
// Environment: HINDSIGHT_CHROMIUM (default /usr/bin/chromium).

import process from "node:process";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "./chromium.mjs";


const [root, ...given] = process.argv.slice(2);
if (!root) {
  console.error("usage: node tests/browser/search-latency.mjs URL [QUERY ...]");
  process.exit(2);
}
const queries = given.length ? given : ["database", "certificate", "config", "latency", "rollback"];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const rows = [];
try {
  for (const query of queries) {
    // A new context each time: nothing cached from the previous query.
    const context = await browser.newContext();
    const page = await context.newPage();
    // Each body is read as its response arrives; all are awaited before
    // counting, so none is missed by being read late.
    const bodies = [];
    page.on("response", (response) => {
      bodies.push(response.body().then((b) => b.length, () => 0));
    });
    const opened = Date.now();
    await page.goto(new URL("search/index.html", root).href, { waitUntil: "load" });
    const input = page.locator("#search-input");
    await input.waitFor({ timeout: 20000 });
    const ready = Date.now() - opened;
    await input.fill(query.slice(0, -1));
    // In the page: from the last key's keydown to the first result in the
    // list, without the driver's own delays.
    await page.evaluate(() => {
      const input = document.getElementById("search-input");
      input.addEventListener("keydown", () => (window.hsKeydown = performance.now()), { once: true });
      new MutationObserver((_, observer) => {
        if (window.hsKeydown !== undefined && document.querySelector(".search-result")) {
          window.hsFirst = performance.now() - window.hsKeydown;
          observer.disconnect();
        }
      }).observe(document.getElementById("search-results"), { childList: true });
    });
    const started = Date.now();
    await input.press(query.slice(-1));
    await page.locator(".search-result").first().waitFor({ timeout: 20000 });
    const ms = Date.now() - started;
    const inPage = Math.round(await page.evaluate(() => window.hsFirst));
    // Let the requests the results start (their documents) finish before counting.
    await page.waitForLoadState("networkidle");
    const results = await page.locator("#search-status").textContent();
    const bytes = (await Promise.all(bodies)).reduce((a, b) => a + b, 0);
    rows.push({ query, ready, ms, inPage, kb: bytes / 1024, results: (results || "").trim() });
    await context.close();
  }
} finally {
  await browser.close();
}

for (const r of rows) {
  console.log(
    `${r.query}: ready after ${r.ready} ms, first result ${r.ms} ms after the keystroke (${r.inPage} ms in the page), ${r.kb.toFixed(0)} KB fetched (${r.results})`,
  );
}
console.log(
  `median: ready after ${median(rows.map((r) => r.ready))} ms, first result ${median(rows.map((r) => r.ms))} ms after the keystroke (${median(rows.map((r) => r.inPage))} ms in the page), ${median(rows.map((r) => r.kb)).toFixed(0)} KB fetched`,
);
