// Starts ReDoc on the OpenAPI document the page names. A file, not an inline script, so the
// docs page's Content-Security-Policy can allow scripts from this server and nothing else.
"use strict";
(function () {
  const holder = document.getElementById("redoc");
  Redoc.init(holder.dataset.openapiUrl, {}, holder);
})();
