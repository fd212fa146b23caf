// The search page: queries the archive's own index (`search-index/`, made
// by hindsight's `search_index` module; its format is described there)
// behind the page's own form and result list. A query fetches the index's
// small description, the shard of each word, a facet's file when a filter
// is used, and one file per result shown. The query and filters live in
// the address, so a search can be shared and survives a reload.

const SHOWN_AT_ONCE = 10;

const form = document.getElementById("search-form");
const input = document.getElementById("search-input");
const statusLine = document.getElementById("search-status");
const list = document.getElementById("search-results");
const more = document.getElementById("search-more");
const note = document.getElementById("search-note");
const selects = Array.from(form.querySelectorAll("select[data-filter]"));
const root = new URL(form.getAttribute("data-root") || "./", location.href);

const INDEX = "search-index/";
// The index's format; a different one is a site built by another version.
const VERSION = 1;
// How much more an exact word weighs than a longer word it begins.
const PREFIX_WEIGHT = 0.6;
// Words of an excerpt.
const EXCERPT_WORDS = 24;

// As `search_index::words`: runs of letters and digits, lower-cased.
const WORD = /[\p{Alphabetic}\p{N}]+/gu;
function words(text) {
  return (text.normalize("NFC").toLowerCase().match(WORD) || []).filter((w) => {
    const length = [...w].length;
    return length >= 2 && length <= 40;
  });
}

