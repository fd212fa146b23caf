// The search page: Pagefind's search API behind the page's own form and
// result list. Pagefind's UI bundle is not loaded (it costs more than the
// index a query needs, and waits 300 ms after each keystroke); the filters
// are written into the page at build time, so no filter file is fetched
// until a filter is used. The query and filters live in the address, so a
// search can be shared and survives a reload.

const SHOWN_AT_ONCE = 10;

const form = document.getElementById("search-form");
const input = document.getElementById("search-input");
const statusLine = document.getElementById("search-status");
const list = document.getElementById("search-results");
const more = document.getElementById("search-more");
const note = document.getElementById("search-note");
const selects = Array.from(form.querySelectorAll("select[data-filter]"));
const root = new URL(form.getAttribute("data-root") || "./", location.href);

let pagefind = null;
let generation = 0;
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

// Pagefind marks the matched words of an excerpt with <mark>; everything
// else in it is shown as text, whatever a post-mortem's author wrote.
function excerptNodes(html) {
  const parsed = new DOMParser().parseFromString(html, "text/html");
  return Array.from(parsed.body.childNodes, (node) => {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      return mark;
    }
    return document.createTextNode(node.textContent);
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
  const target = new URL(data.url, location.href);
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
  excerpt.append(...excerptNodes(data.excerpt || ""));
  li.append(heading, facts, excerpt);
  return li;
}

async function showMore(mine) {
  const next = results.slice(shown, shown + SHOWN_AT_ONCE);
  shown += next.length;
  const data = await Promise.all(next.map((r) => r.data()));
  if (mine !== generation) return;
  list.append(...data.map(resultItem));
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
  const search = await pagefind.search(term || null, {
    filters,
    sort: term ? {} : { date: "desc" },
  });
  if (mine !== generation || !search) return;
  results = search.results;
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
    pagefind = await import(new URL("pagefind/pagefind.js", root).href);
    // The search is small enough for the page's own thread; a worker would
    // be one more script to fetch before the first result.
    await pagefind.options({ baseUrl: root.pathname, noWorker: true, excerptLength: 24 });
    await pagefind.init();
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
