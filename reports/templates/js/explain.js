// Why a judge scored an output as it did: one view per kind of evidence in Score.details.

const SPECIAL_TOKEN = /^(\[(CLS|SEP|PAD|UNK|MASK)\]|<\/?s>|<pad>|<unk>|<mask>|<\|endoftext\|>)$/;
const RAMP = [[215, 48, 31], [253, 187, 132], [255, 247, 188], [120, 198, 121], [35, 132, 67]];

function rampColor(fraction) {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(f));
  const t = f - i;
  const c = RAMP[i].map((v, k) => Math.round(v + (RAMP[i + 1][k] - v) * t));
  return "rgb(" + c.join(",") + ")";
}

// A token as shown: WordPiece "##" continues a word; "▁" and "Ġ" start one.
function tokenView(token) {
  if (token.startsWith("##")) return { text: token.slice(2), cont: true };
  if (token.startsWith("▁") || token.startsWith("Ġ")) return { text: token.slice(1), cont: false };
  return { text: token, cont: false };
}

// ``li`` appended to ``list``, picked by a click, Enter or Space
function pickable(list, li, pick) {
  li.addEventListener("click", pick);
  li.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
  list.append(li);
  return li;
}

function probBars(probs, { unsafe, order } = {}) {
  const grid = h("div", { class: "probs" });
  const names = order || Object.keys(probs).sort((a, b) => probs[b] - probs[a]);
  for (const name of names) {
    const p = Number(probs[name]);
    const bar = h("i", { class: unsafe && unsafe.includes(name) ? "unsafe" : name });
    bar.style.width = Math.round(Math.min(1, Math.max(0, p)) * 100) + "%";
    grid.append(
      h("span", { text: name, title: name }),
      h("span", { class: "pbar", role: "img", "aria-label": name + " " + fmt(p, 3) }, bar),
      h("span", { class: "num", text: fmt(p, 3) }),
    );
  }
  return grid;
}

