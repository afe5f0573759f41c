// dalil: a little progressive enhancement. The pages work without it.
(() => {
  "use strict";
  const form = document.getElementById("search-form");
  const box = document.getElementById("q");

  // The empty page focuses the box (autofocus). A results page does too, with the caret
  // after the query, where that opens no on-screen keyboard over the results.
  if (box && box.value && document.activeElement !== box && matchMedia("(pointer: fine)").matches) {
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  if (form && box) {
    // Shareable, short URLs: leave empty fields out of the query string.
    form.addEventListener("submit", () => {
      for (const el of form.elements) {
        if (el.name && el.value === "" && !el.disabled) el.disabled = true;
      }
    });
    // Coming back through the history (bfcache) must not leave fields disabled.
    window.addEventListener("pageshow", () => {
      for (const el of form.elements) el.disabled = false;
    });
    // The mode switch applies at once when there is a query.
    for (const el of form.elements) {
      if (el.name === "mode") {
        el.addEventListener("change", () => {
          if (box.value.trim()) form.requestSubmit();
        });
      }
    }
  }

  // "/" jumps to the search box.
  document.addEventListener("keydown", (event) => {
    const tag = document.activeElement ? document.activeElement.tagName : "";
    if (event.key === "/" && box && !/^(INPUT|SELECT|TEXTAREA)$/.test(tag)) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // "Back to results" returns to the search that led here.
  const back = document.querySelector("a[data-back]");
  if (back && document.referrer) {
    const from = new URL(document.referrer);
    if (from.origin === location.origin && from.pathname === "/") {
      back.href = from.pathname + from.search;
    }
  }

  // Wide screens keep the filter panel open; help browsers without ::details-content.
  const panel = document.getElementById("filter-panel");
  if (panel && !CSS.supports("selector(::details-content)") && matchMedia("(min-width: 52rem)").matches) {
    panel.open = true;
  }
})();
