/* triptych: one search result per page.
 *
 * Sphinx's search lists a page once for each way it matched: its text, a glossary
 * term, an index entry. A reader sees the same page twice ("Glossary", "Glossary").
 * Each page is kept once, with its best-scoring match: the one Sphinx shows first,
 * whose anchor leads to the term or the entry when that is what matched.
 */
(() => {
  "use strict";

  if (typeof Search === "undefined" || typeof Search._performSearch !== "function") return;
  const performSearch = Search._performSearch;
  Search._performSearch = (...query) => {
    // Results as [docname, title, anchor, description, score, filename, kind];
    // Sphinx shows the last one first.
    const results = performSearch(...query);
    const pages = new Set();
    const kept = [];
    for (let position = results.length - 1; position >= 0; position -= 1) {
      const page = results[position][0];
      if (pages.has(page)) continue;
      pages.add(page);
      kept.push(results[position]);
    }
    return kept.reverse();
  };
})();
