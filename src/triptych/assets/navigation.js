// The site's navigation: the publication's contents, written once for every page. Run
// where the page loads it (inside Furo's sidebar), it puts the contents in place, with
// links relative to this page and the entries that lead to it marked as current.
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
  let current = null;
  for (const link of tree.querySelectorAll("a[href]")) {
    const href = link.getAttribute("href");
    if (/^([a-z][a-z0-9+.-]*:|#|\/)/i.test(href)) continue;
    link.setAttribute("href", prefix + href);
    // Links in a template resolve against no page: resolved here, against this one.
    const target = new URL(prefix + href, location.href).href;
    if (!current && !href.includes("#") && target === here) current = link;
  }
  if (current) {
    current.classList.add("current");
    current.setAttribute("aria-current", "page");
    let item = current.closest("li");
    if (item) item.classList.add("current-page");
    while (item) {
      item.classList.add("current");
      const toggle = item.querySelector(":scope > input.toctree-checkbox");
      if (toggle) toggle.checked = true;
      item = item.parentElement ? item.parentElement.closest("li") : null;
    }
  }
  script.replaceWith(tree);
})();
