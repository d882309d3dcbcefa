  /* Shared by every widget: helpers and start-up (the widget's own part defines NAME, CSS, render). */

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function styleRoot(root, extra) {
    // A constructed stylesheet is not blocked by a host CSP that forbids inline styles;
    // a <style> element is the fallback for browsers without constructable stylesheets.
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS + extra);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(el("style", CSS + extra));
    }
  }

  function mount(script, label, reserve) {
    // An open shadow root where the tag stands; ``reserve`` (CSS) sets its height before the data
    // arrives, so the host page does not jump.
    var host = el("div", undefined, "feedsvc-embed");
    script.parentNode.insertBefore(host, script);
    var root = host.attachShadow({ mode: "open" });
    styleRoot(root, reserve);
    var theme = script.dataset.theme;
    var box = el("section", undefined, "w " + (theme === "dark" || theme === "light" ? theme : "auto"));
    box.setAttribute("aria-label", label);
    root.appendChild(box);
    return box;
  }

  function load(url) {
    // Only the origin this script came from, without cookies.
    return fetch(url, { credentials: "omit", mode: "cors", referrerPolicy: "strict-origin" });
  }

  function notice(box, text) {
    var note = el("p", text, "note");
    note.setAttribute("role", "status");
    box.replaceChildren(note);
  }

  function mistake(box, text) {
    // A site owner's typo, not an outage: say which attribute and what it accepts, once in the console too.
    var note = el("p", text, "mistake");
    note.setAttribute("role", "alert");
    box.classList.add("m");  // its box takes the message's height, not the height reserved for the data
    box.replaceChildren(note);
    console.warn("feedsvc " + NAME + ": " + text);
  }

  // The site's one date style, "3 December 2026", on the UTC day as the pages and iframes show it.
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"];
  function longDate(when) {
    return when.getUTCDate() + " " + MONTHS[when.getUTCMonth()] + " " + when.getUTCFullYear();
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
