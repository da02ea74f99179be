// Wiring: read the data, draw, and connect the sections to the explorer and the keyboard.

(function main() {
  const data = JSON.parse($("judge-data").textContent);
  const root = document.documentElement;
  let stored = null;
  try { stored = localStorage.getItem("judge-theme"); } catch (e) { stored = null; }
  if (stored === "dark" || stored === "light") root.dataset.theme = stored;

  Explorer.init(data);
  const reveal = (i) => { Explorer.reveal(i); };
  const byId = new Map(data.items.id.map((id, i) => [id, i]));
  Scatter.init(data, reveal);

  const showOnly = (selectId, selector) => {
    const select = $(selectId);
    if (!select) return;
    const apply = () => document.querySelectorAll(selector).forEach((el) => (el.hidden = el.dataset.score !== select.value));
    select.addEventListener("change", apply);
    apply();
  };
  showOnly("moves-score", ".moves[data-score]");
  showOnly("tags-score", ".tag-table[data-score]");

  const toItems = () => $("items").scrollIntoView({ block: "start" });
  document.addEventListener("click", (event) => {
    const el = event.target.closest("[data-action]");
    if (!el) return;
    const action = el.dataset.action;
    if (action === "gate-items") {
      Explorer.set({ gate: el.dataset.gate, score: data.gateMetrics[Number(el.dataset.gate)] || Explorer.state.score });
      toItems();
    } else if (action === "tag") {
      Explorer.set({ tag: el.dataset.tag });
      toItems();
    } else if (action === "range") {
      Explorer.set({ score: el.dataset.score, systems: new Set([el.dataset.system]), min: Number(el.dataset.lo), max: Number(el.dataset.hi), sort: "worst" });
      toItems();
    } else if (action === "agree") {
      Scatter.pair(el.dataset.x, el.dataset.y);
    } else if (action === "open-item") {
      event.preventDefault();
      if (byId.has(el.dataset.item)) reveal(byId.get(el.dataset.item));
    }
  });

  const toggleTheme = () => {
    const dark = root.dataset.theme === "dark" || (root.dataset.theme !== "light" && matchMedia("(prefers-color-scheme: dark)").matches);
    root.dataset.theme = dark ? "light" : "dark";
    try { localStorage.setItem("judge-theme", root.dataset.theme); } catch (e) { /* file:// may forbid storage */ }
    Scatter.draw();
  };
  $("theme-toggle").addEventListener("click", toggleTheme);
  const help = $("help");
  $("help-open").addEventListener("click", () => help.showModal());
  $("help-close").addEventListener("click", () => help.close());

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName);
    if (e.key === "Escape" && typing) { e.target.blur(); return; }
    if (typing || help.open) return;
    const keys = {
      "/": () => $("f-search").focus(),
      j: () => Explorer.moveCursor(1),
      k: () => Explorer.moveCursor(-1),
      o: () => Explorer.toggleCursor(),
      "]": () => Explorer.page(1),
      "[": () => Explorer.page(-1),
      g: () => $("gates").scrollIntoView({ block: "start" }),
      d: toggleTheme,
      "?": () => help.showModal(),
    };
    if (e.key === "Enter" && e.target.closest && e.target.closest("tr.row")) return;
    const run = keys[e.key];
    if (run) { e.preventDefault(); run(); }
  });

  // #item=ID opens that item with its explanations. The address is anyone's to write: an id
  // that is not valid percent-encoding (#item=%) is read as it stands, never thrown on.
  const fromHash = () => {
    const m = /^#item=(.+)$/.exec(location.hash);
    if (!m) return;
    let id = m[1];
    try { id = decodeURIComponent(m[1]); } catch (e) { id = m[1]; }
    if (byId.has(id)) Explorer.reveal(byId.get(id), { why: true });
  };
  window.addEventListener("hashchange", fromHash);
  fromHash();
  root.dataset.ready = performance.now().toFixed(0); // ms since navigation: time to interactive
})();
