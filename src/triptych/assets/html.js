/* triptych: glossary previews on the site.
 *
 * A term link names its definition with aria-describedby; the definition waits,
 * hidden, after the article. This script shows it as a tooltip beside the link,
 * inside the viewport: on hover, on keyboard focus and on a first tap (a second
 * tap on the term, or a tap on the preview, follows the link). Escape hides it.
 * Without this script the links work as plain links.
 */
(() => {
  "use strict";

  const TERM_LINK = "a.triptych-term[aria-describedby]";
  const GAP = 6; // px between a link and its preview
  const MARGIN = 8; // px kept free at the edges of the viewport
  const HIDE_DELAY = 300; // ms to move the pointer from a link onto its preview

  let link = null; // the link whose preview is shown
  let preview = null;
  let tapped = null; // the link a first tap showed: the next tap on it follows it
  let pointerType = ""; // of the last press: "mouse", "touch", "pen", or "" for keys
  let pointerY = null; // where the pointer entered the link, to pick the line it is on
  let hideTimer = 0;

  const termLink = (target) =>
    target instanceof Element ? target.closest(TERM_LINK) : null;
  const inPreview = (target) =>
    preview !== null && target instanceof Node && preview.contains(target);

  function place() {
    const lines = Array.from(link.getClientRects());
    if (lines.length === 0) {
      hide();
      return;
    }
    const line =
      lines.find((r) => pointerY !== null && r.top <= pointerY && pointerY <= r.bottom) ||
      lines[0];
    const viewport = document.documentElement;
    const width = viewport.clientWidth;
    const height = viewport.clientHeight;
    // The stylesheet caps the width at the viewport's, scroll bar excluded.
    preview.style.setProperty("--triptych-viewport-width", `${width}px`);
    preview.style.setProperty("--triptych-viewport-height", `${height}px`);
    const box = preview.getBoundingClientRect();
    const left = Math.max(MARGIN, Math.min(line.left, width - MARGIN - box.width));
    let top = line.bottom + GAP;
    if (top + box.height > height - MARGIN && line.top - GAP - box.height >= MARGIN) {
      top = line.top - GAP - box.height;
    }
    // Where neither side has room (a short screen, or a line scrolled out of it),
    // the preview stays on the screen, over the text rather than past its edge.
    top = Math.max(MARGIN, Math.min(top, height - MARGIN - box.height));
    preview.style.left = `${left}px`;
    preview.style.top = `${top}px`;
  }

  function show(target, y) {
    clearTimeout(hideTimer);
    if (target === link) return;
    hide();
    const element = document.getElementById(target.getAttribute("aria-describedby"));
    if (element === null) return;
    // Out of any positioned or transformed ancestor the theme may have.
    if (element.parentElement !== document.body) document.body.append(element);
    link = target;
    preview = element;
    pointerY = y;
    preview.hidden = false;
    place();
  }

  function hide() {
    clearTimeout(hideTimer);
    if (preview !== null) preview.hidden = true;
    link = preview = tapped = null;
  }

  function hideSoon() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, HIDE_DELAY);
  }

  document.addEventListener(
    "pointerdown",
    (event) => {
      pointerType = event.pointerType;
      if (pointerType !== "mouse" && !termLink(event.target) && !inPreview(event.target)) {
        hide();
      }
    },
    true,
  );

  document.addEventListener("pointerover", (event) => {
    if (event.pointerType !== "mouse") return;
    const target = termLink(event.target);
    if (target !== null) show(target, event.clientY);
    else if (inPreview(event.target)) clearTimeout(hideTimer);
  });

  document.addEventListener("pointerout", (event) => {
    if (event.pointerType !== "mouse" || link === null) return;
    const to = event.relatedTarget;
    const staying = to instanceof Node && (link.contains(to) || preview.contains(to));
    if (!staying && document.activeElement !== link) hideSoon();
  });

  document.addEventListener("focusin", (event) => {
    const target = termLink(event.target);
    if (target !== null) show(target, null);
  });

  document.addEventListener("focusout", (event) => {
    if (link !== null && event.target === link && !link.matches(":hover")) hideSoon();
  });

  document.addEventListener("keydown", (event) => {
    pointerType = "";
    if (event.key === "Escape" && link !== null) hide();
  });

  document.addEventListener("click", (event) => {
    // A click from a key or a screen reader has no count: it follows the link at once.
    const touch = event.detail > 0 && (pointerType === "touch" || pointerType === "pen");
    if (!touch) return;
    if (inPreview(event.target)) {
      link.click();
      return;
    }
    const target = termLink(event.target);
    if (target === null || target === tapped) return;
    event.preventDefault();
    show(target, event.clientY);
    tapped = target;
  });

  const follow = () => {
    if (link !== null) place();
  };
  window.addEventListener("scroll", follow, { capture: true, passive: true });
  window.addEventListener("resize", follow, { passive: true });
})();
