// Progressive enhancement only: every page reads and works without this file.
(function () {
  "use strict";
  // A filter form sends blank fields as `name=`: leave them out, so the address holds only
  // the filters that apply (the page reads the same either way).
  document.querySelectorAll("form.filters").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input, select").forEach(function (field) {
        if ((field.type === "text" || field.type === "search" || field.tagName === "SELECT") && !field.value) {
          field.disabled = true;
        }
      });
      // Re-enabled after the browser has read the form (and when the page comes back from the
      // back/forward cache).
      setTimeout(function () { form.querySelectorAll(":disabled").forEach(function (f) { f.disabled = false; }); }, 0);
    });
  });
  // A quote cut into pieces (it crosses another) carries its id on the first piece only, which
  // CSS :target marks; mark the other pieces too.
  function markTarget() {
    document.querySelectorAll("mark.is-target").forEach(function (m) { m.classList.remove("is-target"); });
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) { return; }
    document.querySelectorAll("mark[data-span]").forEach(function (m) {
      if (m.getAttribute("data-span") === id) { m.classList.add("is-target"); }
    });
  }
  window.addEventListener("hashchange", markTarget);
  markTarget();
  // Back and forward show a page's filters as its address has them, not as they were last
  // edited (a page restored from the back/forward cache keeps its edits: undo them).
  window.addEventListener("pageshow", function (event) {
    document.querySelectorAll("form.filters").forEach(function (form) {
      form.querySelectorAll(":disabled").forEach(function (f) { f.disabled = false; });
      if (event.persisted) { form.reset(); }
    });
  });
}());
