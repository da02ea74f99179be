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
    if (explorer.hasDetails.has(i)) Evidence.get(i).then((doc) => this.decorate(wrap, i, doc));
    return wrap;
  },

  output(explorer, i, sys, needle) {
    const d = explorer.data;
    const text = d.outputs[sys][i];
    const card = h("article", { class: "output b" + (d.systems.indexOf(sys) % 8), "data-system": sys });
    const skipped = ((d.skipped || {})[sys] || []).includes(i);
    card.append(h("header", {}, h("h4", { text: sys }), sys === d.baseline ? h("span", { class: "tag", text: "baseline" }) : null,
      skipped ? h("span", { class: "tag warn", text: "not scored: empty output", title: "empty_outputs: skip" }) : null));
    card.append(text === null || text === undefined
      ? h("p", { class: "muted", text: "no output" })
      : h("p", { class: "text out-text" + (text.length > 900 ? " long" : "") }, markedText(text, findAll(text, needle))));
    const table = h("table", { class: "mini" });
    for (const s of d.scores) {
      const v = d.values[s.name] && d.values[s.name][sys] ? d.values[s.name][sys][i] : null;
      const prev = d.previous && d.previous[s.name] && d.previous[s.name][sys] ? d.previous[s.name][sys][i] : null;
      const first = s.name === this.firstScore(d, s.judge);
      table.append(h("tr", { "data-judge": first ? s.judge : null },
        h("th", { scope: "row" }, s.name, " ", h("span", { class: "dir", text: s.higher ? "▲" : "▼" })),
        h("td", { class: "num sc q" + level(v, explorer.heat[s.name], s.higher), text: fmt(v, s.digits) }),
        h("td", { class: "num muted", text: Number.isFinite(prev) && prev !== v ? "was " + fmt(prev, s.digits) : "" }),
        h("td", { class: "why-cell" })));
    }
    card.append(table, h("div", { class: "why-panel", hidden: true }));
    return card;
  },

  // Once the item's evidence is decoded: a "why?" per judge that left some, and its flags.
  decorate(view, i, doc) {
    if (!doc) return;
    // a view drawn over again before its evidence came is no longer on the page: leave the
    // request to explain for the view that is
    const explain = view.isConnected && this.explainOnOpen.delete(i);
    for (const card of view.querySelectorAll("article.output")) {
      const sys = card.dataset.system;
      for (const row of card.querySelectorAll("tr[data-judge]")) {
        const judge = row.dataset.judge;
        const flags = (doc.f && doc.f[sys] && doc.f[sys][judge]) || [];
        row.querySelector("th").append(...flags.map((f) => [" ", h("span", { class: "tag warn", text: f })]).flat());
        if (doc.d && doc.d[sys] && doc.d[sys][judge]) {
          const button = h("button", { type: "button", class: "link why", "data-why": judge,
            "data-system": sys, "data-index": i, "aria-expanded": "false", text: "why?" });
          row.querySelector(".why-cell").append(button);
          if (this.opened.has(i + "|" + sys + "|" + judge)) this.toggleWhy(button);
        }
      }
      if (explain && !card.querySelector('button.why[aria-expanded="true"]')) {
        const buttons = [...card.querySelectorAll("button.why")];
        const focus = Explorer.data.scores.find((s) => s.name === Explorer.state.score);
        const pick = buttons.find((b) => focus && b.dataset.why === focus.judge) || buttons[0];
        if (pick) this.toggleWhy(pick);
      }
    }
  },

  firstScore(d, judge) {
    const s = d.scores.find((x) => x.judge === judge);
    return s ? s.name : null;
  },

  opened: new Set(), // "item|system|judge" of the explanations shown, kept across re-renders
  explainOnOpen: new Set(), // items opened by a link (#item=ID): show their explanations

  async toggleWhy(button) {
    const card = button.closest("article.output");
    const panel = card.querySelector(".why-panel");
    const judge = button.dataset.why;
    const i = Number(button.dataset.index);
    const sys = button.dataset.system;
    const open = button.getAttribute("aria-expanded") === "true";
    for (const b of card.querySelectorAll("button.why")) {
      b.setAttribute("aria-expanded", "false");
      this.opened.delete(i + "|" + sys + "|" + b.dataset.why);
    }
    if (open) { panel.hidden = true; panel.replaceChildren(); return; }
    button.setAttribute("aria-expanded", "true");
    this.opened.add(i + "|" + sys + "|" + judge);
    const d = Explorer.data;
    const doc = await Evidence.get(i);
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

// The judges' evidence: compressed blocks of items, decoded once, on first use.
const Evidence = {
  blocks: new Map(),

  get(i) {
    const key = Math.floor(i / Explorer.data.evidenceChunk);
    if (!this.blocks.has(key)) this.blocks.set(key, this.load(key));
    return this.blocks.get(key).then((block) => (block && block[String(i)]) || null);
  },

  async load(key) {
    // the blocks follow the script in the page: an item opened at once (#item=ID) waits for them
    if (document.readyState === "loading") {
      await new Promise((done) => document.addEventListener("DOMContentLoaded", done, { once: true }));
    }
    const node = $("jd-" + key);
    if (!node) return null;
    const binary = atob(node.textContent.trim());
    const bytes = new Uint8Array(binary.length);
    for (let k = 0; k < binary.length; k++) bytes[k] = binary.charCodeAt(k);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
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