const Explain = {
  render(kind, details, ctx) {
    const view = this.views[kind] || this.views.generic;
    try {
      return view.call(this, details || {}, ctx);
    } catch (err) {
      return h("div", {}, h("p", { class: "muted", text: "This evidence has an unexpected shape: " + err.message }),
        this.views.generic(details, ctx));
    }
  },

  views: {
    bertscore(d, ctx) {
      const out = d.output_tokens || [];
      const ref = d.reference_tokens || [];
      const match = d.match || [];
      const sim = d.similarity || [];
      const floor = Number.isFinite(ctx.simFloor) ? ctx.simFloor : Math.min(...sim.filter(Number.isFinite), 0.5);
      const frac = (s) => (s - floor) / (1 - floor || 1);
      const refRow = h("div", { class: "tokens ref-tokens" });
      const chosen = new Set(match);
      const refChips = ref.map((token, j) => {
        const view = tokenView(token);
        const chip = h("span", {
          class: "tok" + (view.cont ? " cont" : "") + (SPECIAL_TOKEN.test(token) ? " special" : ""),
          text: view.text,
          title: chosen.has(j) ? null : "no output token matched this one best",
        });
        if (!chosen.has(j) && !SPECIAL_TOKEN.test(token)) chip.classList.add("unmatched");
        refRow.append(view.cont ? "" : " ", chip);
        return chip;
      });
      const outRow = h("div", { class: "tokens out-tokens" });
      out.forEach((token, i) => {
        const view = tokenView(token);
        const special = SPECIAL_TOKEN.test(token);
        const j = match[i];
        const target = ref[j] !== undefined ? tokenView(ref[j]).text : "?";
        const chip = h("span", {
          class: "tok" + (view.cont ? " cont" : "") + (special ? " special" : ""),
          text: view.text,
          tabindex: special ? null : "0",
          title: "matched “" + target + "” · similarity " + fmt(sim[i], 3),
          "data-match": j,
        });
        if (!special) {
          chip.style.backgroundColor = rampColor(frac(sim[i]));
          chip.style.color = "#111";
        }
        const on = () => refChips[j] && refChips[j].classList.add("active");
        const off = () => refChips[j] && refChips[j].classList.remove("active");
        chip.addEventListener("mouseenter", on);
        chip.addEventListener("focus", on);
        chip.addEventListener("mouseleave", off);
        chip.addEventListener("blur", off);
        outRow.append(view.cont ? "" : " ", chip);
      });
      const refNote = ctx.referenceCount > 1 ? " (reference " + (d.reference + 1) + " of " + ctx.referenceCount + ", the best match)" : "";
      return h("div", { class: "explain bertscore" },
        h("p", { class: "muted", text: "Each output token is coloured by its cosine similarity to the reference token it matches best; precision averages these. Hover or focus a token to see its match" + refNote + "." }),
        h("div", { class: "legend" }, fmt(floor, 2), h("span", { class: "ramp" }), "1.00"),
        h("h5", { text: "output → best reference match" }), outRow,
        h("h5", { text: "reference (dotted: no output token chose it; recall misses these)" }), refRow,
        weakestMatches(d),
      );
    },

    nli(d, ctx) {
      const claims = d.claims || [];
      const against = d.against || "source";
      // with several references, each claim names the one its evidence came from ("premise")
      const premiseOf = (c) => ctx.premise(against, Number.isInteger(c.premise) ? c.premise : 0);
      const counts = { entailment: 0, neutral: 0, contradiction: 0 };
      const label = (c) => ["entailment", "neutral", "contradiction"].reduce((a, b) => (Number(c[b]) > Number(c[a]) ? b : a));
      claims.forEach((c) => counts[label(c)]++);
      const outBox = h("p", { class: "text block" });
      const premHead = h("h5", { text: against + " (evidence marked)" });
      const premBox = h("p", { class: "text block long" });
      const list = h("ol", { class: "claims" });
      const items = claims.map((c, k) => {
        const lab = label(c);
        const li = h("li", { class: lab, tabindex: "0", "data-claim": k },
          h("div", {}, h("span", { class: "badge " + (lab === "entailment" ? "better" : lab === "contradiction" ? "worse" : "same"), text: lab }), " ",
            h("span", { text: c.text || "" })),
          probBars({ entailment: c.entailment, neutral: c.neutral, contradiction: c.contradiction }, { order: ["entailment", "neutral", "contradiction"] }),
          c.evidence ? h("div", { class: "evidence-quote" }, h("span", { class: "muted", text: "best evidence" + (Number.isInteger(c.chunk) && d.chunks > 1 ? " (chunk " + (c.chunk + 1) + " of " + d.chunks + ")" : "") + ": " }), c.evidence) : null,
        );
        return pickable(list, li, () => activate(k));
      });
      const activate = (k) => {
        items.forEach((li, i) => li.classList.toggle("active", i === k));
        const c = claims[k] || {};
        outBox.replaceChildren(markedText(ctx.output || "", claims.map((cl, i) => ({
          start: cl.span && cl.span[0], end: cl.span && cl.span[1], cls: i === k ? "claim" : "hit", title: "claim " + (i + 1),
        }))));
        const premise = premiseOf(c);
        const span = locate(premise, c.evidence, c.evidence_span);
        premBox.replaceChildren(span
          ? markedText(premise, [{ start: span[0], end: span[1], cls: "evidence" + (label(c) === "contradiction" ? " contra" : "") }])
          : premise || "(no premise text stored with this item)");
        premHead.textContent = against + (against === "reference" && ctx.referenceCount > 1 ? " " + ((c.premise || 0) + 1) + " of " + ctx.referenceCount : "") + " (evidence marked)";
        const mark = premBox.querySelector("mark");
        if (mark) premBox.scrollTop = Math.max(0, mark.offsetTop - premBox.offsetTop - 40);
      };
      const worst = claims.reduce((best, c, i) => (best < 0 || Number(c.entailment) < Number(claims[best].entailment) ? i : best), -1);
      activate(worst);
      return h("div", { class: "explain nli" },
        h("p", { class: "muted", text: (d.recipe ? "Recipe " + d.recipe + " (supported or not; no separate contradiction class): " : "") + plural(claims.length, "claim") + " checked against the " + against + (d.chunks > 1 ? " (read in " + d.chunks + " chunks)" : "") + ": " +
          counts.entailment + " supported, " + counts.neutral + " not addressed, " + counts.contradiction + " contradicted. Select a claim to see its evidence." }),
        h("div", { class: "texts" }, h("div", {}, h("h5", { text: "output (claims marked)" }), outBox),
          h("div", {}, premHead, premBox)),
        list);
    },

    // details: every fact of the output (span, kind, normalised value) and, when a text named by
    // `against` supports it, where (which text, its span there); the score is the share found
    facts(d, ctx) {
      const facts = Array.isArray(d.facts) ? d.facts : [];
      const against = Array.isArray(d.against) && d.against.length ? d.against.map(String) : ["source"];
      const ok = facts.filter((f) => f.supported === true).length;
      const where = (f) => (f.found && typeof f.found.in === "string" ? f.found.in : null);
      const refOf = (f) => (f.found && Number.isInteger(f.found.reference) ? f.found.reference : 0);
      const placeName = (field, ref) => field + (field === "reference" && ctx.referenceCount > 1 ? " " + (ref + 1) + " of " + ctx.referenceCount : "");
      const outBox = h("p", { class: "text block" });
      const premHead = h("h5");
      const premBox = h("p", { class: "text block long" });
      const list = h("ol", { class: "claims facts" });
      const items = facts.map((f, k) => {
        const good = f.supported === true;
        const found = good && f.found ? [" found in the " + placeName(where(f), refOf(f)) + " as ", h("q", { text: String(f.found.text || "") })] : [" not found in the " + against.join(", ")];
        const li = h("li", { class: good ? "entailment" : "contradiction", tabindex: "0", "data-fact": k },
          h("div", {}, h("span", { class: "badge " + (good ? "better" : "worse"), text: good ? "supported" : "unsupported" }), " ",
            h("span", { class: "muted", text: String(f.kind || "fact") + " " }), h("span", { text: String(f.text || "") })),
          h("div", { class: "muted" }, "read as ", h("code", { text: String(f.value === undefined ? "" : f.value) }), ";", ...found));
        return pickable(list, li, () => activate(k));
      });
      const activate = (k) => {
        items.forEach((li, i) => li.classList.toggle("active", i === k));
        const f = facts[k] || {};
        outBox.replaceChildren(markedText(ctx.output || "", facts.map((g, i) => ({
          start: Array.isArray(g.span) ? g.span[0] : null, end: Array.isArray(g.span) ? g.span[1] : null,
          cls: (g.supported === true ? "fact-ok" : "fact-missing") + (i === k ? " active" : ""),
          title: String(g.kind || "fact") + ": " + (g.supported === true ? "supported" : "unsupported"),
        }))));
        const field = where(f) || against[0];
        const ref = refOf(f);
        const premise = ctx.premise(field, ref);
        // every match in this text, the selected fact's marked as the evidence
        const ranges = facts.map((g, i) => {
          if (where(g) !== field || refOf(g) !== ref) return null;
          const span = locate(premise, g.found.text, g.found.span);
          return span ? { start: span[0], end: span[1], cls: i === k ? "evidence" : "hit", title: String(g.text || "") } : null;
        }).filter(Boolean);
        premHead.textContent = placeName(field, ref) + (where(f) ? " (its match marked)" : " (this fact is not in it)");
        premBox.replaceChildren(premise ? markedText(premise, ranges) : "(no " + field + " text stored with this item)");
        const mark = premBox.querySelector("mark.evidence");
        if (mark) premBox.scrollTop = Math.max(0, mark.offsetTop - premBox.offsetTop - 40);
      };
      const first = facts.findIndex((f) => f.supported !== true);
      if (facts.length) activate(first >= 0 ? first : 0);
      return h("div", { class: "explain facts" },
        h("p", { class: "muted", text: facts.length
          ? ok + " of " + plural(facts.length, "fact") + " of the output found in the " + against.join(", ") + "; " + (facts.length - ok) + " unsupported (marked red). Select a fact to see its match."
          : "The output states no number, date, name, quote, URL or identifier to check (score 1, flag no_facts)." }),
        facts.length ? h("div", { class: "texts" }, h("div", {}, h("h5", { text: "output (facts marked)" }), outBox), h("div", {}, premHead, premBox)) : null,
        list);
    },

    // details: every label's probability on the worst chunk, the labels the judge counts as
    // unsafe, and that chunk; the score is the highest unsafe probability (metrics/toxicity.py)
    toxicity(d, ctx) {
      const labels = d.labels || {};
      const unsafe = (d.unsafe || []).filter((u) => u in labels);
      const top = unsafe.reduce((a, b) => (a === null || Number(labels[b]) > Number(labels[a]) ? b : a), null);
      const worst = d.worst_chunk || "";
      const at = worst && ctx.output ? ctx.output.indexOf(worst) : -1;
      return h("div", { class: "explain toxicity" },
        h("p", { class: "muted" }, top === null
          ? "This judge counts no label as unsafe."
          : ["The score is the highest probability among the labels counted as unsafe (marked): ",
              h("span", { class: "badge " + (Number(labels[top]) >= 0.5 ? "fail" : "same"), text: top + " " + fmt(Number(labels[top]), 3) }),
              unsafe.length < Object.keys(labels).length ? "; the others are safe labels." : "."]),
        probBars(labels, { unsafe }),
        worst ? h("h5", { text: "the most toxic part" + (d.chunks > 1 ? " (of " + d.chunks + " chunks)" : "") }) : null,
        worst ? h("p", { class: "text block" }, at >= 0 ? markedText(ctx.output, [{ start: at, end: at + worst.length, cls: "evidence contra" }]) : worst) : null,
        guardDetails(d),
      );
    },

    // details: each label's probability at the answer's first token, the rendered prompt's
    // digest, and the chunk read when a field was chunked (metrics/lm_judge.py)
    lm_judge(d, ctx) {
      const probs = d.probabilities || {};
      const field = d.chunk_field;
      const text = field === "output" ? ctx.output || "" : field ? ctx.premise(field) : "";
      const span = Array.isArray(d.chunk_span) ? d.chunk_span : null;
      return h("div", { class: "explain lm_judge" },
        h("p", { class: "muted", text: "The judge model's probability of each answer label at its first token, renormalised over the labels; the score is their expected value." +
          (d.chat_template ? " Asked through the model's chat template." : " Asked as plain text.") }),
        probBars(probs, { order: Object.keys(probs) }),
        h("p", { class: "muted" }, "prompt digest ", h("code", { text: String(d.prompt_digest || "–") }), " · ", plural(Number(d.tokens) || 0, "token")),
        field && text ? h("h5", { text: "the " + field + " chunk that counted (" + (Number(d.chunk) + 1) + " of " + d.chunks + ")" }) : null,
        field && text ? h("p", { class: "text block long" }, span ? markedText(text, [{ start: span[0], end: span[1], cls: "evidence" }]) : text) : null,
      );
    },

    // details: the grader's feedback, the probability of each score 1-5 after its score
    // marker, and the parsed score when it was needed (metrics/rubric.py)
    rubric(d) {
      const probs = d.probabilities || {};
      const notes = [];
      if (d.parsed !== undefined) notes.push(d.parsed === null ? "The score tokens were unlikely after the marker and no score could be parsed from what the grader wrote." : "The score tokens were unlikely after the marker: the score " + d.parsed + " is parsed from what the grader wrote.");
      return h("div", { class: "explain rubric" },
        h("p", { class: "muted", text: "The grader (" + (d.recipe || "rubric") + ") wrote its feedback, then the score: the probability of each score 1-5 is read after its score marker, and the score is their expected value." }),
        probBars(probs, { order: ["1", "2", "3", "4", "5"].filter((k) => k in probs) }),
        notes.length ? h("p", { class: "muted", text: notes.join(" ") }) : null,
        h("h5", { text: "feedback" }),
        h("p", { class: "text block long", text: d.feedback || "(none: the score was read at once)" }),
      );
    },

    // details: the spans of the output a token classifier marks as unsupported, each with its
    // highest token probability (metrics/spans.py)
    spans(d, ctx) {
      const spans = Array.isArray(d.spans) ? d.spans : [];
      const output = ctx.output || "";
      const ranges = spans.map((sp, i) => ({ start: sp.start, end: sp.end, cls: "evidence contra", title: "unsupported · confidence " + fmt(Number(sp.confidence), 3), data: { span: String(i) } }));
      return h("div", { class: "explain spans" },
        h("p", { class: "muted", text: plural(Number(d.flagged) || 0, "token") + " of " + plural(Number(d.tokens) || 0, "token") + " marked as unsupported by the source" + (d.chunks > 1 ? " (read in " + d.chunks + " parts)" : "") + "; the score is their share." }),
        h("p", { class: "text block" }, markedText(output, ranges)),
        spans.length ? h("ol", { class: "spans" }, spans.map((sp) => h("li", {}, h("q", { text: sp.text || output.slice(sp.start, sp.end) }), " ", h("span", { class: "num muted", text: fmt(Number(sp.confidence), 3) })))) : h("p", { class: "muted", text: "No span marked." }),
      );
    },

    profanity(d, ctx) {
      const worst = d.worst || "";
      const at = worst && ctx.output ? ctx.output.indexOf(worst) : -1;
      return h("div", { class: "explain profanity" },
        h("p", { class: "muted", text: "The score is the probability of the output's most profane sentence, marked here." }),
        h("p", { class: "text block" }, at >= 0 ? markedText(ctx.output, [{ start: at, end: at + worst.length, cls: "evidence contra" }]) : worst || ctx.output));
    },

    similarity(d, ctx) {
      const against = (ctx.judge.params || {}).against || "reference";
      const index = Number.isInteger(d.reference) ? d.reference : 0;
      const target = against === "reference" ? (ctx.references[index] || "") : ctx.premise(against);
      return h("div", { class: "explain similarity" },
        h("p", { class: "muted", text: "Cosine similarity of the sentence embeddings of the output and the " + against +
          (against === "reference" && ctx.referenceCount > 1 ? " (reference " + (index + 1) + " of " + ctx.referenceCount + ", the closest)" : "") + ":" }),
        h("p", { class: "text block long", text: target }));
    },

    generic(d) {
      return h("pre", { class: "text block long", text: JSON.stringify(d, null, 2) });
    },
  },
};

