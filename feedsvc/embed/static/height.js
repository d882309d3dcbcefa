/* Runs inside our iframe pages: tells the parent page how tall the content is.
 * With "#?secret=S" in the frame's URL (WordPress's oEmbed embeds) it sends WordPress's message
 *   {message: "height", value: H, secret: S}
 * and otherwise the generic one that /embed/v1/frame.js (or any host script) listens for:
 *   {type: "feedsvc:height", height: H, href: location.href}
 * It answers a parent's {message: "ready"} (WordPress) or {type: "feedsvc:ready"} by sending again. */
(function () {
  "use strict";
  var match = /[#&?]secret=([A-Za-z0-9]+)/.exec(window.location.hash);
  var secret = match ? match[1] : null;
  var last = -1;

  function height() {
    return Math.ceil(document.body.getBoundingClientRect().height);
  }

  function send(force) {
    var value = height();
    if (window.parent === window || (value === last && !force)) return;
    last = value;
    // A height is no secret: any parent may read it ("*"), as in WordPress's own embeds.
    if (secret) window.parent.postMessage({ message: "height", value: value, secret: secret }, "*");
    else window.parent.postMessage({ type: "feedsvc:height", height: value, href: window.location.href }, "*");
  }

  function start() {
    window.addEventListener("message", function (event) {
      var data = event.data || {};
      if (event.source !== window.parent) return;
      if ((data.message === "ready" && data.secret === secret) || data.type === "feedsvc:ready") send(true);
    });
    if (window.ResizeObserver) new ResizeObserver(function () { send(false); }).observe(document.body);
    else window.addEventListener("resize", function () { send(false); });
    send(true);
  }

  // Only once the stylesheet has applied: a height measured before it would resize the frame twice,
  // and each resize moves the host page below the frame.
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
})();
