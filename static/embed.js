/* campaign-engine's widget loader: <div data-campaign-engine-action="SLUG" data-partner="P"
   data-key="K"></div> becomes an iframe of the widget. It forwards this page's address
   (origin and path only), `source` and `utm_*`; resizes the iframe from its messages, checked
   by origin and by frame; and raises campaign-engine:loaded / campaign-engine:signed on the
   element. Without it, the div's own content (a link to the action) stays. No dependencies. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var origin = new URL(script.src).origin;
  var locales = ["en", "fr", "es", "ar", "zh-Hans", "ru"];
  var frames = [];
  var here = new URL(location.href);

  function localeOf(box) {
    var asked = box.getAttribute("data-locale") || document.documentElement.lang || "";
    if (locales.indexOf(asked) >= 0) return asked;
    asked = asked.split("-")[0].toLowerCase();
    if (asked === "zh") return "zh-Hans";
    return locales.indexOf(asked) >= 0 ? asked : "en";
  }

  function mount(box) {
    if (box.getAttribute("data-campaign-engine-mounted")) return;
    box.setAttribute("data-campaign-engine-mounted", "1");
    var slug = box.getAttribute("data-campaign-engine-action") || "";
    var partner = box.getAttribute("data-partner") || "";
    var query = new URLSearchParams();
    query.set("partner", partner);
    query.set("key", box.getAttribute("data-key") || "");
    // The link that brought the reader knows best where they came from.
    query.set("source", here.searchParams.get("source") || box.getAttribute("data-source") || "");
    here.searchParams.forEach(function (value, name) {
      if (/^utm_(source|medium|campaign|term|content)$/.test(name)) query.set(name, value);
    });
    query.set("page", here.origin + here.pathname);
    query.set("origin", here.origin);
    var frame = document.createElement("iframe");
    frame.src = origin + "/" + localeOf(box) + "/embed/" + encodeURIComponent(slug) + "?" + query;
    frame.title = box.getAttribute("data-title") || "Sign the urgent action";
    frame.setAttribute("loading", "lazy");
    frame.style.cssText = "display:block;width:100%;height:480px;border:0";
    box.textContent = "";
    box.appendChild(frame);
    frames.push({ frame: frame, box: box, detail: { action: slug, partner: partner } });
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data) return;
    for (var i = 0; i < frames.length; i++) {
      var one = frames[i];
      if (one.frame.contentWindow !== event.source) continue;
      var type = event.data.type;
      if (type === "campaign-engine:height" && event.data.height > 0) {
        one.frame.style.height = Math.min(event.data.height, 10000) + "px";
      } else if (type === "campaign-engine:loaded" || type === "campaign-engine:signed") {
        one.box.dispatchEvent(new CustomEvent(type, { bubbles: true, detail: one.detail }));
      }
    }
  });

  function mountAll() {
    var boxes = document.querySelectorAll("[data-campaign-engine-action]");
    for (var i = 0; i < boxes.length; i++) mount(boxes[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
