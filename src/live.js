// hindsight serve: reloads the page when a new version of the site is in
// place, and shows the current findings in a small overlay.
(function () {
  "use strict";
  var script = document.currentScript;
  var generation = script.getAttribute("data-generation");
  var dataEl = document.getElementById("hindsight-overlay");
  var data = {};
  try {
    data = JSON.parse(dataEl ? dataEl.textContent : "{}");
  } catch (e) {
    data = {};
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    // textContent only: messages quote the post-mortem, which is never markup.
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function count(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function overlay() {
    var files = (data.files || []).filter(function (f) { return f.findings.length; });
    var problems = data.problems || [];
    var box = el("aside", {
      id: "hindsight-findings",
      "aria-label": "Findings",
      style: "position:fixed;right:12px;bottom:12px;z-index:2147483647;max-width:min(560px,calc(100vw - 24px));max-height:60vh;overflow:auto;background:#fff;color:#1a1a1a;border:1px solid #c8c8c8;border-radius:8px;box-shadow:0 4px 18px rgba(0,0,0,.18);font:13px/1.45 system-ui,sans-serif;"
    });
    var details = el("details", {});
    var worst = problems.length || data.errors ? "#b3261e" : data.warnings ? "#8a5a00" : "#1e6b35";
    var summary = el("summary", {
      style: "cursor:pointer;padding:8px 12px;font-weight:600;color:" + worst + ";"
    }, (problems.length ? count(problems.length, "site problem") + " · " : "") +
      count(data.errors || 0, "error") + " · " + count(data.warnings || 0, "warning") + " in the archive");
    details.appendChild(summary);
    var body = el("div", { style: "padding:0 12px 10px;" });
    problems.forEach(function (p) {
      body.appendChild(el("p", { style: "margin:6px 0;color:#b3261e;" }, p));
    });
    files.forEach(function (f) {
      body.appendChild(el("h2", { style: "font-size:13px;margin:10px 0 4px;" }, f.file));
      var list = el("ul", { style: "margin:0;padding-left:18px;" });
      f.findings.forEach(function (x) {
        var item = el("li", { style: "margin:3px 0;" });
        item.appendChild(el("span", {
          style: "font-weight:600;color:" + (x.level === "error" ? "#b3261e" : "#8a5a00") + ";"
        }, x.level + " "));
        item.appendChild(el("code", {}, f.file + ":" + x.line + ":" + x.column));
        item.appendChild(document.createTextNode(" " + x.message + " [" + x.rule + "]"));
        if (x.hint) item.appendChild(el("div", { style: "color:#555;" }, x.hint));
        list.appendChild(item);
      });
      body.appendChild(list);
    });
    if (!problems.length && !files.length) {
      body.appendChild(el("p", { style: "margin:6px 0;" }, "Nothing to fix in this post-mortem or the files you changed."));
    }
    details.appendChild(body);
    // Open by default when the page's own file or a changed one needs work.
    details.open = problems.length > 0 || files.length > 0;
    box.appendChild(details);
    document.body.appendChild(box);
  }

  if (document.body) overlay();
  else document.addEventListener("DOMContentLoaded", overlay);

  var source = new EventSource(script.getAttribute("data-events"));
  source.addEventListener("reload", function (event) {
    if (event.data !== generation) {
      source.close();
      location.reload();
    }
  });
  // A new search index (built once saves pause): the search page reads it.
  var index = null;
  source.addEventListener("search", function (event) {
    if (index !== null && event.data !== index) window.dispatchEvent(new Event("hindsight:search-index"));
    index = event.data;
  });
})();
