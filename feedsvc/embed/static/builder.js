/* The /embed builder: live preview and copy buttons. The page works without it (form GET). */
(function () {
  "use strict";
  var form = document.getElementById("builder");
  if (!form) return;
  var status = document.getElementById("copy-status");
  var pending = null;

  function showScriptPreview() {
    var box = document.getElementById("preview-script");
    var data = new FormData(form);
    var script = document.createElement("script");
    script.src = form.dataset.script;
    script.async = true;
    script.dataset.country = data.get("country");
    script.dataset.limit = data.get("limit");
    script.dataset.theme = data.get("theme");
    if (data.get("tag")) script.dataset.tag = data.get("tag");
    box.replaceChildren(script);
    var ticker = document.createElement("script");
    ticker.src = form.dataset.ticker;
    ticker.async = true;
    ticker.dataset.theme = data.get("theme");
    var tickerBox = document.getElementById("preview-ticker");
    if (tickerBox.dataset.pairs) ticker.dataset.pairs = tickerBox.dataset.pairs;  // the server's choice
    tickerBox.replaceChildren(ticker);
  }

  function refresh() {
    // The server renders the snippets (one source of truth); take them from its answer.
    if (!form.checkValidity()) return;
    var query = new URLSearchParams(new FormData(form));
    ["tag", "ticker"].forEach(function (name) { if (!query.get(name)) query.delete(name); });
    var url = form.action + "?" + query.toString();
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      ["script", "iframe", "ticker", "ticker_iframe"].forEach(function (key) {
        var fresh = page.getElementById("snippet-" + key);
        if (fresh) document.getElementById("snippet-" + key).value = fresh.value;
      });
      var pairs = page.getElementById("preview-ticker");
      if (pairs) document.getElementById("preview-ticker").dataset.pairs = pairs.dataset.pairs;
      ["orientation-foreign-first", "orientation-local-first"].forEach(function (id) {
        var fresh = page.getElementById(id);  // the labels name the chosen country's currency
        if (fresh) document.getElementById(id).textContent = fresh.textContent;
      });
      ["preview-frame", "preview-ticker-frame"].forEach(function (id) {
        var fresh = page.getElementById(id), frame = document.getElementById(id);
        if (!fresh) return;
        frame.height = fresh.getAttribute("height");
        if (frame.getAttribute("src") !== fresh.getAttribute("src")) frame.src = fresh.getAttribute("src");
      });
      history.replaceState(null, "", url);
      showScriptPreview();
    }).catch(function () { status.textContent = "Could not update the preview."; });
  }

  function copy(event) {
    var area = document.getElementById(event.currentTarget.dataset.copy);
    var done = function () { status.textContent = "Copied."; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(area.value).then(done, function () { area.select(); });
    } else {
      area.select();
      status.textContent = "Selected: press Ctrl+C (\u2318C) to copy.";
    }
  }

  form.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(refresh, 250);
  });
  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    button.hidden = false;
    button.addEventListener("click", copy);
  });
  showScriptPreview();
})();
