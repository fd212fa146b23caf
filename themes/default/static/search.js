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
// What a longer word or another form of a query word weighs, against 1 for
// the word itself.
const FORM_WEIGHT = 0.6;
// Words of an excerpt.
const EXCERPT_WORDS = 24;
// A query shown longer than this in the status line is cut.
const QUOTED_CHARS = 60;
// How often, at most, a search asks whether a new build was deployed.
const RECHECK_MS = 2000;
// How long the page waits for an index that is not there yet (`serve`
// builds its first one a moment after it starts).
const OPEN_ATTEMPTS = [0, 500, 1000, 2000, 4000, 8000];

// As `search_index::each_word`: runs of letters, marks and digits, in NFC
// and lower-cased (the first 40 characters of a longer one); within them,
// runs of Han and kana as each character and each overlapping pair.
const WORD = /[\p{Alphabetic}\p{M}\p{N}]+/gu;
const UNSPACED = /^[\u3005\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2fa1f}]$/u;

// The index's words in `text` (already normalised), each with whether it
// is unspaced. For a query, a run of unspaced characters is its pairs
// alone (they hold its characters).
function wordsOf(text, query = false) {
  const found = [];
  for (const [run] of text.matchAll(WORD)) {
    let segment = [];
    let unspaced = null;
    const flush = () => {
      if (unspaced) {
        if (!query || segment.length === 1) for (const c of segment) found.push({ word: c, unspaced });
        for (let i = 0; i + 1 < segment.length; i++) found.push({ word: segment[i] + segment[i + 1], unspaced });
      } else if (segment.length >= 2) {
        found.push({ word: segment.slice(0, 40).join(""), unspaced });
      }
      segment = [];
    };
    for (const c of run) {
      const kind = UNSPACED.test(c);
      if (kind !== unspaced && segment.length) flush();
      unspaced = kind;
      segment.push(c);
    }
    if (segment.length) flush();
  }
  return found;
}

// As `search_index::normalised`: Turkish İ and a final sigma folded.
function normalised(text) {
  return text.normalize("NFC").toLowerCase().replace(/i\u0307/g, "i").replace(/ς/g, "σ");
}

// Endings taken off a query word to find its other forms, and the endings
// those forms may have: `outages` finds `outage`, `failed` finds `failure`
// and `failing`, `failure` finds `failed`.
const ENDINGS = ["ations", "ation", "ings", "ing", "ures", "ure", "ies", "ied", "ed", "es", "s", "ly", "y"];
const FORMS = new Set(["", "e", "s", "es", "ed", "d", "ing", "ings", "y", "ies", "ied", "ure", "ures", "ion", "ions", "ation", "ations", "ly", "ment", "ments"]);

function stem(word) {
  for (const ending of ENDINGS) {
    if (word.endsWith(ending) && [...word].length - ending.length >= 4) return word.slice(0, -ending.length);
  }
  return word;
}

// A query word: what it matches besides itself.
function queryWord({ word, unspaced }) {
  const length = [...word].length;
  return { word, stem: unspaced || length < 4 ? word : stem(word), prefix: !unspaced && length > 2 };
}

// How much `term` counts for query word `q`: 1 for the word itself, less
// for a longer word it begins (as it is typed) or another form of it.
function weight(term, q) {
  if (term === q.word) return 1;
  if (q.prefix && term.startsWith(q.word)) return FORM_WEIGHT;
  if (q.stem !== q.word && term.startsWith(q.stem) && FORMS.has(term.slice(q.stem.length))) return FORM_WEIGHT;
  return 0;
}

function hex(key) {
  return Array.from(new TextEncoder().encode(key), (b) => b.toString(16).padStart(2, "0")).join("");
}

function gaps(list) {
  let doc = -1;
  return list.map((gap) => (doc += gap));
}

