// The ops page: its tables refresh every few seconds without a reload, and a shrink asks first.
(function () {
  "use strict";
  const page = document.getElementById("ops-page");
  if (!page) return;
  const tables = document.getElementById("ops-tables");
  const status = document.getElementById("ops-refresh");
  const every = Number(page.dataset.refreshS || 3) * 1000;

  // A confirmation before any button that says what it will do (Shrink).
  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });

  function editing() {
    const active = document.activeElement;
    return active && tables.contains(active) && active.tagName === "INPUT";
  }

  async function refresh() {
    if (editing()) return; // never replace a field someone is typing in
    try {
      const answer = await fetch("?part=table", { credentials: "same-origin" });
      if (!answer.ok) throw new Error(answer.status);
      // A task list someone opened stays open across the refresh.
      const open = [...tables.querySelectorAll("details[open][data-worker]")].map((d) => d.dataset.worker);
      tables.innerHTML = await answer.text();
      for (const worker of open) {
        const details = tables.querySelector(`details[data-worker="${CSS.escape(worker)}"]`);
        if (details) details.open = true;
      }
      status.textContent = "refreshed " + new Date().toISOString().slice(11, 19) + " UTC";
      status.dataset.refreshed = String(Number(status.dataset.refreshed || 0) + 1);
    } catch (error) {
      status.textContent = "refresh failed (" + error.message + "): retrying";
    }
  }

  // The first reading may still be under way when the page loads: ask again soon.
  setTimeout(refresh, document.getElementById("ops-reading").dataset.ageS ? every : 700);
  setInterval(refresh, every);
})();