// The start a query word shares with its other forms: `outages` and
// `outage` with `outag`, `failed` with `failing` and `failure` (`fail`).
function stem(word) {
  for (const suffix of ["ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "ed", "es", "s", "ly"]) {
    if (word.endsWith(suffix) && [...word].length - suffix.length >= 4) {
      word = word.slice(0, -suffix.length);
      break;
    }
  }
  if (/[eyi]$/.test(word) && [...word].length > 4) word = word.slice(0, -1);
  return word;
}

function hex(key) {
  return Array.from(new TextEncoder().encode(key), (b) => b.toString(16).padStart(2, "0")).join("");
}

function gaps(list) {
  let doc = -1;
  return list.map((gap) => (doc += gap));
}

class Index {
  constructor(base, meta) {
    this.base = base;
    this.meta = meta;
    this.keys = new Set(meta.keys);
    this.files = new Map();
    this.docs = new Map();
  }

  static async open(base) {
    const response = await fetch(new URL(`${INDEX}meta.json`, base), { cache: "no-cache" });
    if (!response.ok) throw new Error(`${response.status}`);
    const meta = await response.json();
    if (meta.version !== VERSION) throw new Error("another version's index");
    return new Index(base, meta);
  }

  // One of the index's gzipped files. A host that sent it with a gzip
  // content encoding has already decompressed it.
  async read(path, signal) {
    const url = new URL(`${INDEX}${path}?v=${encodeURIComponent(this.meta.build)}`, this.base);
    const response = await fetch(url, { signal });
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      return JSON.parse(await new Response(stream).text());
    }
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  // A shard or facet file, fetched once and shared by every search.
  file(path) {
    if (!this.files.has(path)) this.files.set(path, this.read(path));
    return this.files.get(path);
  }

  // A result's document. A newer search aborts the fetches of the one it
  // replaces, so they do not hold up its own; only what arrived is kept.
  async doc(n, signal) {
    if (!this.docs.has(n)) this.docs.set(n, await this.read(`doc/${n}.hsi`, signal));
    return this.docs.get(n);
  }

  shardOf(word) {
    const chars = [...word];
    const three = chars.slice(0, 3).join("");
    if (chars.length >= 3 && this.keys.has(three)) return three;
    const two = chars.slice(0, 2).join("");
    return this.keys.has(two) ? two : null;
  }

  // Each document's score for one query word (0 where it is missing): the
  // word itself, and the words that begin with its stem at a lower weight.
  async scores(word) {
    const long = [...word].length > 2;
    const start = long ? stem(word) : word;
    const key = this.shardOf(start);
    const found = new Float64Array(this.meta.docs);
    if (key === null) return found;
    const shard = await this.file(`terms/${hex(key)}.hsi`);
    for (const [term, postings] of Object.entries(shard)) {
      if (term !== word && !(long && term.startsWith(start))) continue;
      const idf = Math.log(1 + (this.meta.docs - postings.length + 0.5) / (postings.length + 0.5));
      const factor = term === word ? 1 : PREFIX_WEIGHT;
      let doc = -1;
      for (const value of postings) {
        doc += Math.floor(value / 8);
        const score = idf * (value % 8) * factor;
        if (score > found[doc]) found[doc] = score;
      }
    }
    return found;
  }

  // 1 for each document with every filter's value; null without filters.
  async matching(filters) {
    let allowed = null;
    for (const [facet, value] of Object.entries(filters)) {
      const values = await this.file(`filter/${encodeURIComponent(facet)}.hsi`);
      const these = new Uint8Array(this.meta.docs);
      for (const doc of Object.hasOwn(values, value) ? gaps(values[value]) : []) these[doc] = 1;
      if (allowed) for (let d = 0; d < allowed.length; d++) allowed[d] &= these[d];
      else allowed = these;
    }
    return allowed;
  }

  // Every post-mortem with all the words of `term` (a word shorter than two
  // characters is ignored) and every filter's value: the best match first,
  // then the newest; newest first without words.
  async search(term, filters, signal) {
    const wordsOfTerm = [...new Set(words(term))];
    const [allowed, ...perWord] = await Promise.all([this.matching(filters), ...wordsOfTerm.map((w) => this.scores(w))]);
    if (perWord.length === 0 && term.trim() && !allowed) return [];
    // Score and number in one sortable key: documents number under 2^20.
    const keys = [];
    for (let doc = 0; doc < this.meta.docs; doc++) {
      if (allowed && !allowed[doc]) continue;
      let sum = 0;
      for (const scores of perWord) {
        if (!scores[doc]) {
          sum = -1;
          break;
        }
        sum += scores[doc];
      }
      if (sum >= 0) keys.push(Math.round(sum * 1000) * 2 ** 20 + doc);
    }
    const ranked = Float64Array.from(keys).sort().reverse();
    return Array.from(ranked, (key) => {
      const doc = key % 2 ** 20;
      return { data: () => this.doc(doc, signal).then((d) => ({ ...d, excerpt: excerpt(d.text || "", wordsOfTerm) })) };
    });
  }
}

// Where the words of the query are thickest in `text`: about
// `EXCERPT_WORDS` words with the query's words marked, as text and
// <mark> pieces; never markup.
function excerpt(text, queryWords) {
  const starts = queryWords.map((w) => ([...w].length > 2 ? stem(w) : w));
  const spans = [];
  for (const match of text.matchAll(WORD)) {
    const lower = match[0].toLowerCase();
    const hit = queryWords.includes(lower) || starts.some((s, i) => [...queryWords[i]].length > 2 && lower.startsWith(s));
    spans.push({ at: match.index, end: match.index + match[0].length, hit });
  }
  if (spans.length === 0) return [];
  let best = 0;
  let bestHits = -1;
  let hits = 0;
  for (let i = 0; i < spans.length; i++) {
    if (spans[i].hit) hits++;
    if (i >= EXCERPT_WORDS && spans[i - EXCERPT_WORDS].hit) hits--;
    if (hits > bestHits) {
      bestHits = hits;
      best = Math.max(0, i - EXCERPT_WORDS + 1);
    }
  }
  // Start a little before the first match, so it reads in context.
  const firstHit = spans.slice(best, best + EXCERPT_WORDS).findIndex((s) => s.hit);
  if (firstHit > 4) best += firstHit - 4;
  const shown = spans.slice(best, best + EXCERPT_WORDS);
  const pieces = [];
  let at = shown[0].at;
  if (best > 0) pieces.push({ text: "… " });
  for (const span of shown) {
    if (!span.hit) continue;
    pieces.push({ text: text.slice(at, span.at) }, { text: text.slice(span.at, span.end), mark: true });
    at = span.end;
  }
  const end = shown[shown.length - 1].end;
  pieces.push({ text: text.slice(at, end) + (best + EXCERPT_WORDS < spans.length ? " …" : "") });
  return pieces.map((p) => ({ ...p, text: p.text.replace(/\s+/g, " ") }));
}

let index = null;
let generation = 0;
let aborter = new AbortController();
let results = [];
let shown = 0;

function unavailable(reason) {
  note.classList.add("note-warning");
  if (reason) note.insertAdjacentText("afterbegin", `${reason} `);
}

function wanted() {
  const filters = {};
  for (const select of selects) {
    if (select.value) filters[select.getAttribute("data-filter")] = select.value;
  }
  return { term: input.value.trim(), filters };
}

function remember(term, filters) {
  const params = new URLSearchParams();
  if (term) params.set("q", term);
  for (const [name, value] of Object.entries(filters)) params.set(name, value);
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

function restore() {
  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  for (const select of selects) {
    const value = params.get(select.getAttribute("data-filter"));
    if (value !== null && Array.from(select.options).some((o) => o.value === value)) select.value = value;
  }
}

// The excerpt's pieces as nodes: text, and the query's words in <mark>s.
function excerptNodes(pieces) {
  return pieces.map((piece) => {
    if (!piece.mark) return document.createTextNode(piece.text);
    const mark = document.createElement("mark");
    mark.textContent = piece.text;
    return mark;
  });
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text) el.textContent = text;
  return el;
}

function resultItem(data) {
  const meta = data.meta || {};
  const li = element("li", "search-result");
  const heading = element("h2", "search-result-title");
  const link = element("a", "", meta.title || data.url);
  const target = new URL(data.url, root);
  link.href = target.origin === location.origin ? target.href : "#";
  heading.append(link);
  const facts = element("p", "search-result-meta");
  if (meta.date) {
    const time = element("time", "", meta.date);
    time.dateTime = meta.date;
    facts.append(time, " ");
  }
  if (meta.severity) {
    const rank = /^\d+$/.test(meta.rank || "") ? meta.rank : "";
    const sev = element("span", rank ? `sev sev-r${rank}` : "sev", meta.severity);
    if (meta.severity_name) sev.append(element("span", "sev-name", ` · ${meta.severity_name}`));
    facts.append(sev, " ");
  }
  if (meta.status) {
    const status = meta.status.toLowerCase().replace(/[^a-z]/g, "");
    facts.append(element("span", `pill status-${status}`, meta.status.charAt(0).toUpperCase() + meta.status.slice(1)));
  }
  const excerpt = element("p", "search-result-excerpt");
  excerpt.append(...excerptNodes(data.excerpt));
  li.append(heading, facts, excerpt);
  return li;
}

const UNREADABLE = "The search index could not be read. Reload the page to try again.";

async function showMore(mine) {
  const next = results.slice(shown, shown + SHOWN_AT_ONCE);
  shown += next.length;
  // All are fetched at once; each is shown as soon as those above it are.
  const pending = next.map((r) => r.data());
  for (const p of pending) p.catch(() => {});
  for (const data of pending) {
    let item;
    try {
      item = resultItem(await data);
    } catch {
      if (mine === generation) statusLine.textContent = UNREADABLE;
      return;
    }
    if (mine !== generation) return;
    list.append(item);
  }
  more.hidden = shown >= results.length;
}

function describe(count, term, filtered) {
  const what = count === 1 ? "1 post-mortem matches" : `${count.toLocaleString("en")} post-mortems match`;
  if (!count) {
    return filtered
      ? "Nothing matches. Try fewer or other words, or clear a filter."
      : "Nothing matches. Try fewer or other words.";
  }
  if (!term) return `${what} these filters, newest first.`;
  return `${what} “${term}”${filtered ? " with these filters" : ""}.`;
}

async function run() {
  const mine = ++generation;
  aborter.abort();
  aborter = new AbortController();
  const { term, filters } = wanted();
  const filtered = Object.keys(filters).length > 0;
  remember(term, filters);
  if (!term && !filtered) {
    results = [];
    list.replaceChildren();
    statusLine.textContent = "";
    more.hidden = true;
    return;
  }
  let found;
  try {
    found = await index.search(term, filters, aborter.signal);
  } catch {
    if (mine === generation) statusLine.textContent = UNREADABLE;
    return;
  }
  if (mine !== generation) return;
  results = found;
  shown = 0;
  list.replaceChildren();
  statusLine.textContent = describe(results.length, term, filtered);
  await showMore(mine);
}

async function start() {
  if (location.protocol === "file:") {
    unavailable("");
    return;
  }
  try {
    index = await Index.open(root);
  } catch {
    unavailable("The search index could not be loaded.");
    return;
  }
  note.hidden = true;
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  form.addEventListener("reset", () => setTimeout(run));
  input.addEventListener("input", run);
  for (const select of selects) select.addEventListener("change", run);
  more.addEventListener("click", () => showMore(generation));
  restore();
  if (!input.value) input.focus();
  run();
}

start();
