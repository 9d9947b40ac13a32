// Renders the leaderboard from the JSON embedded in the page. User text only ever goes through
// textContent / setAttribute, never innerHTML, so a name holding markup shows as text.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("leaderboard-data").textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  // Okabe-Ito palette: distinguishable with the common colour-vision deficiencies
  var COLORS = { "real": "#0072B2", "generated": "#D55E00", "real+generated": "#009E73", "more data": "#CC79A7", "other": "#E69F00" };
  var W = 720, H = 480, M = { left: 62, right: 18, top: 16, bottom: 52 };
  var versions = Object.keys(DATA.releases);
  var state = { release: initialRelease(), sortKey: null, sortDir: 1, shift: null };

  function initialRelease() {
    var m = /release=([^&]+)/.exec(window.location.hash);
    var wanted = m ? decodeURIComponent(m[1]) : null;
    if (wanted && DATA.releases[wanted]) return wanted;
    var numbered = versions.filter(function (v) { return /^v\d+$/.test(v) && DATA.releases[v].entries.length; });
    if (numbered.length) return numbered[numbered.length - 1];
    var withEntries = versions.filter(function (v) { return DATA.releases[v].entries.length; });
    return withEntries.length ? withEntries[0] : versions[0];
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function sv(tag, attrs, text) {
    var node = document.createElementNS(SVGNS, tag);
    setAttrs(node, attrs);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function setAttrs(node, attrs) {
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function fmt(v, signed) { return v === null || v === undefined ? "\u2013" : (signed && v > 0 ? "+" : "") + v.toFixed(2).replace("-", "\u2212"); }
  function safeUrl(u) { return typeof u === "string" && /^https?:\/\//i.test(u) ? u : null; }
  function label(name) { return DATA.labels[name] || name; }
  function release() { return DATA.releases[state.release]; }
  function linearEr(entry, shift) { var e = entry.er[shift]; return e ? e.linear : null; }

  // ---- table ----
  function columns() {
    var cols = [
      { key: "rank", title: "#", get: function (e) { return e._rank; } },
      { key: "name", title: "Model", text: true, get: function (e) { return e.name.toLowerCase(); } },
      { key: "category", title: "Training data", text: true, get: function (e) { return e.category; } },
      { key: "imagenet", title: label("imagenet"), get: function (e) { return e.top1.imagenet; } }
    ];
    DATA.shifts.forEach(function (s) { cols.push({ key: s, title: label(s), shift: true, get: function (e) { return e.top1[s]; } }); });
    cols.push({ key: "avg_er", title: "Avg ER", signed: true, get: function (e) { return e.avg_er; } });
    return cols;
  }

  function sortedEntries(cols) {
    var entries = release().entries.map(function (e, i) { return Object.assign({ _rank: i + 1 }, e); });
    var col = cols.filter(function (c) { return c.key === state.sortKey; })[0];
    if (!col) return entries;
    return entries.slice().sort(function (a, b) {
      var x = col.get(a), y = col.get(b);
      var xm = x === null || x === undefined, ym = y === null || y === undefined;
      if (xm || ym) return xm === ym ? a._rank - b._rank : (xm ? 1 : -1); // missing values last either way
      if (x < y) return -state.sortDir;
      if (x > y) return state.sortDir;
      return a._rank - b._rank;
    });
  }

  function renderTable() {
    var cols = columns();
    var head = document.querySelector("#board thead"), body = document.querySelector("#board tbody");
    clear(head); clear(body);
    var tr = el("tr");
    cols.forEach(function (c) {
      var th = el("th", { scope: "col", "data-key": c.key, "class": c.text ? "text" : "", tabindex: 0 }, [c.title]);
      if (state.sortKey === c.key) th.setAttribute("aria-sort", state.sortDir > 0 ? "ascending" : "descending");
      th.addEventListener("click", function () { sortBy(c); });
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sortBy(c); } });
      tr.appendChild(th);
    });
    head.appendChild(tr);
    sortedEntries(cols).forEach(function (e) {
      var row = el("tr", { "data-slug": e.slug });
      row.appendChild(el("td", {}, [String(e._rank)]));
      row.appendChild(nameCell(e));
      row.appendChild(el("td", { "class": "text" }, [el("span", { "class": "dot", style: "background:" + (COLORS[e.category] || "#777") }), e.category]));
      row.appendChild(el("td", {}, [fmt(e.top1.imagenet)]));
      DATA.shifts.forEach(function (s) { row.appendChild(shiftCell(e, s)); });
      row.appendChild(el("td", {}, [fmt(e.avg_er, true)]));
      body.appendChild(row);
    });
    document.getElementById("empty").hidden = release().entries.length > 0;
  }

  function sortBy(col) {
    if (state.sortKey === col.key) state.sortDir = -state.sortDir;
    else { state.sortKey = col.key; state.sortDir = col.text || col.key === "rank" ? 1 : -1; }
    renderTable();
  }

  function nameCell(e) {
    var td = el("td", { "class": "text name" });
    var url = safeUrl(e.paper);
    td.appendChild(url ? el("a", { href: url, rel: "noopener noreferrer" }, [e.name]) : el("span", { "class": "model-name" }, [e.name]));
    if (e.is_standard) td.appendChild(el("span", { "class": "badge", title: "standard model: a baseline point of the ImageNet-G fit" }, ["standard"]));
    var sub = [e.model_id + " (" + e.model_source + ")"];
    if (e.submitted_by) sub.push("by " + e.submitted_by);
    var line = el("span", { "class": "sub" }, [sub.join(" \u00b7 ")]);
    var code = safeUrl(e.code);
    if (code) { line.appendChild(document.createTextNode(" \u00b7 ")); line.appendChild(el("a", { href: code, rel: "noopener noreferrer" }, ["code"])); }
    td.appendChild(line);
    return td;
  }

  function shiftCell(e, s) {
    var top1 = e.top1[s];
    var td = el("td", {}, [fmt(top1)]);
    var er = linearEr(e, s);
    if (top1 !== undefined && er) {
      var ci = er.ci_low === null ? "" : " (95% CI " + fmt(er.ci_low, true) + " to " + fmt(er.ci_high, true) + ")";
      var logit = e.er[s].logit ? "; logit-axis ER " + fmt(e.er[s].logit.er, true) : "";
      td.appendChild(el("span", { "class": "er" + (er.er >= 0.005 ? " pos" : er.er <= -0.005 ? " neg" : ""), title: "ER " + fmt(er.er, true) + ci + logit }, ["ER " + fmt(er.er, true)]));
    }
    return td;
  }

  // ---- plot ----
  function renderTabs() {
    var tabs = document.getElementById("plot-tabs");
    clear(tabs);
    DATA.shifts.forEach(function (s) {
      var b = el("button", { type: "button", "class": "tab", role: "tab", "data-shift": s, "aria-selected": "false" }, [label(s)]);
      b.addEventListener("click", function () { state.shift = s; renderTabs(); renderPlot(); });
      if (s === currentShift()) b.setAttribute("aria-selected", "true");
      tabs.appendChild(b);
    });
  }

  // the logit-axis fit of Taori et al. 2020 on accuracy fractions, clipped like imagenet_g.robustness
  function logit(pct) { var p = Math.min(Math.max(pct / 100, 1e-6), 1 - 1e-6); return Math.log(p / (1 - p)); }
  function invLogit(z) { return 100 / (1 + Math.exp(-z)); }

  function niceStep(span) {
    var steps = [1, 2, 5, 10, 20, 25];
    for (var i = 0; i < steps.length; i++) if (span / steps[i] <= 8) return steps[i];
    return 25;
  }
  function domain(values) {
    if (!values.length) return [0, 100];
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    var pad = Math.max((hi - lo) * 0.08, 1.5);
    lo = Math.max(0, lo - pad); hi = Math.min(100, hi + pad);
    var step = niceStep(hi - lo);
    return [Math.max(0, Math.floor(lo / step) * step), Math.min(100, Math.ceil(hi / step) * step)];
  }

  // the tab the reader picked; until then ImageNet-G, or the first natural shift when no entry has ImageNet-G
  function currentShift() {
    if (state.shift) return state.shift;
    var g = release().entries.some(function (e) { return e.top1.imagenet !== undefined && e.top1["imagenet-g"] !== undefined; });
    return g ? "imagenet-g" : DATA.shifts.filter(function (s) { return DATA.reference[s]; })[0] || "imagenet-g";
  }

  function renderPlot() {
    var rel = release(), shift = currentShift(), fit = rel.fits[shift], control = fit.control;
    var ref = DATA.reference[shift];
    var refPts = ref ? ref.points : [];
    var entries = rel.entries.filter(function (e) { return e.top1[control] !== undefined && e.top1[shift] !== undefined; });
    var xs = refPts.map(function (p) { return p.x; }).concat(entries.map(function (e) { return e.top1[control]; }));
    var ys = refPts.map(function (p) { return p.y; }).concat(entries.map(function (e) { return e.top1[shift]; }));
    var dx = domain(xs), dy = domain(ys);
    var px = function (v) { return M.left + (v - dx[0]) / (dx[1] - dx[0]) * (W - M.left - M.right); };
    var py = function (v) { return H - M.bottom - (v - dy[0]) / (dy[1] - dy[0]) * (H - M.top - M.bottom); };
    var svg = document.getElementById("plot");
    clear(svg);
    var clip = sv("clipPath", { id: "plot-clip" });
    clip.appendChild(sv("rect", { x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom }));
    svg.appendChild(clip);
    drawAxes(svg, dx, dy, px, py, label(control) + " top-1 (%)", label(shift) + " top-1 (%)");
    var lines = sv("g", { "clip-path": "url(#plot-clip)" });
    var lo = Math.min(dx[0], dy[0]), hi = Math.max(dx[1], dy[1]);
    lines.appendChild(sv("line", { "class": "diag", x1: px(lo), y1: py(lo), x2: px(hi), y2: py(hi) }));
    var lin = fit.lines.linear;
    if (lin) lines.appendChild(sv("line", { "class": "fit", x1: px(dx[0]), y1: py(lin.slope * dx[0] + lin.intercept), x2: px(dx[1]), y2: py(lin.slope * dx[1] + lin.intercept) }));
    var lg = fit.lines.logit;
    if (lg) {
      var pts = [];
      for (var i = 0; i <= 80; i++) { var x = dx[0] + (dx[1] - dx[0]) * i / 80; pts.push(px(x) + "," + py(invLogit(lg.slope * logit(x) + lg.intercept))); }
      lines.appendChild(sv("polyline", { "class": "fit-logit", points: pts.join(" "), fill: "none" }));
    }
    svg.appendChild(lines);
    var refG = sv("g", { "class": "reference" });
    refPts.forEach(function (p) {
      var c = sv("circle", { "class": "pt-ref", cx: px(p.x), cy: py(p.y), r: 3.6 });
      hover(c, [p.name, "reference point: " + ref.source, label(control) + ": " + fmt(p.x), label(shift) + ": " + fmt(p.y)]);
      refG.appendChild(c);
    });
    svg.appendChild(refG);
    var entG = sv("g", { "class": "entries" });
    entries.forEach(function (e) {
      var c = sv("circle", { "class": "pt-entry" + (e.is_standard ? " standard" : ""), "data-slug": e.slug, cx: px(e.top1[control]), cy: py(e.top1[shift]), r: 6, fill: COLORS[e.category] || "#777", tabindex: 0 });
      var er = linearEr(e, shift);
      hover(c, [e.name, e.model_id + " \u00b7 " + e.category + (e.is_standard ? " \u00b7 standard" : ""),
        label(control) + ": " + fmt(e.top1[control]), label(shift) + ": " + fmt(e.top1[shift]) + (er ? " (ER " + fmt(er.er, true) + ")" : "")]);
      entG.appendChild(c);
    });
    svg.appendChild(entG);
    caption(rel, shift, fit, ref, entries.length);
  }

  function drawAxes(svg, dx, dy, px, py, xTitle, yTitle) {
    var g = sv("g", { "class": "axis" });
    var sx = niceStep(dx[1] - dx[0]), sy = niceStep(dy[1] - dy[0]);
    for (var x = dx[0]; x <= dx[1] + 1e-9; x += sx) {
      g.appendChild(sv("line", { "class": "grid", x1: px(x), x2: px(x), y1: M.top, y2: H - M.bottom }));
      g.appendChild(sv("text", { x: px(x), y: H - M.bottom + 18, "text-anchor": "middle" }, String(x)));
    }
    for (var y = dy[0]; y <= dy[1] + 1e-9; y += sy) {
      g.appendChild(sv("line", { "class": "grid", y1: py(y), y2: py(y), x1: M.left, x2: W - M.right }));
      g.appendChild(sv("text", { x: M.left - 8, y: py(y) + 4, "text-anchor": "end" }, String(y)));
    }
    g.appendChild(sv("rect", { x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom, fill: "none", stroke: "#c3c9d3" }));
    g.appendChild(sv("text", { "class": "axis-label", x: (M.left + W - M.right) / 2, y: H - 12, "text-anchor": "middle" }, xTitle));
    g.appendChild(sv("text", { "class": "axis-label", transform: "rotate(-90)", x: -(M.top + H - M.bottom) / 2, y: 18, "text-anchor": "middle" }, yTitle));
    svg.appendChild(g);
  }

  function hover(node, lines) {
    node.appendChild(sv("title", {}, lines.join("\n")));
    var tip = document.getElementById("tooltip");
    function show() {
      clear(tip);
      tip.appendChild(el("strong", {}, [lines[0]]));
      lines.slice(1).forEach(function (l) { tip.appendChild(el("div", {}, [l])); });
      var area = tip.parentNode.getBoundingClientRect(), box = node.getBoundingClientRect();
      tip.hidden = false;
      var left = box.left - area.left + box.width + 8;
      if (left + tip.offsetWidth > area.width) left = box.left - area.left - tip.offsetWidth - 8;
      tip.style.left = Math.max(0, left) + "px";
      tip.style.top = Math.max(0, box.top - area.top - 8) + "px";
    }
    function hide() { tip.hidden = true; }
    node.addEventListener("mouseenter", show);
    node.addEventListener("focus", show);
    node.addEventListener("mouseleave", hide);
    node.addEventListener("blur", hide);
  }

  function caption(rel, shift, fit, ref, plotted) {
    var parts = [];
    if (fit.lines.linear) parts.push("Solid line: linear fit y = " + fit.lines.linear.slope.toFixed(3) + "x " + (fit.lines.linear.intercept < 0 ? "\u2212 " : "+ ") + Math.abs(fit.lines.linear.intercept).toFixed(2) + " on " + fit.n_baselines + " baseline points (" + fit.source + ").");
    if (fit.lines.logit) parts.push("Dashed curve: the logit-axis fit (Taori et al. 2020).");
    parts.push("Dotted: y = x.");
    if (ref) parts.push("Hollow grey points: imagenet-testbed reference models.");
    var missing = rel.entries.length - plotted;
    if (missing) parts.push(missing + " of " + rel.entries.length + " entries lack a " + label(fit.control) + " or " + label(shift) + " accuracy and are not plotted.");
    document.getElementById("plot-caption").textContent = parts.join(" ");
    var status = document.getElementById("plot-status");
    status.hidden = !!fit.lines.linear;
    status.textContent = fit.lines.linear ? "" : "Not enough baselines for the " + label(shift) + " fit: " + fit.n_baselines + " of " + fit.min_baselines +
      " standard models needed (" + fit.source + "). Submit standard models with --standard to enable the fit and ER.";
    var legend = document.getElementById("legend");
    clear(legend);
    Object.keys(COLORS).forEach(function (cat) {
      if (!rel.entries.some(function (e) { return e.category === cat; })) return;
      legend.appendChild(legendItem(sv("circle", { cx: 6, cy: 6, r: 5, fill: COLORS[cat] }), cat));
    });
    if (shift === "imagenet-g" && rel.entries.some(function (e) { return e.is_standard; })) {
      legend.appendChild(legendItem(sv("circle", { cx: 6, cy: 6, r: 4.5, fill: "#fff", stroke: "#1d2330", "stroke-width": 1.6 }), "standard entry (fit baseline)"));
    }
    if (ref) legend.appendChild(legendItem(sv("circle", { cx: 6, cy: 6, r: 4, "class": "pt-ref", fill: "#fff", stroke: "#9aa3b2" }), "reference (imagenet-testbed)"));
    if (fit.lines.linear) legend.appendChild(legendItem(sv("line", { x1: 0, y1: 6, x2: 12, y2: 6, stroke: "#333", "stroke-width": 1.6 }), "linear fit"));
    if (fit.lines.logit) legend.appendChild(legendItem(sv("line", { x1: 0, y1: 6, x2: 12, y2: 6, stroke: "#8a6d3b", "stroke-width": 1.6, "stroke-dasharray": "4 3" }), "logit fit"));
  }
  function legendItem(mark, text) {
    var s = sv("svg", { width: 12, height: 12, viewBox: "0 0 12 12" });
    s.appendChild(mark);
    return el("span", {}, [s, text]);
  }

  // ---- reference points ----
  function renderReference() {
    document.getElementById("reference-note").textContent = DATA.reference_note;
    var refs = Object.keys(DATA.reference).map(function (k) { return DATA.reference[k]; });
    var cols = [], rows = {};
    refs.forEach(function (r) {
      [r.control, r.shift].forEach(function (c) { if (cols.indexOf(c) < 0) cols.push(c); });
      r.points.forEach(function (p) { rows[p.name] = rows[p.name] || {}; rows[p.name][r.control] = p.x; rows[p.name][r.shift] = p.y; });
    });
    var table = document.getElementById("reference-table");
    var head = el("tr", {}, [el("th", { "class": "text", scope: "col" }, ["Model"])]);
    cols.forEach(function (c) { head.appendChild(el("th", { scope: "col" }, [label(c)])); });
    table.appendChild(el("thead", {}, [head]));
    var body = el("tbody");
    Object.keys(rows).sort(function (a, b) { return a.toLowerCase() < b.toLowerCase() ? -1 : 1; }).forEach(function (name) {
      var tr = el("tr", {}, [el("td", { "class": "text" }, [name])]);
      cols.forEach(function (c) { tr.appendChild(el("td", {}, [fmt(rows[name][c])])); });
      body.appendChild(tr);
    });
    table.appendChild(body);
    document.getElementById("reference-count").textContent = String(Object.keys(rows).length);
  }

  // ---- release selector ----
  function renderRelease() {
    var rel = release();
    var info = rel.entries.length + (rel.entries.length === 1 ? " entry" : " entries");
    if (rel.spec_hash) info += " \u00b7 spec hash " + rel.spec_hash.slice(0, 12);
    document.getElementById("release-info").textContent = info;
    renderTable();
    renderTabs();
    renderPlot();
  }
  var select = document.getElementById("release");
  renderReference();
  if (!versions.length) {  // a board with no release folder yet: say so instead of drawing empty frames
    var empty = document.getElementById("empty");
    empty.textContent = "No releases on this board yet: add a submission with `imagenet-g leaderboard add`.";
    empty.hidden = false;
    select.disabled = true;
    return;
  }
  versions.forEach(function (v) { select.appendChild(el("option", { value: v }, [v])); });
  select.value = state.release;
  select.addEventListener("change", function () {
    state.release = select.value;
    history.replaceState(null, "", "#release=" + encodeURIComponent(state.release));
    renderRelease();
  });
  renderRelease();
})();
