// The scatter plot: any score of any system against any other, on the same items.

const Scatter = {
  pad: { left: 48, right: 14, top: 12, bottom: 36 },
  points: [],

  init(data, onPick) {
    this.data = data;
    this.onPick = onPick;
    this.canvas = $("scatter-canvas");
    this.tip = $("scatter-tip");
    const options = [];
    for (const s of data.scores) {
      for (const system of data.systems) {
        if (data.values[s.name] && data.values[s.name][system]) options.push([s.name, system]);
      }
    }
    this.options = options;
    for (const id of ["scatter-x", "scatter-y"]) {
      const select = $(id);
      options.forEach(([score, system], i) => {
        select.append(h("option", { value: i, text: score + " · " + system }));
      });
      select.addEventListener("change", () => this.draw());
    }
    const [x, y] = this.defaults(data);
    $("scatter-x").value = x;
    $("scatter-y").value = y;
    $("scatter-swap").addEventListener("click", () => {
      const a = $("scatter-x").value;
      $("scatter-x").value = $("scatter-y").value;
      $("scatter-y").value = a;
      this.draw();
    });
    this.canvas.addEventListener("mousemove", (e) => this.hover(e));
    this.canvas.addEventListener("mouseleave", () => (this.tip.hidden = true));
    this.canvas.addEventListener("click", (e) => {
      const p = this.nearest(e);
      if (p) this.onPick(p.index);
    });
    this.draw();
  },

  // Plot score x against score y, both of the baseline system.
  pair(x, y) {
    const find = (score) => this.options.findIndex(([s, sys]) => s === score && sys === this.data.baseline);
    if (find(x) < 0 || find(y) < 0) return;
    $("scatter-x").value = find(x);
    $("scatter-y").value = find(y);
    this.draw();
  },

  // Two judges on the baseline system when there are two judges; else two systems.
  defaults(data) {
    const find = (score, system) =>
      this.options.findIndex(([s, sys]) => s === score && sys === system);
    const base = data.baseline;
    const primary = data.primary.filter((name) => data.values[name]);
    if (primary.length >= 2) return [find(primary[0], base), find(primary[1], base)];
    const other = data.systems.find((s) => s !== base);
    const first = data.scores[0] ? data.scores[0].name : null;
    if (other && first) return [find(first, base), find(first, other)];
    return [0, Math.min(1, this.options.length - 1)];
  },

  // The items both chosen columns score, as [x, y, item index].
  pairs(xo, yo) {
    const xs = this.data.values[xo[0]][xo[1]];
    const ys = this.data.values[yo[0]][yo[1]];
    const out = [];
    for (let i = 0; i < xs.length; i++) {
      if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) out.push([xs[i], ys[i], i]);
    }
    return out;
  },

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 560;
    const height = canvas.clientHeight || 400;
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const xo = this.options[$("scatter-x").value];
    const yo = this.options[$("scatter-y").value];
    if (!xo || !yo) return;
    const pairs = this.pairs(xo, yo);
    const bx = extent(pairs.map((p) => p[0]));
    const by = extent(pairs.map((p) => p[1]));
    const same = xo[0] === yo[0]; // one score for two systems: a shared scale and the diagonal
    if (same) {
      bx[0] = by[0] = Math.min(bx[0], by[0]);
      bx[1] = by[1] = Math.max(bx[1], by[1]);
    }
    const P = this.pad;
    const sx = (v) => P.left + ((v - bx[0]) / (bx[1] - bx[0] || 1)) * (width - P.left - P.right);
    const sy = (v) => height - P.bottom - ((v - by[0]) / (by[1] - by[0] || 1)) * (height - P.top - P.bottom);
    const muted = themeColor("--muted");
    ctx.font = "11px system-ui, sans-serif";
    drawAxes(ctx, { bx, by, sx, sy, width, height, P, muted, line: themeColor("--line") });
    if (same) {
      ctx.strokeStyle = muted;
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(sx(bx[0]), sy(bx[0]));
      ctx.lineTo(sx(bx[1]), sy(bx[1]));
      ctx.stroke();
      ctx.setLineDash([]);
    }
    this.points = pairs.map(([x, y, index]) => ({ px: sx(x), py: sy(y), x, y, index }));
    drawPoints(ctx, this.points, themeColor("--s0"));
    ctx.fillStyle = themeColor("--fg");
    ctx.textAlign = "center";
    ctx.fillText(xo[0] + " · " + xo[1], P.left + (width - P.left - P.right) / 2, height - 4);
    ctx.save();
    ctx.translate(11, P.top + (height - P.top - P.bottom) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(yo[0] + " · " + yo[1], 0, 0);
    ctx.restore();
    const xv = pairs.map((p) => p[0]);
    const yv = pairs.map((p) => p[1]);
    $("scatter-stat").textContent =
      "n = " + pairs.length.toLocaleString("en-US") +
      " · Pearson r = " + fmt(pearson(xv, yv), 3) +
      " · Spearman ρ = " + fmt(pearson(ranks(xv), ranks(yv)), 3);
  },

  nearest(event) {
    const rect = this.canvas.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    let best = null;
    let bestD = 36;
    for (const p of this.points) {
      const d = (p.px - x) ** 2 + (p.py - y) ** 2;
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    return best;
  },

  hover(event) {
    const p = this.nearest(event);
    if (!p) {
      this.tip.hidden = true;
      return;
    }
    this.tip.textContent = this.data.items.id[p.index] + "  x " + fmt(p.x, 3) + "  y " + fmt(p.y, 3);
    this.tip.style.left = p.px + 8 + "px";
    this.tip.style.top = p.py - 24 + "px";
    this.tip.hidden = false;
  },
};

// Dots when there are few points, small squares (and more transparency) when there are many.
function drawPoints(ctx, points, color) {
  ctx.fillStyle = color;
  ctx.globalAlpha = points.length > 2000 ? 0.25 : 0.6;
  const dots = points.length <= 3000;
  for (const { px, py } of points) {
    if (dots) {
      ctx.beginPath();
      ctx.arc(px, py, 3, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      ctx.fillRect(px - 1.5, py - 1.5, 3, 3);
    }
  }
  ctx.globalAlpha = 1;
}

function extent(values) {
  if (!values.length) return [0, 1];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

function niceTicks(lo, hi, count) {
  const raw = (hi - lo) / Math.max(count - 1, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-6; v += step) out.push(v);
  return out;
}

function drawAxes(ctx, { bx, by, sx, sy, width, height, P, muted, line }) {
  ctx.strokeStyle = line;
  ctx.fillStyle = muted;
  ctx.lineWidth = 1;
  ctx.textAlign = "center";
  for (const v of niceTicks(bx[0], bx[1], 6)) {
    ctx.beginPath();
    ctx.moveTo(sx(v), P.top);
    ctx.lineTo(sx(v), height - P.bottom);
    ctx.stroke();
    ctx.fillText(+v.toFixed(3), sx(v), height - P.bottom + 14);
  }
  ctx.textAlign = "right";
  for (const v of niceTicks(by[0], by[1], 6)) {
    ctx.beginPath();
    ctx.moveTo(P.left, sy(v));
    ctx.lineTo(width - P.right, sy(v));
    ctx.stroke();
    ctx.fillText(+v.toFixed(3), P.left - 5, sy(v) + 4);
  }
}

function pearson(xs, ys) {
  const n = xs.length;
  if (n < 2) return NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i];
    my += ys[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : NaN;
}

// Mid-ranks (ties share their average rank), as Spearman's rho needs.
function ranks(values) {
  const order = values.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
  const out = new Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k][1]] = rank;
    i = j + 1;
  }
  return out;
}
