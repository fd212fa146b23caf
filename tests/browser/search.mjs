// Browser test of the search page: serves a built fixture archive below
// `/archive/` (as a site with a base path) and, in headless Chromium,
// searches, filters, reloads and clears, checking what the page shows and
// where its links go; then reads the index from a host that sends its files
// gzip-encoded.
//
// usage: node tests/browser/search.mjs SITE_DIR NEXT_SITE_DIR
//
// The archive is `tests/browser.rs`'s fixture: four post-mortems, two of
// them mentioning "zeppelin" (one P0 in Payments API, one P1 in Checkout),
// a third in Checkout from the year before, a fourth in Payments API with
// Japanese text and a German word saved decomposed. NEXT_SITE_DIR is the
// next build, with a third zeppelin, deployed while the page is open.
//
// Environment: HINDSIGHT_CHROMIUM (default /usr/bin/chromium),
// HINDSIGHT_BROWSER_TIMEOUT_MS (each wait; default 20000).
//
// Exit status: 0 every check held; 1 a check failed (each listed, one line
// each starting `search.mjs: FAILED:`); 2 usage; 3 the test could not run.

import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "./chromium.mjs";
import { serveStatic } from "./static-server.mjs";

const WAIT_MS = Number(process.env.HINDSIGHT_BROWSER_TIMEOUT_MS || 20000);
const PREFIX = "/archive/";
const PAYMENTS = "Payments API down while a zeppelin of retries queued up";
const CHECKOUT = "Checkout errors after a connection-pool setting was pushed everywhere";
const OLDER = "Checkout slow during the year-end sale";

const failed = [];
function check(ok, what) {
  console.log(`search.mjs: ${ok ? "ok" : "FAILED"}: ${what}`);
  if (!ok) failed.push(what);
}

// What the page shows once the search for `words` (when given) has its
// status and every result of its first page in the list.
async function shown(page, words) {
  await page.waitForFunction(
    (words) => {
      const status = document.getElementById("search-status").textContent;
      if (status === "" || (words !== undefined && !status.includes(`“${words}”`))) return false;
      const count = document.querySelectorAll(".search-result").length;
      const total = /(\d[\d,]*) post-mortems? match/.exec(status);
      return total ? count === Math.min(Number(total[1].replace(/,/g, "")), 10) : count === 0;
    },
    words,
    { timeout: WAIT_MS },
  );
  return {
    status: (await page.locator("#search-status").textContent()).trim(),
    titles: await page.locator(".search-result-title a").allTextContents(),
    hrefs: await page.locator(".search-result-title a").evaluateAll((as) => as.map((a) => a.href)),
    marks: await page.locator(".search-result-excerpt mark").allTextContents(),
  };
}

