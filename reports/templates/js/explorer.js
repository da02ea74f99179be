// The item explorer: filter, sort and page through every item; open one to compare outputs,
// scores and the judges' evidence side by side.

const Explorer = {
  init(data) {
    this.data = data;
    this.n = data.items.id.length;
    this.scoreInfo = Object.fromEntries(data.scores.map((s) => [s.name, s]));
    this.judges = data.judges || {};
    this.hasDetails = new Set(data.details);
    this.state = this.defaults();
    this.open = new Set();
    this.cursor = -1; // no current row until the keyboard or a click picks one
    this.gateSets = data.violations.map((v) => Object.fromEntries(Object.entries(v.systems).map(([s, ids]) => [s, new Set(ids)])));
    this.heat = {};
    for (const s of data.scores) this.heat[s.name] = quintiles(data.values[s.name]);
    this.buildControls();
    this.syncControls();
    this.refresh();
  },

  defaults() {
    const first = this.data.scores.length ? this.data.scores[0].name : null;
    return {
      search: "", score: this.data.focus || first, sort: "worst", tag: "", gate: "",
      min: null, max: null, systems: new Set(this.data.systems), page: 0, size: 50,
    };
  },

  buildControls() {
    const d = this.data;
    const score = $("f-score");
    for (const s of d.scores) score.append(h("option", { value: s.name, text: s.name + (s.higher ? " ▲" : " ▼") }));
    const tags = [...new Set(d.items.tags.flat())].sort();
    for (const t of tags) $("f-tag").append(h("option", { value: t, text: t }));
    if (!tags.length) $("f-tag").closest("label").hidden = true;
    d.violations.forEach((v, i) => $("f-gate").append(h("option", { value: String(i), text: "breaks: " + v.gate })));
    if (!d.violations.length) $("f-gate").closest("label").hidden = true;
    const box = $("f-systems");
    d.systems.forEach((s, i) => {
      const input = h("input", { type: "checkbox", value: s, checked: true });
      input.addEventListener("change", () => {
        if (input.checked) this.state.systems.add(s);
        else this.state.systems.delete(s);
        this.update();
      });
      box.append(h("label", {}, input, h("i", { class: "swatch sys" + (i % 8) }), s));
    });
    const sort = $("f-sort");
    if (!Object.keys(d.disagreement).length) sort.querySelector("[value=disagree]").remove();
    if (!d.previous) sort.querySelector("[value=change]").remove();
    if (d.systems.length < 2) sort.querySelector("[value=spread]").remove();
    const search = debounce(() => this.update(), 120);
    $("f-search").addEventListener("input", (e) => { this.state.search = e.target.value.trim().toLowerCase(); search(); });
    score.addEventListener("change", (e) => { this.state.score = e.target.value; this.update(); });
    sort.addEventListener("change", (e) => { this.state.sort = e.target.value; this.update(); });
    $("f-tag").addEventListener("change", (e) => { this.state.tag = e.target.value; this.update(); });
    $("f-gate").addEventListener("change", (e) => { this.state.gate = e.target.value; this.update(); });
    const num = (v) => (v === "" ? null : Number(v));
    $("f-min").addEventListener("input", debounce((e) => { this.state.min = num(e.target.value); this.update(); }, 200));
    $("f-max").addEventListener("input", debounce((e) => { this.state.max = num(e.target.value); this.update(); }, 200));
    $("filters").addEventListener("submit", (e) => e.preventDefault());
    $("filters").addEventListener("reset", () => setTimeout(() => this.set({}), 0));
    $("page-prev").addEventListener("click", () => this.page(-1));
    $("page-next").addEventListener("click", () => this.page(1));
    $("page-size").addEventListener("change", (e) => { this.state.size = Number(e.target.value); this.state.page = 0; this.render(); });
    $("item-body").addEventListener("click", (e) => this.onClick(e));
  },

  // Replace the filters (others back to their defaults) and show the list.
  set(changes) {
    this.state = Object.assign(this.defaults(), { size: this.state.size }, changes);
    this.syncControls();
    this.update();
  },

  syncControls() {
    const s = this.state;
    $("f-search").value = s.search;
    $("f-score").value = s.score;
    $("f-sort").value = s.sort;
    $("f-tag").value = s.tag;
    $("f-gate").value = s.gate;
    $("f-min").value = s.min === null ? "" : s.min;
    $("f-max").value = s.max === null ? "" : s.max;
    for (const input of $("f-systems").querySelectorAll("input")) input.checked = s.systems.has(input.value);
  },

  update() {
    this.state.page = 0;
    this.cursor = -1;
    this.refresh();
  },

  refresh() {
    const t0 = performance.now();
    this.list = this.filtered();
    this.sortList(this.list);
    this.render();
    $("items").dataset.refreshMs = (performance.now() - t0).toFixed(1); // for benchmarks
  },

  shown() {
    return this.data.systems.filter((s) => this.state.systems.has(s));
  },

  filtered() {
    const s = this.state;
    const d = this.data;
    const systems = this.shown();
    const values = d.values[s.score] || {};
    const gate = s.gate === "" ? null : this.gateSets[Number(s.gate)];
    const ranged = s.min !== null || s.max !== null;
    const out = [];
    for (let i = 0; i < this.n; i++) {
      if (s.tag && !d.items.tags[i].includes(s.tag)) continue;
      if (gate && !systems.some((sys) => gate[sys] && gate[sys].has(i))) continue;
      if (ranged && !systems.some((sys) => inRange(values[sys] && values[sys][i], s.min, s.max))) continue;
      if (s.search && !this.matches(i, s.search, systems)) continue;
      out.push(i);
    }
    return out;
  },

  matches(i, needle, systems) {
    if (!this.haystack) {
      const it = this.data.items;
      this.haystack = it.id.map((id, k) => [id, it.prompt[k] || "", it.source[k] || "", ...(it.references[k] || [])].join("\n").toLowerCase());
      this.outputsLower = {};
    }
    if (this.haystack[i].includes(needle)) return true;
    for (const sys of systems) {
      if (!this.outputsLower[sys]) this.outputsLower[sys] = this.data.outputs[sys].map((t) => (t || "").toLowerCase());
      if (this.outputsLower[sys][i].includes(needle)) return true;
    }
    return false;
  },

  sortList(list) {
    const s = this.state;
    const info = this.scoreInfo[s.score] || { higher: true };
    const values = this.data.values[s.score] || {};
    const systems = this.shown();
    const col = (sys) => values[sys] || [];
    const finite = (i) => systems.map((sys) => col(sys)[i]).filter(Number.isFinite);
    let key;
    if (s.sort === "worst" || s.sort === "best") {
      const worst = (i) => { const v = finite(i); return v.length ? (info.higher ? Math.min(...v) : -Math.max(...v)) : Infinity; };
      const best = (i) => { const v = finite(i); return v.length ? -(info.higher ? Math.max(...v) : -Math.min(...v)) : Infinity; };
      key = s.sort === "worst" ? worst : best;
    } else if (s.sort === "spread") {
      key = (i) => { const v = finite(i); return v.length > 1 ? -(Math.max(...v) - Math.min(...v)) : Infinity; };
    } else if (s.sort === "disagree") {
      const dis = this.data.disagreement;
      key = (i) => { const v = systems.map((sys) => dis[sys] && dis[sys][i]).filter(Number.isFinite); return v.length ? -Math.max(...v) : Infinity; };
    } else if (s.sort === "change") {
      const prev = (this.data.previous || {})[s.score] || {};
      const sign = info.higher ? 1 : -1;
      key = (i) => {
        const v = systems.map((sys) => sign * (col(sys)[i] - ((prev[sys] || [])[i] ?? NaN))).filter(Number.isFinite);
        return v.length ? Math.min(...v) : Infinity;
      };
    } else {
      key = (i) => i;
    }
    const keys = new Float64Array(this.n);
    for (const i of list) keys[i] = key(i);
    list.sort((a, b) => keys[a] - keys[b] || a - b);
  },

  pages() {
    return Math.max(1, Math.ceil(this.list.length / this.state.size));
  },

  page(step) {
    const next = Math.min(this.pages() - 1, Math.max(0, this.state.page + step));
    if (next === this.state.page) return;
    this.state.page = next;
    this.cursor = -1;
    this.render();
    $("items").scrollIntoView({ block: "start" });
  },

  render() {
    const s = this.state;
    const systems = this.shown();
    const start = s.page * s.size;
    const rows = this.list.slice(start, start + s.size);
    $("items-count").textContent = plural(this.list.length, "item") + (this.list.length === this.n ? "" : " of " + this.n.toLocaleString("en-US")) +
      " · sorted by " + $("f-sort").selectedOptions[0].textContent + " on " + s.score;
    $("page-info").textContent = "page " + (s.page + 1) + " of " + this.pages();
    $("page-prev").disabled = s.page === 0;
    $("page-next").disabled = s.page >= this.pages() - 1;
    this.renderHead(systems);
    const body = $("item-body");
    const frag = document.createDocumentFragment();
    rows.forEach((i, k) => {
      frag.append(this.row(i, start + k + 1, systems));
      if (this.open.has(i)) frag.append(this.detailRow(i, systems));
    });
    if (!rows.length) frag.append(h("tr", {}, h("td", { colspan: 4 + systems.length, class: "muted", text: "No item matches these filters." })));
    body.replaceChildren(frag);
    this.markCursor(false);
  },

  renderHead(systems) {
    const cols = [h("th", { scope: "col", class: "num", text: "#" }), h("th", { scope: "col", text: "item" }), h("th", { scope: "col", text: "prompt / source" })];
    systems.forEach((sys) => cols.push(h("th", { scope: "col", class: "num" }, h("i", { class: "swatch sys" + (this.data.systems.indexOf(sys) % 8) }), sys)));
    const last = { disagree: "disagree", change: "Δ worst" }[this.state.sort] || "spread";
    cols.push(h("th", { scope: "col", class: "num", text: last, title: {
      disagree: "how differently the judges rank these outputs (0: alike, 1: opposite)",
      change: "the largest loss since the earlier run among the systems shown",
    }[this.state.sort] || "best minus worst system on this score" }));
    $("item-head").replaceChildren(h("tr", {}, cols));
  },

  row(i, rank, systems) {
    const d = this.data;
    const info = this.scoreInfo[this.state.score] || { digits: 3, higher: true };
    const values = d.values[this.state.score] || {};
    const prev = d.previous && d.previous[this.state.score];
    const gate = this.state.gate === "" ? null : this.gateSets[Number(this.state.gate)];
    const snippet = d.items.prompt[i] || d.items.source[i] || (d.items.references[i] || [])[0] || "";
    const tr = h("tr", { class: "row" + (this.open.has(i) ? " open" : ""), "data-index": i, "data-id": d.items.id[i] },
      h("td", { class: "num muted", text: rank }),
      h("th", { scope: "row", class: "id" },
        h("button", { type: "button", class: "link toggle", "aria-expanded": this.open.has(i) ? "true" : "false", text: d.items.id[i] }),
        ...d.items.tags[i].map((t) => [" ", h("span", { class: "tag", text: t })])),
      h("td", { class: "snippet", title: snippet.slice(0, 400), text: snippet.slice(0, 160) }));
    const present = [];
    for (const sys of systems) {
      const v = values[sys] ? values[sys][i] : null;
      if (Number.isFinite(v)) present.push(v);
      const cell = h("td", { class: "num sc q" + level(v, this.heat[this.state.score], info.higher), "data-system": sys, text: fmt(v, info.digits) });
      if (gate && gate[sys] && gate[sys].has(i)) { cell.classList.add("gatefail"); cell.title = "breaks the selected gate"; }
      if (prev && prev[sys] && Number.isFinite(prev[sys][i]) && prev[sys][i] !== v) cell.append(h("span", { class: "prev", text: "was " + fmt(prev[sys][i], info.digits) }));
      tr.append(cell);
    }
    let extra = present.length > 1 ? Math.max(...present) - Math.min(...present) : NaN;
    let text = fmt(extra, info.digits);
    if (this.state.sort === "disagree") {
      const dis = systems.map((sys) => d.disagreement[sys] && d.disagreement[sys][i]).filter(Number.isFinite);
      text = fmt(dis.length ? Math.max(...dis) : NaN, 2);
    } else if (this.state.sort === "change" && prev) {
      const sign = info.higher ? 1 : -1;
      const deltas = systems.map((sys) => (values[sys] || [])[i] - ((prev[sys] || [])[i] ?? NaN)).filter(Number.isFinite);
      const worst = deltas.length ? deltas.reduce((a, b) => (sign * b < sign * a ? b : a)) : NaN;
      text = signed(worst, info.digits);
    }
    tr.append(h("td", { class: "num muted", text }));
    return tr;
  },

  onClick(event) {
    const action = event.target.closest("[data-why]");
    if (action) return Item.toggleWhy(action);
    const row = event.target.closest("tr.row");
    if (!row) return;
    if (event.target.closest("tr.detail")) return;
    this.toggle(Number(row.dataset.index));
  },

  toggle(i, force) {
    const opening = force === undefined ? !this.open.has(i) : force;
    if (opening) this.open.add(i);
    else this.open.delete(i);
    const k = this.visible().indexOf(i);
    if (k >= 0) this.cursor = k;
    this.render();
    if (opening) history.replaceState(null, "", "#item=" + encodeURIComponent(this.data.items.id[i]));
  },

  visible() {
    const start = this.state.page * this.state.size;
    return this.list.slice(start, start + this.state.size);
  },

  detailRow(i, systems) {
    return h("tr", { class: "detail", "data-index": i }, h("td", { colspan: 4 + systems.length }, Item.render(this, i, systems)));
  },

  // Show item i (by index): clear the filters if they hide it, go to its page and open it;
  // with why, each output also opens its explanation (of the score in view, else the first).
  reveal(i, opts) {
    if (opts && opts.why) Item.explainOnOpen.add(i);
    if (!this.list.includes(i)) this.set({});
    const pos = this.list.indexOf(i);
    this.state.page = Math.floor(pos / this.state.size);
    this.cursor = pos % this.state.size;
    this.open.add(i);
    this.render();
    history.replaceState(null, "", "#item=" + encodeURIComponent(this.data.items.id[i]));
    const row = $("item-body").querySelector('tr.row[data-index="' + i + '"]');
    if (row) { row.scrollIntoView({ block: "start" }); row.querySelector("button.toggle").focus({ preventScroll: true }); }
  },

  moveCursor(step) {
    const count = this.visible().length;
    if (!count) return;
    const next = this.cursor + step;
    if (next < 0 && this.cursor >= 0 && this.state.page > 0) {
      this.page(-1);
      this.cursor = this.visible().length - 1;
    } else if (next >= count && this.state.page < this.pages() - 1) {
      this.page(1);
      this.cursor = 0;
    } else {
      this.cursor = Math.min(count - 1, Math.max(0, next));
    }
    this.markCursor(true);
  },

  markCursor(focus) {
    const rows = $("item-body").querySelectorAll("tr.row");
    rows.forEach((r, k) => r.classList.toggle("current", k === this.cursor));
    const row = rows[this.cursor];
    if (focus && row) { row.querySelector("button.toggle").focus(); row.scrollIntoView({ block: "nearest" }); }
  },

  toggleCursor() {
    const i = this.visible()[this.cursor];
    if (i !== undefined) { this.toggle(i); this.markCursor(true); }
  },
};

function inRange(v, lo, hi) {
  return Number.isFinite(v) && (lo === null || v >= lo) && (hi === null || v <= hi);
}

// The 20/40/60/80% quantiles of a score over every system's items: the cells' tint.
function quintiles(perSystem) {
  const all = Object.values(perSystem || {}).flat().filter(Number.isFinite).sort((a, b) => a - b);
  if (!all.length) return null;
  return [0.2, 0.4, 0.6, 0.8].map((q) => all[Math.min(all.length - 1, Math.floor(q * all.length))]);
}

function level(v, cuts, higher) {
  if (!Number.isFinite(v) || !cuts || cuts[0] === cuts[3]) return 2;
  let k = 0;
  while (k < 4 && v > cuts[k]) k++;
  return higher ? k : 4 - k;
}
