/* feedsvc headlines widget, public interface /embed/v1/headlines.js (stable).
 * <script src="https://NEWS.EXAMPLE/embed/v1/headlines.js" data-country="kazakhstan" async></script>
 * Options: data-country, data-tag, data-limit (1-100), data-theme (light|dark|auto),
 * data-show-date (default true), data-show-summary (default false).
 * Renders inside an open shadow root inserted where the tag stands. Talks only to the origin the
 * script was loaded from, without cookies; untrusted text is inserted with textContent only. */
(function () {
  "use strict";
  var NAME = "headlines.js";
  // Fixed row heights (titles and summaries clamped to two lines): the widget reserves its height
  // before the data arrives, so the host page does not jump.
  var CSS = [
    ":host{all:initial;display:block;contain:content;margin:0 0 12px}",
    ".w{--fg:#1b1f24;--muted:#59636e;--bg:#fff;--line:#d0d7de;--link:#0a58ca;--warn:#9a6700;",
    "font:15px/20px system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);background:var(--bg);",
    "border:1px solid var(--line);border-radius:8px;padding:12px 16px;box-sizing:border-box}",
    ".dark{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#30363d;--link:#58a6ff;--warn:#d29922}",
    "@media (prefers-color-scheme:dark){.auto{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;",
    "--line:#30363d;--link:#58a6ff;--warn:#d29922}}",
    "ol{list-style:none;margin:0;padding:0}",
    // One rhythm for one- and two-line titles: the date 4px under the title, the pair centred in the row.
    "li{box-sizing:border-box;padding:5px 0;border-top:1px solid var(--line);overflow:hidden;",
    "display:flex;flex-direction:column;justify-content:center}",
    "li:first-child{border-top-color:transparent}",
    "a{color:var(--link);text-decoration:none;font-weight:600}a:hover,a:focus{text-decoration:underline}",
    "li>a,li>span{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;max-height:40px;",
    "flex:none;overflow:hidden;overflow-wrap:anywhere}li>time{margin-top:4px}",
    "time,.note{display:block;color:var(--muted);font-size:12px;line-height:16px;height:16px}",
    ".note{height:auto;margin:0}.mistake{margin:0;color:var(--warn);font-size:14px;line-height:20px}",
    ".w.m{min-height:0}",  // a mistake's message takes the space it needs, not the list's
    ".sum{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;margin:4px 0 0;",
    "font-size:13px;line-height:18px;height:36px;overflow:hidden;color:var(--fg)}",
    "h2{margin:0 0 8px;height:20px;font-size:12px;line-height:20px;text-transform:uppercase;",
    "letter-spacing:.04em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    "h2 a{color:var(--muted);font-weight:600}"
  ].join("");
  var MAX = 100;

  function flag(value, fallback) {
    if (value === undefined || value === null || value === "") return fallback;
    return !/^(false|0|no|off)$/i.test(value);
  }

  function isHttp(url) {
    try { return /^https?:$/.test(new URL(url).protocol); } catch (e) { return false; }
  }

  function reserve(options) {
    // border 2 + padding 24 + heading 28, then one fixed-height row per headline asked for
    var row = 55 + (options.showDate ? 16 : 0) + (options.showSummary ? 40 : 0);
    return "li{height:" + row + "px}.w{min-height:" + (54 + row * options.limit) + "px}";
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
      var time = el("time", longDate(when));
      time.dateTime = entry.date_published;
      li.appendChild(time);
    }
    if (showSummary && entry.summary) li.appendChild(el("p", String(entry.summary), "sum"));
    return li;
  }

  function readOptions(d) {
    var limit = d.limit === undefined || d.limit === "" ? 5 : Number(d.limit);
    return { limit: limit, showDate: flag(d.showDate, true), showSummary: flag(d.showSummary, false),
      badLimit: !(limit >= 1 && limit <= MAX && Math.floor(limit) === limit) };
  }

  function feedUrl(script, options) {
    var d = script.dataset;
    var country = encodeURIComponent((d.country || "all").trim().toLowerCase());
    // The feed lives beside this script: <base>/embed/v1/headlines.js -> <base>/feeds/...
    var url = new URL("../../feeds/" + country + ".json", script.src);
    url.searchParams.set("limit", String(options.limit));
    if (d.tag) url.searchParams.set("tag", d.tag.trim().toLowerCase());
    return url.href;
  }

  function explain(box, script, response) {
    // 404: the country is unknown (/embed/v1/options.json lists them); 400: a field names itself.
    if (response.status === 404) {
      return load(new URL("options.json", script.src).href)
        .then(function (r) { return r.json(); })
        .then(function (options) {
          mistake(box, "data-country: no country \u201c" + (script.dataset.country || "") + "\u201d; allowed: " +
            options.countries.join(", "));
        });
    }
    return response.json().then(function (body) {
      var fields = (body.error && body.error.fields) || {};
      var name = Object.keys(fields)[0];
      mistake(box, name ? "data-" + name + ": " + fields[name].join("; ") : String(body.error.message));
    });
  }

  function render(script) {
    var d = script.dataset;
    var options = readOptions(d);
    var box = mount(script, "Headlines", reserve(options));
    if (options.badLimit) return mistake(box, "data-limit: must be a whole number from 1 to " + MAX);
    notice(box, "Loading headlines\u2026");
    load(feedUrl(script, options))
      .then(function (response) {
        if (response.status >= 400 && response.status < 500 && response.status !== 429) {
          return explain(box, script, response);
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json().then(function (feed) { show(box, feed, options); });
      })
      .catch(function () { notice(box, "Headlines are unavailable right now."); });
  }

  function show(box, feed, options) {
    var items = Array.isArray(feed.items) ? feed.items : [];
    var title = String(feed.title || "Headlines");
    box.setAttribute("aria-label", title);
    if (!items.length) return notice(box, "No headlines yet.");
    var heading = el("h2");
    heading.appendChild(link(feed.home_page_url, title));
    var list = el("ol");
    items.forEach(function (entry) { list.appendChild(item(entry, options.showDate, options.showSummary)); });
    box.replaceChildren(heading, list);
  }

  /* include common.js */
})();
