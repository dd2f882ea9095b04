// The site's navigation: the publication's contents, written once for every page. Run
// where the page loads it (inside Furo's sidebar, or where a theme's template asked for
// Sphinx's toctree()), it puts the contents in place, with links relative to this page
// and the entries that lead to it marked as current; with "collapse", as Sphinx's
// toctree(collapse=True), only the branches that lead to this page keep their entries.
(function () {
  "use strict";
  const contents = /* contents */ null;
  const script = document.currentScript;
  if (!contents || !script) return;
  const root = document.documentElement.dataset.content_root || "";
  const prefix = (root === "./" ? "" : root) + contents.base;
  const holder = document.createElement("template");
  holder.innerHTML = contents.tree;
  const tree = holder.content;
  const here = location.href.split("#")[0];
  // Written from the root's page, which Sphinx marked as the current one.
  for (const marked of tree.querySelectorAll(".current")) marked.classList.remove("current");
  let current = null;
  const toHere = [];
  for (const link of tree.querySelectorAll("a[href]")) {
    const href = link.getAttribute("href");
    if (/^([a-z][a-z0-9+.-]*:|#|\/)/i.test(href)) continue;
    link.setAttribute("href", prefix + href);
    // Links in a template resolve against no page: resolved here, against this one.
    const target = new URL(prefix + href, location.href).href;
    if (target.split("#")[0] === here) toHere.push(link);
    if (!current && !href.includes("#") && target === here) current = link;
  }
  if (current) {
    current.classList.add("current");
    current.setAttribute("aria-current", "page");
    let item = current.closest("li");
    if (item) item.classList.add("current-page");
    while (item) {
      item.classList.add("current");
      if (item.parentElement) item.parentElement.classList.add("current");
      const toggle = item.querySelector(":scope > input.toctree-checkbox");
      if (toggle) toggle.checked = true;
      item = item.parentElement ? item.parentElement.closest("li") : null;
    }
  }
  if (contents.collapse) {
    // Sphinx keeps the entries under an entry that leads to this page or to a place in it.
    const kept = new Set();
    for (const link of toHere) {
      for (let item = link.closest("li"); item; item = item.parentElement.closest("li")) {
        kept.add(item);
      }
    }
    for (const list of tree.querySelectorAll("li > ul")) {
      if (!kept.has(list.parentElement)) list.remove();
    }
  }
  script.replaceWith(tree);
})();
