// Browser test of `hindsight serve`: a real Chromium opens an incident page,
// the post-mortem is edited on disk, and the page must reload by itself and
// show the edit; the findings overlay must be there before and after, and
// must show a finding that an edit introduces.
//
// usage: node tests/browser/serve.mjs URL SITE_ROOT [content/FILE.md]
//
//   URL        the server's address as printed on its `Serving …` line
//              (env HINDSIGHT_URL)
//   SITE_ROOT  the folder the server serves (env HINDSIGHT_ROOT); the test
//              edits a post-mortem in it
//   FILE       the post-mortem to edit, relative to SITE_ROOT (env
//              HINDSIGHT_POST_MORTEM); default: the first one under content/.
//              It should be valid and contain no blame language.
//
// Environment: HINDSIGHT_CHROMIUM (default /usr/bin/chromium),
// HINDSIGHT_BROWSER_TIMEOUT_MS (each wait; default 20000).
//
// Exits 0 when every check passes, 1 with a message saying what was
// expected and what the page showed otherwise, 2 on a usage error.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "./chromium.mjs";

const WAIT_MS = Number(process.env.HINDSIGHT_BROWSER_TIMEOUT_MS || 20000);
const BLAME = "the on-call engineer should have known the setting was unsafe.";

class Failure extends Error {}

function usage(message) {
  console.error(`serve.mjs: ${message}`);
  console.error("usage: node tests/browser/serve.mjs URL SITE_ROOT [content/FILE.md]");
  process.exit(2);
}

function log(message) {
  console.log(`serve.mjs: ${message}`);
}

// The same slug as hindsight's `markdown::slug`: letters and digits
// lowercased, every other run of characters one `-`, none at the ends.
function slug(text) {
  let out = "";
  for (const c of text) {
    if (/[\p{L}\p{N}]/u.test(c)) out += c.toLowerCase();
    else if (out && !out.endsWith("-")) out += "-";
  }
  return out.replace(/-+$/, "");
}

// `content/2024/x.md` -> `incidents/2024/x/`, as `post_mortem::id_for`.
function pagePath(relative) {
  const parts = relative.split(/[\\/]/).slice(1);
  parts[parts.length - 1] = parts[parts.length - 1].replace(/\.md$/, "");
  return `incidents/${parts.map((p) => slug(p) || "untitled").join("/")}/`;
}

function firstPostMortem(root) {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith(".") || entry.name.startsWith("_")) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".md")) found.push(path.relative(root, full));
    }
  };
  walk(path.join(root, "content"));
  if (!found.length) usage(`no post-mortem under ${path.join(root, "content")}`);
  return found[0];
}