// The index changed under the page (a new build was deployed).
class Stale extends Error {}

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

  // The index now on the host when it is another build than this one.
  async newer() {
    const latest = await Index.open(this.base);
    return latest.meta.build === this.meta.build ? null : latest;
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

  // The body of a shard or facet file of this build, fetched once and
  // shared by every search; one that failed is fetched again next time.
  async file(path) {
    if (!this.files.has(path)) {
      const pending = this.read(path);
      this.files.set(path, pending);
      pending.catch(() => this.files.get(path) === pending && this.files.delete(path));
    }
    const { build, body } = await this.files.get(path);
    if (build !== this.meta.build) throw new Stale();
    return body;
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

  // Each document's score for one query word (0 where it is missing). A
  // longer word or another form never counts for more than the word
  // itself would where both are as frequent.
  async scores(q) {
    const found = new Float64Array(this.meta.docs);
    const key = this.shardOf(q.stem);
    if (key === null) return found;
    const shard = await this.file(`terms/${hex(key)}.hsi`);
    const idf = (postings) => Math.log(1 + (this.meta.docs - postings.length + 0.5) / (postings.length + 0.5));
    const exact = Object.hasOwn(shard, q.word) ? idf(shard[q.word]) : Infinity;
    for (const [term, postings] of Object.entries(shard)) {
      const factor = weight(term, q);
      if (!factor) continue;
      const rarity = Math.min(idf(postings), exact);
      let doc = -1;
      for (const value of postings) {
        doc += Math.floor(value / 16);
        const score = rarity * (value % 16) * factor;
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

  // The query's words, deduplicated.
  queryWords(term) {
    const seen = new Map();
    for (const w of wordsOf(normalised(term), true)) {
      if (!seen.has(w.word)) seen.set(w.word, queryWord(w));
    }
    return [...seen.values()];
  }

  // Every post-mortem with all the query's words and every filter's value:
  // the best match first, then the newest; newest first without words.
  async search(queryWords, filters, signal) {
    const [allowed, ...perWord] = await Promise.all([this.matching(filters), ...queryWords.map((q) => this.scores(q))]);
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
      return { data: () => this.doc(doc, signal).then((d) => ({ ...d, excerpt: excerpt(d.text || "", queryWords) })) };
    });
  }
}

// Where the query's words are thickest in `text`: about `EXCERPT_WORDS`
// words with the matching ones marked, as text and <mark> pieces; never
// markup. Without query words, the text's start after its title.
function excerpt(raw, queryWords) {
  let text = raw.normalize("NFC");
  if (!queryWords.length) text = text.slice(text.indexOf("\n") + 1);
  const matches = (word) => queryWords.some((q) => weight(word, q) > 0);
  const spans = [];
  for (const match of text.matchAll(WORD)) {
    const chars = [...match[0]];
    if (!chars.some((c) => UNSPACED.test(c))) {
      const hit = wordsOf(normalised(match[0])).some((t) => matches(t.word));
      spans.push({ at: match.index, end: match.index + match[0].length, hit });
      continue;
    }
    // A run with Han or kana: a span for each of its other words, and for
    // each such character, marked where it is a matching character or half
    // of a matching pair.
    let at = match.index;
    let i = 0;
    while (i < chars.length) {
      const unspaced = UNSPACED.test(chars[i]);
      let j = i;
      while (j < chars.length && UNSPACED.test(chars[j]) === unspaced) j++;
      const segment = chars.slice(i, j);
      if (unspaced) {
        const lower = segment.map(normalised);
        segment.forEach((c, k) => {
          const hit =
            matches(lower[k]) ||
            (k > 0 && matches(lower[k - 1] + lower[k])) ||
            (k + 1 < segment.length && matches(lower[k] + lower[k + 1]));
          spans.push({ at, end: at + c.length, hit });
          at += c.length;
        });
      } else {
        const piece = segment.join("");
        spans.push({ at, end: at + piece.length, hit: wordsOf(normalised(piece)).some((t) => matches(t.word)) });
        at += piece.length;
      }
      i = j;
    }
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
let checked = 0;
let generation = 0;
let aborter = new AbortController();
let results = [];
let shown = 0;
// Said once, with the first results: filters in the address that the page
// does not offer.
let notice = "";

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
  const ignored = [];
  for (const select of selects) {
    const value = params.get(select.getAttribute("data-filter"));
    if (value === null || value === "") continue;
    if (Array.from(select.options).some((o) => o.value === value)) select.value = value;
    else ignored.push(`${select.parentElement.firstChild.textContent.trim().toLowerCase()} “${quoted(value)}”`);
  }
  if (ignored.length === 1) notice = `No post-mortem has ${ignored[0]}, so that filter is off. `;
  else if (ignored.length) notice = `No post-mortem has ${ignored.join(" or ")}, so those filters are off. `;
}

// `text` for the status line: cut when long, without the controls that
// would reorder what follows it.
function quoted(text) {
  const chars = [...text.replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "")];
  return chars.length > QUOTED_CHARS ? `${chars.slice(0, QUOTED_CHARS).join("")}…` : text;
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

// Fetches and shows the next results of search `mine`; a second click
// while they load does nothing.
let loading = null;
function showMore(mine) {
  if (loading && loading.mine === mine) return loading.done;
  more.disabled = true;
  const current = { mine };
  current.done = appendNext(mine).finally(() => {
    if (loading !== current) return;
    loading = null;
    more.disabled = false;
  });
  loading = current;
  return current.done;
}

async function appendNext(mine) {
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
      if (mine === generation) failed();
      return;
    }
    if (mine !== generation) return;
    list.append(item);
  }
  more.hidden = shown >= results.length;
}

function failed() {
  results = [];
  list.replaceChildren();
  more.hidden = true;
  statusLine.textContent = UNREADABLE;
}

function describe(count, term, filtered) {
  const what = count === 1 ? "1 post-mortem matches" : `${count.toLocaleString("en")} post-mortems match`;
  if (!count) {
    return filtered
      ? "Nothing matches. Try fewer or other words, or clear a filter."
      : "Nothing matches. Try fewer or other words.";
  }
  if (!term) return `${what} these filters, newest first.`;
  return `${what} “${quoted(term)}”${filtered ? " with these filters" : ""}.`;
}

async function run() {
  const mine = ++generation;
  aborter.abort();
  aborter = new AbortController();
  more.hidden = true;
  const { term, filters } = wanted();
  const filtered = Object.keys(filters).length > 0;
  remember(term, filters);
  const said = notice;
  notice = "";
  let queryWords = index.queryWords(term);
  // Punctuation, or letters alone: nothing to look up.
  const wordless = term && !queryWords.length ? `“${quoted(term)}” has no word of two letters or more to search for. ` : "";
  if (!queryWords.length && !filtered) {
    results = [];
    list.replaceChildren();
    statusLine.textContent = said + wordless;
    return;
  }
  // Whether a new build was deployed, asked beside the search so it
  // costs no time; a new one means searching again in it.
  const newer = Date.now() - checked > RECHECK_MS ? ((checked = Date.now()), index.newer().catch(() => null)) : null;
  let found;
  for (let attempt = 0; ; attempt++) {
    try {
      found = await index.search(queryWords, filters, aborter.signal);
      const latest = await newer;
      if (latest && mine === generation) {
        index = latest;
        return run();
      }
      break;
    } catch (error) {
      if (mine !== generation) return;
      if (!(error instanceof Stale) || attempt > 0) {
        failed();
        return;
      }
      // A new build was deployed since the page opened: read its index.
      try {
        index = await Index.open(root);
      } catch {
        failed();
        return;
      }
      if (mine !== generation) return;
      queryWords = index.queryWords(term);
    }
  }
  if (mine !== generation) return;
  results = found;
  shown = 0;
  list.replaceChildren();
  statusLine.textContent = said + wordless + describe(results.length, queryWords.length ? term : "", filtered);
  await showMore(mine);
}

async function start() {
  if (location.protocol === "file:") {
    unavailable("");
    return;
  }
  for (const wait of OPEN_ATTEMPTS) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      index = await Index.open(root);
      break;
    } catch {
      // Not there yet, or not at all: tried again, then said.
    }
  }
  if (!index) {
    unavailable("The search index could not be loaded.");
    return;
  }
  checked = Date.now();
  note.hidden = true;
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  form.addEventListener("reset", () => setTimeout(run));
  input.addEventListener("input", run);
  for (const select of selects) select.addEventListener("change", run);
  more.addEventListener("click", async () => {
    // The next results of a build that was replaced would be other
    // post-mortems: search again in the new one instead.
    if (Date.now() - checked > RECHECK_MS) {
      checked = Date.now();
      const latest = await index.newer().catch(() => null);
      if (latest) {
        index = latest;
        run();
        return;
      }
    }
    showMore(generation);
  });
  // `hindsight serve` says when it has built a new index.
  window.addEventListener("hindsight:search-index", () => {
    checked = 0;
    run();
  });
  restore();
  if (!input.value) input.focus();
  run();
}

start();