async function main() {
  const [root, next] = process.argv.slice(2, 4).map((dir) => (dir ? path.resolve(dir) : null));
  if (!root || !next || ![root, next].every((dir) => fs.existsSync(path.join(dir, "search/index.html")))) {
    console.error("usage: node tests/browser/search.mjs SITE_DIR NEXT_SITE_DIR (built archives)");
    process.exit(2);
  }
  const server = await serveStatic(root, { prefix: PREFIX });
  const base = `http://127.0.0.1:${server.address().port}${PREFIX}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(WAIT_MS);
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));

    await page.goto(`${base}search/index.html`, { waitUntil: "load" });
    const input = page.locator("#search-input");
    await input.waitFor();
    check(await page.locator("#search-note").isHidden(), "the over-HTTP note is hidden once search works");

    await input.fill("zeppelin");
    let seen = await shown(page, "zeppelin");
    check(seen.status === "2 post-mortems match “zeppelin”.", `two matches for zeppelin: "${seen.status}"`);
    check(
      seen.titles.length === 2 && seen.titles.includes(PAYMENTS) && seen.titles.includes(CHECKOUT),
      `both zeppelin post-mortems listed: ${JSON.stringify(seen.titles)}`,
    );
    check(
      seen.marks.length > 0 && seen.marks.every((m) => /^zeppelin\W*$/i.test(m)),
      `excerpts mark the word: ${JSON.stringify(seen.marks)}`,
    );
    for (const href of seen.hrefs) {
      const response = await page.request.get(href);
      check(
        href.startsWith(base + "incidents/") && response.status() === 200,
        `result link ${href} is below the base path and answers ${response.status()}`,
      );
    }

    // The start of a word finds it as it is typed, and other forms of a
    // word find it too (only the exact word is marked).
    for (const words of ["zeppe", "zeppelins", "Zeppelin's"]) {
      await input.fill(words);
      seen = await shown(page, words);
      check(seen.status === `2 post-mortems match “${words}”.`, `"${words}" finds both: "${seen.status}"`);
    }
    // Words inside Japanese text are found by their pairs of characters;
    // a decomposed umlaut is found as typed.
    for (const words of ["障害", "データ", "zerstörung"]) {
      await input.fill(words);
      seen = await shown(page, words);
      check(
        seen.status === `1 post-mortem matches “${words}”.` && seen.titles[0] === "Tokyo region database failover",
        `"${words}" finds the Tokyo post-mortem: "${seen.status}" ${JSON.stringify(seen.titles)} ${JSON.stringify(seen.marks)}`,
      );
    }
    await input.fill("!!!");
    await page.waitForFunction(() => /no word/.test(document.getElementById("search-status").textContent));
    check(
      (await page.locator("#search-status").textContent()) === "“!!!” has no word of two letters or more to search for. " &&
        (await page.locator(".search-result").count()) === 0,
      "punctuation alone says there is nothing to search for",
    );
    await input.fill("zeppelin");
    await shown(page, "zeppelin");

    await page.selectOption("select[data-filter=severity]", "P0");
    await page.waitForFunction(() => document.querySelectorAll(".search-result").length === 1);
    seen = await shown(page);
    check(
      seen.status === "1 post-mortem matches “zeppelin” with these filters." && seen.titles[0] === PAYMENTS,
      `the P0 filter leaves the Payments post-mortem: "${seen.status}" ${JSON.stringify(seen.titles)}`,
    );
    const address = new URL(page.url());
    check(
      address.searchParams.get("q") === "zeppelin" && address.searchParams.get("severity") === "P0",
      `the address holds the search: ${address.search}`,
    );

    await page.reload({ waitUntil: "load" });
    await input.waitFor();
    seen = await shown(page);
    check(
      (await input.inputValue()) === "zeppelin" &&
        (await page.locator("select[data-filter=severity]").inputValue()) === "P0" &&
        seen.titles.length === 1 &&
        seen.titles[0] === PAYMENTS,
      `a reload restores the search: ${JSON.stringify(seen)}`,
    );

    await input.fill("");
    await page.selectOption("select[data-filter=severity]", "");
    await page.selectOption("select[data-filter=service]", "Checkout");
    await page.waitForFunction(() => document.querySelectorAll(".search-result").length === 2);
    seen = await shown(page);
    check(
      seen.status === "2 post-mortems match these filters, newest first." &&
        JSON.stringify(seen.titles) === JSON.stringify([CHECKOUT, OLDER]),
      `filters alone list Checkout's post-mortems newest first: "${seen.status}" ${JSON.stringify(seen.titles)}`,
    );

    await input.fill("quokka");
    await page.waitForFunction(() => /^Nothing matches/.test(document.getElementById("search-status").textContent));
    seen = await shown(page);
    check(seen.status.startsWith("Nothing matches.") && seen.titles.length === 0, `no match says so: "${seen.status}"`);

    await page.locator("button[type=reset]").click();
    await page.waitForFunction(() => document.getElementById("search-status").textContent === "");
    check(
      (await page.locator(".search-result").count()) === 0 && new URL(page.url()).search === "",
      `Clear empties the results and the address: ${page.url()}`,
    );
    check(errors.length === 0, `no script error: ${JSON.stringify(errors)}`);

    // A filter in the address that no post-mortem has is said, not hidden.
    await page.goto(`${base}search/index.html?q=zeppelin&service=nope`, { waitUntil: "load" });
    seen = await shown(page);
    check(
      seen.status === "No post-mortem has service “nope”, so that filter is off. 2 post-mortems match “zeppelin”.",
      `an unknown filter value is named: "${seen.status}"`,
    );

    // A new build deployed while the page is open: the first file of the
    // new index the page reads makes it read the new index.
    await page.goto(`${base}search/index.html?q=zeppelin`, { waitUntil: "load" });
    seen = await shown(page);
    server.root = next;
    await input.fill("payments");
    seen = await shown(page, "payments");
    await input.fill("zeppelin");
    await page.waitForFunction(() => /^3 /.test(document.getElementById("search-status").textContent));
    seen = await shown(page);
    check(
      seen.status === "3 post-mortems match “zeppelin”." && seen.titles.includes("Airship telemetry lost"),
      `the new build's index is read: "${seen.status}" ${JSON.stringify(seen.titles)}`,
    );
    server.root = root;

    // A file that failed once is fetched again by the next search, and the
    // failure leaves no stale results on the page.
    const flaky = await serveStatic(root, { prefix: PREFIX, failOnce: "/terms/" });
    try {
      const other = `http://127.0.0.1:${flaky.address().port}${PREFIX}`;
      await page.goto(`${other}search/index.html?q=zeppelin`, { waitUntil: "load" });
      await page.waitForFunction(() => /could not be read/.test(document.getElementById("search-status").textContent));
      check((await page.locator(".search-result").count()) === 0, "a failed search shows no results");
      await input.fill("zeppelin ");
      await page.waitForFunction(() => /match/.test(document.getElementById("search-status").textContent));
      seen = await shown(page, "zeppelin");
      check(seen.status === "2 post-mortems match “zeppelin”.", `the next search fetches it again: "${seen.status}"`);
    } finally {
      flaky.close();
    }

    // A host that sends the index's files with a gzip content encoding.
    const encoding = await serveStatic(root, { prefix: PREFIX, encodeIndex: true });
    try {
      const other = `http://127.0.0.1:${encoding.address().port}${PREFIX}`;
      await page.goto(`${other}search/index.html?q=zeppelin`, { waitUntil: "load" });
      seen = await shown(page);
      check(
        seen.status === "2 post-mortems match “zeppelin”." && seen.titles.length === 2,
        `files the browser decompressed are read too: "${seen.status}" ${JSON.stringify(seen.titles)}`,
      );
    } finally {
      encoding.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
}

const watchdog = setTimeout(() => {
  console.error("search.mjs: UNABLE: gave up after 120 s");
  process.exit(3);
}, 120000);
watchdog.unref();

try {
  await main();
  if (failed.length) process.exitCode = 1;
} catch (e) {
  process.exitCode = failed.length ? 1 : 3;
  console.error(`search.mjs: UNABLE: ${e.stack || e}`);
}