// Saves the way editors do: in place, or a temporary file renamed over it.
function save(file, text, { rename }) {
  if (rename) {
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.hindsight-test.tmp`);
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, file);
  } else {
    fs.writeFileSync(file, text);
  }
}

function replaceOnce(text, pattern, replacement, what) {
  const matches = text.match(new RegExp(pattern.source, pattern.flags.replace("g", "") + "g"));
  if (!matches || matches.length !== 1) {
    throw new Failure(`cannot edit the post-mortem: expected exactly one ${what}, found ${matches ? matches.length : 0}`);
  }
  return text.replace(pattern, () => replacement);
}

async function main() {
  const url = process.argv[2] || process.env.HINDSIGHT_URL;
  const root = process.argv[3] || process.env.HINDSIGHT_ROOT;
  if (!url) usage("no server URL");
  if (!root) usage("no site root");
  if (!fs.existsSync(path.join(root, "content"))) usage(`${root} has no content/ folder`);
  if (!fs.existsSync(CHROMIUM)) usage(`no Chromium at ${CHROMIUM} (install the Debian package \`chromium\` or set HINDSIGHT_CHROMIUM)`);
  const relative = process.argv[4] || process.env.HINDSIGHT_POST_MORTEM || firstPostMortem(root);
  const file = path.join(root, relative);
  const pageUrl = new URL(pagePath(relative), url.endsWith("/") ? url : `${url}/`).href;
  const original = fs.readFileSync(file, "utf8");

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60000,
    });
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(WAIT_MS);
    const pageErrors = [];
    page.on("console", (m) => diagnostics.push(`console.${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => {
      pageErrors.push(String(e));
      diagnostics.push(`page error: ${e}`);
    });
    page.on("requestfailed", (r) => {
      // The event stream is cut on every reload: that is expected.
      if (!r.url().includes("/__hindsight/events")) diagnostics.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on("response", (r) => {
      if (r.status() >= 400) diagnostics.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    let loads = 0;
    page.on("load", () => {
      loads += 1;
    });

    // 1. The page, with the overlay and the live-reload script.
    log(`opening ${pageUrl}`);
    const response = await page.goto(pageUrl, { waitUntil: "load" });
    if (!response || response.status() !== 200) {
      throw new Failure(`GET ${pageUrl} answered ${response ? response.status() : "nothing"}, expected 200`);
    }
    const state = () =>
      page.evaluate(() => {
        const script = document.querySelector('script[src$="__hindsight/live.js"]');
        const box = document.getElementById("hindsight-findings");
        return {
          title: document.querySelector("h1")?.textContent?.trim() ?? null,
          generation: script ? script.getAttribute("data-generation") : null,
          overlay: box ? box.textContent.replace(/\s+/g, " ").trim() : null,
          overlayOpen: box ? Boolean(box.querySelector("details")?.open) : null,
          marked: window.__hindsightNotReloaded === true,
        };
      });
    await page
      .waitForSelector("#hindsight-findings", { state: "attached" })
      .catch(() => {
        throw new Failure(`no findings overlay (<aside id="hindsight-findings">) on ${pageUrl} after ${WAIT_MS} ms`);
      });
    const before = await state();
    if (before.generation === null) throw new Failure("the page has no live-reload script (/__hindsight/live.js)");
    if (!/\d+ errors? · \d+ warnings?/.test(before.overlay)) {
      throw new Failure(`the overlay does not show the archive's counts: "${before.overlay}"`);
    }
    log(`page at generation ${before.generation}, title "${before.title}", overlay "${before.overlay}"`);

    // Waits for the page to reload by itself and show `expect`.
    const reloadShowing = async (what, expect) => {
      const started = Date.now();
      const loadsBefore = loads;
      try {
        await page.waitForFunction(
          ([text]) =>
            window.__hindsightNotReloaded !== true &&
            document.readyState === "complete" &&
            document.body.textContent.includes(text) &&
            document.getElementById("hindsight-findings") !== null,
          [expect],
          { timeout: WAIT_MS, polling: 50 },
        );
      } catch (e) {
        let now = {};
        try {
          now = await state();
        } catch {
          now = { error: "the page could not be read" };
        }
        throw new Failure(
          `after ${what}, the page did not reload showing "${expect}" within ${WAIT_MS} ms ` +
            `(page loads since the edit: ${loads - loadsBefore}; reloaded: ${!now.marked}; ` +
            `generation ${now.generation} (was ${before.generation}); h1 "${now.title}"; overlay "${now.overlay}")`,
        );
      }
      const after = await state();
      log(`${what}: reloaded in ${Date.now() - started} ms to generation ${after.generation}`);
      return after;
    };
    const mark = () => page.evaluate(() => (window.__hindsightNotReloaded = true));

    // 2. A new title, saved in place: the page reloads and shows it.
    const title = `Browser-edited title ${process.pid}-${Date.now()}`;
    await mark();
    save(file, replaceOnce(original, /^title:.*$/m, `title: ${title}`, "`title:` line"), { rename: false });
    const afterTitle = await reloadShowing("editing the title", title);
    if (afterTitle.title !== title) throw new Failure(`the page's heading is "${afterTitle.title}", expected "${title}"`);
    if (Number(afterTitle.generation) <= Number(before.generation)) {
      throw new Failure(`the generation went from ${before.generation} to ${afterTitle.generation}; expected it to grow`);
    }

    // 3. A sentence that blames a person, saved by renaming a temporary
    // file over the post-mortem: the page reloads, shows the sentence, and
    // the overlay opens with the blame-language finding.
    const withTitle = fs.readFileSync(file, "utf8");
    const sentence = `During the ${process.pid} review, ${BLAME}`;
    const blamed = replaceOnce(withTitle, /^## What Went Poorly[ \t]*$/m, `## What Went Poorly\n\n- **Review note**: ${sentence}\n`, "`## What Went Poorly` heading");
    await mark();
    save(file, blamed, { rename: true });
    const afterBlame = await reloadShowing("adding a blaming sentence (saved by rename)", sentence);
    if (!afterBlame.overlay.includes("blame-language")) {
      throw new Failure(`the overlay does not list the blame-language finding after the edit: "${afterBlame.overlay}"`);
    }
    if (!afterBlame.overlayOpen) throw new Failure("the overlay lists a finding for this page but is closed");
    if (!/[1-9]\d* errors?/.test(afterBlame.overlay)) {
      throw new Failure(`the overlay's count shows no error after the edit: "${afterBlame.overlay}"`);
    }

    if (pageErrors.length) throw new Failure(`the page threw: ${pageErrors.join("; ")}`);
    log("ok: overlay shown, page reloaded by itself after each save and showed the edit");
  } finally {
    // Leave the site as it was, for whoever runs next.
    fs.writeFileSync(file, original);
    if (context) await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// What the browser said (console, errors, failed requests), shown on failure.
const diagnostics = [];

// A hard limit, so a hung browser never hangs the test run.
const watchdog = setTimeout(() => {
  console.error(`serve.mjs: FAILED: gave up after ${(4 * WAIT_MS + 60000) / 1000} s`);
  process.exit(1);
}, 4 * WAIT_MS + 60000);
watchdog.unref();

try {
  await main();
} catch (e) {
  process.exitCode = 1;
  console.error(`serve.mjs: FAILED: ${e instanceof Failure ? e.message : e.stack || e}`);
  if (diagnostics.length) {
    console.error("serve.mjs: what the browser reported:");
    for (const d of diagnostics.slice(-40)) console.error(`  ${d}`);
  }
}
