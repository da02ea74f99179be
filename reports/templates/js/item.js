// One opened item: its texts, every system's output with all scores, and the evidence views.

const Item = {
  render(explorer, i, systems) {
    const d = explorer.data;
    const it = d.items;
    const needle = explorer.state.search;
    const refs = it.references[i] || [];
    const wrap = h("div", { class: "item-view" });
    const broken = d.violations
      .map((v, g) => [v, explorer.gateSets[g]])
      .filter(([, sets]) => systems.some((s) => sets[s] && sets[s].has(i)));
    wrap.append(h("div", { class: "item-meta" },
      h("strong", {}, h("code", { text: it.id[i] })),
      ...it.tags[i].map((t) => h("span", { class: "tag", text: t })),
      ...broken.map(([v, sets]) => h("span", { class: "badge fail", text: "breaks " + v.gate, title: "systems: " + systems.filter((s) => sets[s] && sets[s].has(i)).join(", ") })),
      it.extra[i] ? h("span", { class: "muted", text: Object.entries(it.extra[i]).map(([k, v]) => k + ": " + (typeof v === "string" ? v : JSON.stringify(v))).join(" · ") }) : null,
    ));
    const blocks = [];
    const block = (title, text) => blocks.push(h("div", {}, h("h5", { text: title }),
      h("p", { class: "text block" + (text.length > 600 ? " long" : "") }, markedText(text, findAll(text, needle)))));
    if (it.prompt[i]) block("prompt", it.prompt[i]);
    if (it.source[i]) block("source", it.source[i]);
    refs.forEach((ref, k) => block(refs.length > 1 ? "reference " + (k + 1) : "reference", ref));
    wrap.append(h("div", { class: "texts" }, blocks));
    const outputs = h("div", { class: "outputs" });
    outputs.style.gridTemplateColumns = "repeat(" + Math.min(systems.length, 4) + ", minmax(0, 1fr))";
    for (const sys of systems) outputs.append(this.output(explorer, i, sys, needle));
    wrap.append(outputs);
    return wrap;
  },

  output(explorer, i, sys, needle) {
    const d = explorer.data;
    const text = d.outputs[sys][i];
    const doc = this.doc(i);
    const flags = (doc && doc.f && doc.f[sys]) || {};
    const card = h("article", { class: "output b" + (d.systems.indexOf(sys) % 8), "data-system": sys });
    card.append(h("header", {}, h("h4", { text: sys }), sys === d.baseline ? h("span", { class: "tag", text: "baseline" }) : null));
    card.append(text === null || text === undefined
      ? h("p", { class: "muted", text: "no output" })
      : h("p", { class: "text out-text" + (text.length > 900 ? " long" : "") }, markedText(text, findAll(text, needle))));
    const table = h("table", { class: "mini" });
    for (const s of d.scores) {
      const v = d.values[s.name] && d.values[s.name][sys] ? d.values[s.name][sys][i] : null;
      const prev = d.previous && d.previous[s.name] && d.previous[s.name][sys] ? d.previous[s.name][sys][i] : null;
      const hasWhy = doc && doc.d && doc.d[sys] && doc.d[sys][s.judge] && s.name === this.firstScore(d, s.judge);
      table.append(h("tr", {},
        h("th", { scope: "row" }, s.name, " ", h("span", { class: "dir", text: s.higher ? "▲" : "▼" }),
          ...(flags[s.judge] && s.name === this.firstScore(d, s.judge) ? flags[s.judge].map((f) => [" ", h("span", { class: "tag warn", text: f })]) : [])),
        h("td", { class: "num sc q" + level(v, explorer.heat[s.name], s.higher), text: fmt(v, s.digits) }),
        h("td", { class: "num muted", text: Number.isFinite(prev) && prev !== v ? "was " + fmt(prev, s.digits) : "" }),
        h("td", {}, hasWhy ? h("button", { type: "button", class: "link why", "data-why": s.judge, "data-system": sys, "data-index": i, "aria-expanded": "false", text: "why?" }) : null)));
    }
    card.append(table, h("div", { class: "why-panel", hidden: true }));
    return card;
  },

  firstScore(d, judge) {
    const s = d.scores.find((x) => x.judge === judge);
    return s ? s.name : null;
  },

  // The item's evidence document, parsed on first use.
  doc(i) {
    if (!this.cache) this.cache = new Map();
    if (this.cache.has(i)) return this.cache.get(i);
    const node = $("jd-" + i);
    const doc = node ? JSON.parse(node.textContent) : null;
    if (node || document.readyState === "complete") this.cache.set(i, doc);
    return doc;
  },

  toggleWhy(button) {
    const card = button.closest("article.output");
    const panel = card.querySelector(".why-panel");
    const judge = button.dataset.why;
    const open = button.getAttribute("aria-expanded") === "true";
    for (const b of card.querySelectorAll("button.why")) b.setAttribute("aria-expanded", "false");
    if (open) { panel.hidden = true; panel.replaceChildren(); return; }
    button.setAttribute("aria-expanded", "true");
    const i = Number(button.dataset.index);
    const sys = button.dataset.system;
    const d = Explorer.data;
    const doc = this.doc(i);
    const info = d.judges[judge] || {};
    const ctx = {
      output: d.outputs[sys][i] || "",
      references: d.items.references[i] || [],
      referenceCount: (d.items.references[i] || []).length,
      judge: info,
      simFloor: (d.simFloor || {})[judge],
      premise: (field, ref) => premiseText(d, i, field, ref),
    };
    const kind = info.metric || judge;
    panel.replaceChildren(h("h5", { text: "why: " + judge + (kind === judge ? "" : " (" + kind + ")") }),
      Explain.render(kind, doc.d[sys][judge], ctx));
    panel.hidden = false;
  },
};

function premiseText(d, i, field, ref) {
  if (field === "reference" || field === "references") {
    const refs = d.items.references[i] || [];
    return refs[Number.isInteger(ref) ? ref : 0] || "";
  }
  if (field === "prompt") return d.items.prompt[i] || "";
  return d.items.source[i] || "";
}
