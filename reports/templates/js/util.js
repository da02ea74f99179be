"use strict";
// judge report: small DOM and number helpers. Every text from the run goes through
// textContent; no HTML string is ever parsed, and no attribute that could run or load
// anything (on*, href, src, style) can be set from data.

const UNSAFE_ATTR = /^(on|href$|src$|srcdoc$|style$|xlink:|formaction$|action$)/i;

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (UNSAFE_ATTR.test(key)) throw new Error("refusing to set attribute " + key);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svgEl(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (UNSAFE_ATTR.test(key)) throw new Error("refusing to set attribute " + key);
    node.setAttribute(key, String(value));
  }
  return node;
}

const $ = (id) => document.getElementById(id);

function fmt(value, digits) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return value.toFixed(digits);
}

function signed(value, digits) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const text = value.toFixed(digits);
  if (Number(text) === 0) return "+" + text.replace("-", "");
  return value > 0 ? "+" + text : "−" + text.slice(1);
}

function plural(n, word) {
  return n.toLocaleString("en-US") + " " + word + (n === 1 ? "" : "s");
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// Text with some character ranges wrapped in <mark class="...">. ranges: [{start, end, cls,
// title, data}] in any order; overlapping ranges are clipped so the text is never repeated.
function markedText(text, ranges) {
  const frag = document.createDocumentFragment();
  const sorted = ranges
    .filter((r) => Number.isInteger(r.start) && Number.isInteger(r.end) && r.end > r.start)
    .sort((a, b) => a.start - b.start);
  let at = 0;
  for (const r of sorted) {
    const start = Math.max(r.start, at);
    const end = Math.min(r.end, text.length);
    if (end <= start) continue;
    if (start > at) frag.append(text.slice(at, start));
    const mark = h("mark", { class: r.cls || "hit", title: r.title || null });
    if (r.data) for (const [k, v] of Object.entries(r.data)) mark.dataset[k] = v;
    mark.textContent = text.slice(start, end);
    frag.append(mark);
    at = end;
  }
  if (at < text.length) frag.append(text.slice(at));
  return frag;
}

// Ranges of every case-insensitive occurrence of needle (already lower-cased) in text.
function findAll(text, needle, cls) {
  const out = [];
  if (!needle) return out;
  const lower = text.toLowerCase();
  let at = lower.indexOf(needle);
  while (at !== -1 && out.length < 200) {
    out.push({ start: at, end: at + needle.length, cls: cls || "hit" });
    at = lower.indexOf(needle, at + needle.length);
  }
  return out;
}

// A theme colour as the canvas needs it (custom properties hold light-dark(), unresolved).
function themeColor(name) {
  let probe = $("color-probe");
  if (!probe) {
    probe = h("span", { id: "color-probe", hidden: true });
    document.body.append(probe);
  }
  probe.style.color = "var(" + name + ")";
  return getComputedStyle(probe).color;
}