// What a guard recipe adds to toxicity's evidence: each policy's probability of unsafe and the
// categories the guard named (metrics/guards.py).
function guardDetails(d) {
  const parts = [];
  if (d.recipe) parts.push(h("p", { class: "muted", text: "Asked as the guard recipe " + d.recipe + "." }));
  if (d.policies && typeof d.policies === "object") {
    parts.push(h("h5", { text: "probability of unsafe per policy (the highest counts)" }), probBars(d.policies, {}));
  }
  if (Array.isArray(d.categories)) {
    parts.push(h("p", {}, "categories named: ", d.categories.length ? d.categories.join(", ") : "none",
      d.category_text ? [" ", h("span", { class: "muted" }, "(the guard wrote ", h("code", { text: d.category_text }), ")")] : null));
  }
  return parts.length ? h("div", {}, parts) : null;
}

// The five output tokens that found the poorest match in the reference: where precision is lost.
function weakestMatches(d) {
  const out = d.output_tokens || [];
  const ref = d.reference_tokens || [];
  const sim = d.similarity || [];
  const weakest = out
    .map((token, i) => ({ token, i }))
    .filter(({ token }) => !SPECIAL_TOKEN.test(token))
    .sort((a, b) => sim[a.i] - sim[b.i])
    .slice(0, 5);
  if (!weakest.length) return null;
  const target = (i) => (ref[d.match[i]] !== undefined ? tokenView(ref[d.match[i]]).text : "?");
  return h("div", {}, h("h5", { text: "weakest matches" }), h("ol", { class: "weakest" }, weakest.map(({ token, i }) =>
    h("li", {}, h("code", { text: tokenView(token).text }), " → ", h("code", { text: target(i) }),
      " ", h("span", { class: "num muted", text: fmt(sim[i], 3) })))));
}

// Where evidence sits in the premise: the stored span if it holds the evidence, else a search.
function locate(premise, evidence, span) {
  if (!premise) return null;
  if (Array.isArray(span) && span.length === 2 && Number.isInteger(span[0]) && span[1] > span[0] && span[1] <= premise.length) {
    if (!evidence || premise.slice(span[0], span[1]) === evidence) return span;
  }
  if (evidence) {
    const at = premise.indexOf(evidence);
    if (at >= 0) return [at, at + evidence.length];
  }
  return null;
}
