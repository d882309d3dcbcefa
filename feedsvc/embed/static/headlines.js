/* feedsvc headlines widget, public interface /embed/v1/headlines.js (stable).
 * <script src="https://NEWS.EXAMPLE/embed/v1/headlines.js" data-country="kazakhstan" async></script>
 * Options: data-country, data-tag, data-limit (1-100), data-theme (light|dark|auto),
 * data-show-date (default true), data-show-summary (default false).
 * Renders inside an open shadow root inserted where the tag stands. Talks only to the origin the
 * script was loaded from, without cookies; untrusted text is inserted with textContent only. */
(function () {
  "use strict";
  var NAME = "headlines.js";
  var CSS = [
    ":host{all:initial;display:block;contain:content;margin:0 0 .75rem}",
    ".w{--fg:#1b1f24;--muted:#59636e;--bg:#fff;--line:#d0d7de;--link:#0a58ca;",
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);background:var(--bg);",
    "border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;box-sizing:border-box}",
    ".dark{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#30363d;--link:#58a6ff}",
    "@media (prefers-color-scheme:dark){.auto{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;",
    "--line:#30363d;--link:#58a6ff}}",
    "ol{list-style:none;margin:0;padding:0}",
    "li{padding:.45rem 0;border-top:1px solid var(--line)}li:first-child{border-top:0}",
    "a{color:var(--link);text-decoration:none;font-weight:600}a:hover,a:focus{text-decoration:underline}",
    "time,.note{display:block;color:var(--muted);font-size:.8em}",
    "p{margin:.2rem 0 0;color:var(--fg)}",
    "h2{margin:0 0 .35rem;font-size:.8em;text-transform:uppercase;letter-spacing:.04em}",
    "h2 a{color:var(--muted);font-weight:600}"
  ].join("");

  function flag(value, fallback) {
    if (value === undefined || value === null || value === "") return fallback;
    return !/^(false|0|no|off)$/i.test(value);
  }

  function el(tag, text) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function isHttp(url) {
    try { return /^https?:$/.test(new URL(url).protocol); } catch (e) { return false; }
  }

  function styleRoot(root) {
    // A constructed stylesheet is not blocked by a host CSP that forbids inline styles;
    // a <style> element is the fallback for browsers without constructable stylesheets.
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(el("style", CSS));
    }
  }

  function mount(script, label) {
    var host = el("div");
    host.className = "feedsvc-embed";
    script.parentNode.insertBefore(host, script);
    var root = host.attachShadow({ mode: "open" });
    styleRoot(root);
    var box = el("section");
    var theme = script.dataset.theme;
    box.className = "w " + (theme === "dark" || theme === "light" ? theme : "auto");
    box.setAttribute("aria-label", label);
    root.appendChild(box);
    return box;
  }

  function notice(box, text) {
    var note = el("p", text);
    note.className = "note";
    note.setAttribute("role", "status");
    box.replaceChildren(note);
  }

  function link(url, text) {
    // Only http(s) URLs become links: a javascript: URL in the data stays inert text.
    var node = el(isHttp(url) ? "a" : "span", text);
    if (node.tagName === "A") {
      node.href = url;
      node.target = "_blank";
      node.rel = "noopener";
    }
    return node;
  }

  function item(entry, showDate, showSummary) {
    var li = el("li");
    li.appendChild(link(entry.url, String(entry.title || entry.url || "")));
    var when = new Date(entry.date_published);
    if (showDate && !isNaN(when)) {
      var time = el("time", when.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }));
      time.dateTime = entry.date_published;
      li.appendChild(time);
    }
    if (showSummary && entry.summary) li.appendChild(el("p", String(entry.summary)));
    return li;
  }

  function feedUrl(script) {
    var d = script.dataset;
    var country = encodeURIComponent((d.country || "all").trim().toLowerCase());
    // The feed lives beside this script: <base>/embed/v1/headlines.js -> <base>/feeds/...
    var url = new URL("../../feeds/" + country + ".json", script.src);
    var limit = parseInt(d.limit, 10);
    url.searchParams.set("limit", String(limit >= 1 && limit <= 100 ? limit : 5));
    if (d.tag) url.searchParams.set("tag", d.tag.trim().toLowerCase());
    return url.href;
  }

  function render(script) {
    var d = script.dataset;
    var box = mount(script, "Headlines");
    notice(box, "Loading headlines\u2026");
    fetch(feedUrl(script), { credentials: "omit", mode: "cors", referrerPolicy: "strict-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (feed) {
        var items = Array.isArray(feed.items) ? feed.items : [];
        var title = String(feed.title || "Headlines");
        box.setAttribute("aria-label", title);
        if (!items.length) return notice(box, "No headlines yet.");
        var heading = el("h2");
        heading.appendChild(link(feed.home_page_url, title));
        var list = el("ol");
        var showDate = flag(d.showDate, true);
        var showSummary = flag(d.showSummary, false);
        items.forEach(function (entry) { list.appendChild(item(entry, showDate, showSummary)); });
        box.replaceChildren(heading, list);
      })
      .catch(function () { notice(box, "Headlines are unavailable right now."); });
  }

  function start(script) {
    if (!script || script.hasAttribute("data-feedsvc-done")) return;
    script.setAttribute("data-feedsvc-done", "");
    render(script);
  }

  // currentScript is only set while this file runs; several async tags each run it once, and a
  // loader that leaves currentScript null still gets every unprocessed tag.
  var current = document.currentScript;
  if (current) start(current);
  else {
    var tags = document.querySelectorAll("script[src]");
    for (var i = 0; i < tags.length; i++) {
      if (tags[i].src.split("?")[0].endsWith("/embed/v1/" + NAME)) start(tags[i]);
    }
  }
})();
