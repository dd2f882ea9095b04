// The preview's script in every page: reload when the site is rebuilt, show the builds' problems.
(() => {
  "use strict";
  const socketUrl = `ws://${location.host}/_triptych/ws`;
  let overlay = null;
  let dismissed = "";
  let connectedBefore = false;

  function problemsOf(state) {
    const lines = [];
    for (const [edition, part] of [["site", state.site], ["PDF and EPUB", state.books]]) {
      if (!part) continue;
      if (part.error) lines.push({ edition, text: part.error, error: true });
      for (const text of part.problems || []) lines.push({ edition, text, error: /: (ERROR|error):/.test(text) });
    }
    return lines;
  }

  function show(state) {
    const lines = problemsOf(state);
    const key = JSON.stringify(lines);
    if (!lines.length || key === dismissed) {
      if (overlay) overlay.hidden = true;
      return;
    }
    if (!overlay) {
      overlay = document.createElement("aside");
      overlay.id = "triptych-preview-problems";
      overlay.setAttribute("role", "status");
      overlay.setAttribute("aria-label", "Build problems");
      overlay.style.cssText = [
        "position:fixed", "inset:auto 0 0 0", "max-height:45vh", "overflow:auto", "z-index:2147483647",
        "margin:0", "padding:0.75rem 1rem", "background:#1f1f1f", "color:#f5f5f5",
        "font:13px/1.45 ui-monospace,monospace", "border-top:4px solid #d33",
      ].join(";");
      document.body.append(overlay);
    }
    overlay.replaceChildren();
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "Hide";
    close.style.cssText = "float:right;font:inherit;padding:0.1rem 0.6rem";
    close.addEventListener("click", () => { dismissed = key; overlay.hidden = true; });
    const heading = document.createElement("strong");
    heading.textContent = `${lines.length} problem${lines.length > 1 ? "s" : ""} in the last build`;
    const list = document.createElement("ul");
    list.style.cssText = "margin:0.5rem 0 0;padding-left:1.2rem";
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = `${line.edition}: ${line.text}`;
      item.style.color = line.error ? "#ff9b9b" : "#ffd479";
      list.append(item);
    }
    overlay.append(close, heading, list);
    overlay.hidden = false;
  }

  function connect() {
    const socket = new WebSocket(socketUrl);
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      document.dispatchEvent(new CustomEvent("triptych-preview", { detail: message }));
      if (message.type === "state" && connectedBefore) {
        location.reload();  // the preview was restarted: the page may be out of date
        return;
      }
      if (message.reload && !document.documentElement.dataset.triptychPreview) {
        location.reload();
        return;
      }
      show(message);
    });
    socket.addEventListener("open", () => { window.triptychPreviewConnected = true; });
    socket.addEventListener("close", () => {
      if (window.triptychPreviewConnected) connectedBefore = true;
      window.triptychPreviewConnected = false;
      setTimeout(connect, 1000);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
})();
