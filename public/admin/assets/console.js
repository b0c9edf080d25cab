// The Proctor console's only script: live regions and confirmations. Pages work without it; it adds
// no inline script or style (the console's CSP forbids both) and calls nothing but this origin.

document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});

/** Reloads a region from the page's own URL every `data-refresh` seconds while the tab is visible. */
function liveRegion(region) {
  const seconds = Math.max(2, Number(region.dataset.refresh) || 15);
  const bar = document.createElement("p");
  bar.className = "live-bar";
  const status = document.createElement("span");
  status.textContent = `Live: updates every ${seconds} s`;
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.textContent = "Pause";
  toggle.setAttribute("aria-pressed", "false");
  bar.append(status, " ", toggle);
  region.before(bar);

  let paused = false;
  toggle.addEventListener("click", () => {
    paused = !paused;
    toggle.textContent = paused ? "Resume" : "Pause";
    toggle.setAttribute("aria-pressed", String(paused));
    status.textContent = paused ? "Live updates paused" : `Live: updates every ${seconds} s`;
  });

  async function refresh() {
    // Never pull the content out from under someone working in it.
    if (paused || document.hidden || region.contains(document.activeElement)) return;
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", headers: { "X-Console-Refresh": region.id } });
      if (!response.ok || !new URL(response.url).pathname.startsWith(window.location.pathname)) {
        status.textContent = "Live updates stopped: reload the page";
        paused = true;
        return;
      }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById(region.id);
      if (fresh) region.replaceChildren(...fresh.childNodes);
      scrollableRegions();
      status.textContent = `Live: updated ${new Date().toLocaleTimeString()}`;
    } catch {
      status.textContent = "Live updates: the server did not answer; retrying";
    }
  }
  window.setInterval(refresh, seconds * 1000);
}

/**
 * A table wider than a narrow screen scrolls sideways (console.css), a long mail or body scrolls
 * within its box: one that scrolls is made focusable so it can be scrolled from the keyboard too, and
 * plain again when it fits. Elements the page already made focusable are left as they are.
 */
function scrollableRegions() {
  for (const box of document.querySelectorAll("main table, main pre")) {
    const scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.tabIndex = 0;
      box.dataset.scrolls = "";
    } else if (!scrolls && box.dataset.scrolls !== undefined) {
      box.removeAttribute("tabindex");
      delete box.dataset.scrolls;
    }
  }
}

for (const region of document.querySelectorAll("[data-refresh]")) liveRegion(region);
scrollableRegions();
window.addEventListener("resize", scrollableRegions);
