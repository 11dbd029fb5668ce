/* Inside the widget's iframe: tell the partner's page our height, that we loaded, and that
   someone signed. Messages go only to the origin the server vouched for (data-parent-origin,
   one of the partner's allowed origins), never to "*". Without it we stay silent, and the
   widget still works: it is a plain form. */
(function () {
  "use strict";
  var root = document.documentElement;
  var parentOrigin = root.getAttribute("data-parent-origin");
  if (!parentOrigin || window.parent === window) return;
  var action = root.getAttribute("data-action") || "";
  var last = -1;

  function post(message) {
    window.parent.postMessage(message, parentOrigin);
  }

  function measure() {
    // The body's own box: the document's scroll height would never shrink with the frame.
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      post({ type: "campaign-engine:height", height: height });
    }
  }

  function start() {
    measure();
    if (window.ResizeObserver) new ResizeObserver(measure).observe(document.body);
    window.addEventListener("load", measure);
    post({ type: "campaign-engine:loaded", action: action });
    if (root.hasAttribute("data-signed")) post({ type: "campaign-engine:signed", action: action });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
