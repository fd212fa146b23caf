// Benchmark of the built site's search in a real Chromium: for each query,
// a fresh page opens the search page, types the query and waits for the
// first result. Reports, per query, the time from the last keystroke to the
// first result shown and the bytes fetched in all (page, scripts, index
// files), then their medians.
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
    let bytes = 0;
    page.on("response", async (response) => {
      try {
        bytes += (await response.body()).length;
      } catch {
        // Redirects and aborted requests have no body.
      }
    });
    await page.goto(new URL("search/index.html", root).href, { waitUntil: "load" });
    const input = page.locator(".pagefind-ui__search-input");
    await input.waitFor({ timeout: 20000 });
    await input.fill(query.slice(0, -1));
    const started = Date.now();
    await input.press(query.slice(-1));
    await page.locator(".pagefind-ui__result").first().waitFor({ timeout: 20000 });
    const ms = Date.now() - started;
    // Let the requests the results start (fragments) finish before counting.
    await page.waitForLoadState("networkidle");
    const results = await page.locator(".pagefind-ui__message").textContent();
    rows.push({ query, ms, kb: bytes / 1024, results: (results || "").trim() });
    await context.close();
  }
} finally {
  await browser.close();
}

for (const r of rows) {
  console.log(`${r.query}: first result after ${r.ms} ms, ${r.kb.toFixed(0)} KB fetched (${r.results})`);
}
console.log(
  `median: first result after ${median(rows.map((r) => r.ms))} ms, ${median(rows.map((r) => r.kb)).toFixed(0)} KB fetched`,
);
