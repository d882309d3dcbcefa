/* feedsvc iframe loader, public interface /embed/v1/frame.js (stable).
 * <iframe src="https://NEWS.EXAMPLE/embed/kazakhstan" title="Headlines" width="100%" height="379"
 *   style="border:0"></iframe><script src="https://NEWS.EXAMPLE/embed/v1/frame.js" async></script>
 * Sets the height of every iframe of ours on the page to its content's, from the message each frame
 * sends: {type: "feedsvc:height", height: H}. Listens only to frames of the origin it was loaded from. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.feedsvcFrames) return;  // one listener per page, however many snippets
  window.feedsvcFrames = true;
  var origin = new URL(script.src).origin;

  function ours() {
    return Array.prototype.filter.call(document.querySelectorAll("iframe[src]"), function (frame) {
      try { return new URL(frame.src, document.baseURI).origin === origin; } catch (e) { return false; }
    });
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== origin || !data || data.type !== "feedsvc:height") return;
    var height = parseInt(data.height, 10);
    if (!(height > 0 && height < 20000)) return;
    ours().forEach(function (frame) {
      if (frame.contentWindow === event.source && String(frame.height) !== String(height)) frame.height = height;
    });
  });
  // Frames that loaded before this script send their height again when asked.
  ours().forEach(function (frame) {
    // "*": a frame still loading is about:blank, and the ping carries nothing private.
    if (frame.contentWindow) frame.contentWindow.postMessage({ type: "feedsvc:ready" }, "*");
  });
})();
