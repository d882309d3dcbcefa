/* feedsvc rates ticker, public interface /embed/v1/rates.js (stable).
 * <script src="https://NEWS.EXAMPLE/embed/v1/rates.js" data-pairs="KGS/USD,KZT/USD" async></script>
 * Options: data-pairs (comma list, default every tracked currency /USD), data-theme (light|dark|auto).
 * Renders inside an open shadow root inserted where the tag stands. Talks only to the origin the
 * script was loaded from, without cookies; untrusted text is inserted with textContent only. */
(function () {
  "use strict";
  var NAME = "rates.js";
  var GAP = 6, DEFAULT_PAIRS = 5;  // DEFAULT_PAIRS: the tracked currencies, by default
  // One line per pair at any width: the widget's height is known before the rates arrive, so the
  // host page does not jump (the builder's snippet reserves the same height).
  var CSS = [
    ":host{all:initial;display:block;contain:content;margin:0 0 12px}",
    ".w{--fg:#1b1f24;--muted:#59636e;--bg:#fff;--line:#d0d7de;--up:#1a7f37;--down:#cf222e;--warn:#9a6700;",
    "font:14px/20px system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);background:var(--bg);",
    "border:1px solid var(--line);border-radius:8px;padding:6px 12px;box-sizing:border-box}",
    ".dark{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#30363d;--up:#3fb950;--down:#f85149;--warn:#d29922}",
    "@media (prefers-color-scheme:dark){.auto{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;",
    "--line:#30363d;--up:#3fb950;--down:#f85149;--warn:#d29922}}",
    "ul{list-style:none;margin:0;padding:0;display:grid;row-gap:" + GAP + "px}",
    // A stale value's "as of 29 Sep" wraps below its line when the box is narrow, never cut off.
    "li{min-height:20px}.stale{white-space:nowrap}",
    ".pair{font-weight:600}.rate{font-variant-numeric:tabular-nums}",
    ".up{color:var(--up)}.down{color:var(--down)}.flat,.note,.stale{color:var(--muted)}",
    ".note{margin:0;font-size:12px}.mistake{margin:0;color:var(--warn)}.w.m{min-height:0}",
    ".src{margin:" + GAP + "px 0 0;height:16px;font-size:12px;line-height:16px;color:var(--muted);",
    "white-space:nowrap;overflow:hidden;text-overflow:ellipsis}"
  ].join("");

  function reserve(pairs) {
    // border 2 + padding 12, and the sources line (gap + 16)
    return ".w{min-height:" + (14 + pairs * 20 + (pairs - 1) * GAP + GAP + 16) + "px}";
  }

  function change(value) {
    // change_pct arrives as a decimal string (or number); null when there is no previous rate.
    var number = value === null || value === undefined || value === "" ? NaN : Number(value);
    if (isNaN(number)) return { text: "\u2013", cls: "flat", words: "no change data" };
    var shown = Math.abs(number).toFixed(2) + "%";  // two decimals, like the API and the iframe
    if (number > 0) return { text: "\u25B2 " + shown, cls: "up", words: "up " + shown };
    if (number < 0) return { text: "\u25BC " + shown, cls: "down", words: "down " + shown };
    return { text: shown, cls: "flat", words: "unchanged" };
  }

  function readable(value) {
    // Six significant digits for reading (11792.2, 0.0000848016), never exponent notation;
    // the exact value stays in the API.
    var number = Number(value), shown = number.toPrecision(6);
    if (!isFinite(number)) return value;
    if (/e/.test(shown)) return Math.abs(number) >= 1 ? Math.round(number).toString() : value;
    return shown;
  }

  function isoDate(iso) {
    // An ISO date in the site's one date style ("" when it is not one).
    var when = new Date(iso);
    return /^\d{4}-\d{2}-\d{2}$/.test(iso) && !isNaN(when) ? longDate(when) : "";
  }

  // Where room is short: "29 Sep", with the year when it is not this one ("29 Sep 2025").
  function shortDate(iso) {
    var when = new Date(iso), short = when.getUTCDate() + " " + MONTHS[when.getUTCMonth()].slice(0, 3);
    return when.getUTCFullYear() === new Date().getUTCFullYear() ? short : short + " " + when.getUTCFullYear();
  }

  function item(rate) {
    var pair = String(rate.pair), value = readable(String(rate.rate)), delta = change(rate.change_pct);
    var li = el("li");
    // A stale value (nothing newer for a few of its source's publishing days) says how old it is.
    var date = String(rate.date || ""), shown = isoDate(date);
    var asOf = rate.stale === true && shown ? "as of " + shown : "";
    li.setAttribute("aria-label", pair + " " + value + ", " + delta.words + (asOf ? ", " + asOf : ""));
    li.title = "Source: " + String(rate.source || "unknown") + (rate.date ? ", " + String(rate.date) : "");
    li.appendChild(el("span", pair, "pair"));
    li.appendChild(document.createTextNode(" = "));
    li.appendChild(el("span", value, "rate"));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", delta.text, "chg " + delta.cls));
    if (asOf) {
      li.appendChild(document.createTextNode(" "));
      var stale = li.appendChild(el("span", "as of ", "stale"));
      stale.appendChild(el("time", shortDate(date))).dateTime = date;
    }
    return li;
  }

  function render(script) {
    var url = new URL("../../rates/latest.json", script.src);  // beside this script's /embed/v1/
    var pairs = (script.dataset.pairs || "").replace(/\s+/g, "").toUpperCase();
    if (pairs) url.searchParams.set("pairs", pairs);
    var box = mount(script, "Exchange rates", reserve(pairs ? pairs.split(",").length : DEFAULT_PAIRS));
    notice(box, "Loading rates\u2026");
    load(url.href)
      .then(function (response) {
        if (response.status === 400) {
          return response.json().then(function (body) {
            var fields = (body.error && body.error.fields) || {};
            mistake(box, fields.pairs ? "data-pairs: " + fields.pairs.join("; ") : String(body.error.message));
          });
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json().then(function (data) { show(box, data); });
      })
      .catch(function () { notice(box, "Rates are unavailable right now."); });
  }

  function show(box, data) {
    var rates = data && Array.isArray(data.rates) ? data.rates : [];
    if (!rates.length) return notice(box, "No rates yet.");
    var list = el("ul");
    rates.forEach(function (rate) { list.appendChild(item(rate)); });
    // Some banks (NBT among them) require their attribution wherever their rates are shown.
    var sources = Array.isArray(data.sources) ? data.sources.map(String).join("; ") : "";
    var credit = el("p", "Sources: " + sources, "src");
    credit.title = credit.textContent;
    box.replaceChildren(list, credit);
  }

  /* include common.js */
})();
