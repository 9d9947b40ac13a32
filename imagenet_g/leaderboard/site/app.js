// Renders the leaderboard from the JSON embedded in the page. User text only ever goes through
// textContent / setAttribute, never innerHTML, so a name holding markup shows as text.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("leaderboard-data").textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  // Okabe-Ito palette: distinguishable with the common colour-vision deficiencies
  var COLORS = { "real": "#0072B2", "generated": "#D55E00", "real+generated": "#009E73", "more data": "#CC79A7", "other": "#E69F00" };
  var W = 720, H = 480, M = { left: 62, right: 18, top: 16, bottom: 52 };
  var PAGE_SIZES = [50, 100, 500];
  var versions = Object.keys(DATA.releases);
  var rankKeys = DATA.ranks.map(function (r) { return r.key; });
  var fragment = parseFragment(window.location.hash);
  var state = {
    release: versions.indexOf(fragment.release) >= 0 ? fragment.release : defaultRelease(),
    rank: rankKeys.indexOf(fragment.rank) >= 0 ? fragment.rank : DATA.default_rank,
    sortKey: null, sortDir: 1, shift: null, filter: "", category: "", source: "", page: 0, pageSize: PAGE_SIZES[0]
  };
  var cache = {};

  // "#release=v1&rank=er-imagenet-r": every value is looked up among the known names, never used as a key
  function parseFragment(hash) {
    var out = {};
    String(hash || "").replace(/^#/, "").split("&").forEach(function (part) {
      var i = part.indexOf("=");
      if (i <= 0) return;
      var value;
      try { value = decodeURIComponent(part.slice(i + 1)); } catch (e) { return; }  // malformed %-escape
      var key = part.slice(0, i);
      if (key === "release" || key === "rank") out[key] = value;
    });
    return out;
  }
  function writeFragment() {
    history.replaceState(null, "", "#release=" + encodeURIComponent(state.release) + "&rank=" + encodeURIComponent(state.rank));
  }
  function defaultRelease() {
    var numbered = versions.filter(function (v) { return /^v\d+$/.test(v); });
    return numbered.length ? numbered[numbered.length - 1] : versions[0];
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
  function has(obj, key) { return Object.prototype.hasOwnProperty.call(obj, key); }
  function fmt(v, signed) { return v === null || v === undefined ? "\u2013" : (signed && v > 0 ? "+" : "") + v.toFixed(2).replace("-", "\u2212"); }
  function erText(v, outside) {
    if (!v) return "\u2013";
    var t = fmt(v.er, true);
    if (v.ci_low !== null && v.ci_high !== null) t += " [" + fmt(v.ci_low, true) + ", " + fmt(v.ci_high, true) + "]";
    return t + (outside > 0 ? "\u2020" : "");
  }
  function safeUrl(u) { return typeof u === "string" && /^https?:\/\//i.test(u) ? u : null; }
  function label(name) { return has(DATA.labels, name) ? DATA.labels[name] : name; }
  function release() { return DATA.releases[state.release]; }
  function currentRank() { return DATA.ranks[rankKeys.indexOf(state.rank)]; }
  function sourceTitle(e) { return e.origin === "submission" ? "submission (re-run with imagenet-g)" : (has(DATA.sources, e.source) ? DATA.sources[e.source].title : e.source); }

  // ---- ranking (mirrors imagenet_g.leaderboard.rank) ----
  function unrankedReason(e, rank) {
    var missing = rank.shifts.filter(function (s) { return !has(e.er, s); });
    if (missing.length) return "no ER on " + missing.map(label).join(", ");
    var far = rank.shifts.filter(function (s) { return e.er[s].outside > rank.max_outside; });
    if (far.length) return "control accuracy more than " + rank.max_outside + " pp outside the baseline range on " + far.map(label).join(", ");
    return null;
  }
  function rankValue(e, rank) {
    if (unrankedReason(e, rank)) return null;
    if (rank.shifts.length === 1) return e.er[rank.shifts[0]].linear;
    return has(e.scores, rank.key) ? e.scores[rank.key] : null;
  }
  function rankOutside(e, rank) {
    return Math.max.apply(null, [0].concat(rank.shifts.filter(function (s) { return has(e.er, s); }).map(function (s) { return e.er[s].outside; })));
  }
  function byName(a, b) {
    var x = a.name.toLowerCase(), y = b.name.toLowerCase();
    return x < y ? -1 : x > y ? 1 : (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0);
  }
  // every row of the release (its submissions and the published rows) with its place under the rank
  function rankedRows() {
    var key = state.release + "\u0000" + state.rank;
    if (cache[key]) return cache[key];
    var rank = currentRank(), ranked = [], unranked = [];
    release().entries.concat(DATA.published).forEach(function (e) {
      var v = rankValue(e, rank);
      var row = { e: e, score: v, reason: v ? null : unrankedReason(e, rank), outside: rankOutside(e, rank), place: null };
      (v ? ranked : unranked).push(row);
    });
    ranked.sort(function (a, b) { return b.score.er - a.score.er || byName(a.e, b.e); });
    unranked.sort(function (a, b) { return byName(a.e, b.e); });
    ranked.forEach(function (r, i) { r.place = i + 1; });
    cache[key] = { rows: ranked.concat(unranked), ranked: ranked.length };
    return cache[key];
  }

  // ---- table ----
  function columns() {
    var rank = currentRank();
    var cols = [
      { key: "place", title: "#", cls: "rank-col", get: function (r) { return r.place; } },
      { key: "name", title: "Model", text: true, cls: "name", get: function (r) { return r.e.name.toLowerCase(); } },
      { key: "score", title: rank.title, cls: "score", headline: true, get: function (r) { return r.score ? r.score.er : null; } },
      { key: "imagenet", title: label("imagenet"), get: function (r) { return r.e.top1.imagenet; } }
    ];
    DATA.shifts.forEach(function (s) { cols.push({ key: s, title: label(s), shift: true, get: function (r) { return r.e.top1[s]; } }); });
    cols.push({ key: "category", title: "Training data", text: true, get: function (r) { return r.e.category; } });
    cols.push({ key: "source", title: "Source", text: true, get: function (r) { return r.e.source; } });
    return cols;
  }

  function visibleRows(cols) {
    var needle = state.filter.trim().toLowerCase();
    var rows = rankedRows().rows.filter(function (r) {
      if (state.category && r.e.category !== state.category) return false;
      if (state.source && r.e.source !== state.source) return false;
      if (!needle) return true;
      return (r.e.name + "\u0000" + r.e.model_id + "\u0000" + r.e.source).toLowerCase().indexOf(needle) >= 0;
    });
    var col = cols.filter(function (c) { return c.key === state.sortKey; })[0];
    if (!col) return rows;
    return rows.slice().sort(function (a, b) {
      var x = col.get(a), y = col.get(b);
      var xm = x === null || x === undefined, ym = y === null || y === undefined;
      if (xm || ym) return xm === ym ? 0 : (xm ? 1 : -1); // missing values last either way
      if (x < y) return -state.sortDir;
      if (x > y) return state.sortDir;
      return 0;
    });
  }

  function renderTable() {
    var cols = columns();
    var head = document.querySelector("#board thead"), body = document.querySelector("#board tbody");
    clear(head); clear(body);
    var tr = el("tr");
    cols.forEach(function (c) {
      var cls = [c.text ? "text" : "", c.cls || ""].join(" ").trim();
      var th = el("th", { scope: "col", "data-key": c.key, "class": cls, tabindex: 0 }, [c.title]);
      if (state.sortKey === c.key) th.setAttribute("aria-sort", state.sortDir > 0 ? "ascending" : "descending");
      th.addEventListener("click", function () { sortBy(c); });
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sortBy(c); } });
      tr.appendChild(th);
    });
    head.appendChild(tr);
    var rows = visibleRows(cols);
    var pages = Math.max(1, Math.ceil(rows.length / state.pageSize));
    state.page = Math.min(state.page, pages - 1);
    rows.slice(state.page * state.pageSize, (state.page + 1) * state.pageSize).forEach(function (r) { body.appendChild(renderRow(r)); });
    renderPager(rows.length, pages);
    var all = rankedRows();
    document.getElementById("empty").hidden = release().entries.length > 0;
    document.getElementById("count").textContent = rows.length + " of " + all.rows.length + " rows shown (" + all.ranked + " ranked under this rank; " +
      release().entries.length + " submission" + (release().entries.length === 1 ? "" : "s") + ", " + DATA.published.length + " published).";
  }

  function renderRow(r) {
    var e = r.e;
    var row = el("tr", { "data-slug": e.slug, "class": e.origin });
    row.appendChild(el("td", { "class": "rank-col" }, [r.place === null ? "\u2013" : String(r.place)]));
    row.appendChild(nameCell(e));
    var score = el("td", { "class": "score" }, [r.score ? erText(r.score, r.outside) : "unranked"]);
    if (!r.score) { score.className = "score unranked"; score.setAttribute("title", r.reason); score.appendChild(el("span", { "class": "sub" }, [r.reason])); }
    row.appendChild(score);
    row.appendChild(el("td", {}, [fmt(e.top1.imagenet)]));
    DATA.shifts.forEach(function (s) { row.appendChild(shiftCell(e, s)); });
    row.appendChild(el("td", { "class": "text" }, [el("span", { "class": "dot", style: "background:" + (has(COLORS, e.category) ? COLORS[e.category] : "#777") }), e.category]));
    row.appendChild(el("td", { "class": "text" }, [e.origin === "submission" ? "submission" : e.source]));
    return row;
  }

  function sortBy(col) {
    if (state.sortKey === col.key) state.sortDir = -state.sortDir;
    else { state.sortKey = col.key; state.sortDir = col.text || col.key === "place" ? 1 : -1; }
    state.page = 0;
    renderTable();
  }

  function renderPager(total, pages) {
    var pager = document.getElementById("pager");
    clear(pager);
    var prev = el("button", { type: "button", id: "prev-page" }, ["\u2039 Previous"]);
    var next = el("button", { type: "button", id: "next-page" }, ["Next \u203a"]);
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
    prev.addEventListener("click", function () { state.page -= 1; renderTable(); });
    next.addEventListener("click", function () { state.page += 1; renderTable(); });
    var size = el("select", { "aria-label": "rows per page" });
    PAGE_SIZES.forEach(function (n) { size.appendChild(el("option", { value: n }, [n + " per page"])); });
    size.value = String(state.pageSize);
    size.addEventListener("change", function () { state.pageSize = Number(size.value); state.page = 0; renderTable(); });
    pager.appendChild(prev);
    pager.appendChild(el("span", { id: "page-info" }, ["Page " + (state.page + 1) + " of " + pages]));
    pager.appendChild(next);
    pager.appendChild(size);
  }

  function nameCell(e) {
    var td = el("td", { "class": "text name" });
    var url = safeUrl(e.paper);
    var title = url ? el("a", { href: url, rel: "noopener noreferrer" }, [e.name]) : el("span", { "class": "model-name" }, [e.name]);
    td.appendChild(title);
    if (e.origin === "submission") td.appendChild(el("span", { "class": "badge rerun", title: "submission: re-run by its submitter with imagenet-g" }, ["re-run"]));
    else td.appendChild(el("span", { "class": "badge published", title: "published numbers from " + sourceTitle(e) + ", not re-run by imagenet-g" }, ["published"]));
    if (e.is_standard) td.appendChild(el("span", { "class": "badge", title: "standard model: a baseline point of the ImageNet-G fit" }, ["standard"]));
    if (e.tta === "flip") td.appendChild(el("span", { "class": "badge", title: "test-time augmentation: scored on each image and its horizontal flip, logits summed" }, ["flip TTA"]));
    var details = el("details", { "class": "more" }, [el("summary", {}, ["details"])]);
    details.addEventListener("toggle", function () { if (details.open && details.childNodes.length === 1) fillDetails(details, e); });
    td.appendChild(details);
    return td;
  }

  function fillDetails(details, e) {
    var dl = el("dl");
    function item(term, value) { if (value === null || value === undefined || value === "") return; dl.appendChild(el("dt", {}, [term])); dl.appendChild(el("dd", {}, [typeof value === "string" ? value : value])); }
    item("Model id", e.model_id + " (" + e.model_source + ")");
    var src = has(DATA.sources, e.source) ? DATA.sources[e.source] : null;
    item("Source", src ? src.title + " \u00b7 " + src.license + " \u00b7 " + src.version : "submission file " + (e.file || ""));
    if (e.model_type) item("Type in the source table", e.model_type);
    item("Precision", e.precision || (src ? "not stated by the source" : "not recorded"));
    item("Test-time augmentation", e.tta === "flip" ? "flip: logits of each image and its horizontal flip, summed" : e.tta === "none" ? "none (one view per image)" : (src ? "not stated by the source" : "not recorded"));
    var pre = Object.keys(e.preprocess).map(function (k) { return k + ": " + JSON.stringify(e.preprocess[k]); }).join("; ");
    item("Preprocessing", pre || (src ? "not in the published table" : "not recorded"));
    var logit = DATA.shifts.filter(function (s) { return has(e.er, s); }).map(function (s) { return label(s) + " " + erText(e.er[s].logit, e.er[s].outside); });
    if (logit.length) item("Logit-axis ER", logit.join("; "));
    var far = DATA.shifts.filter(function (s) { return has(e.er, s) && e.er[s].outside > 0; }).map(function (s) { return label(s) + " (" + fmt(e.er[s].outside) + " pp)"; });
    if (far.length) item("Extrapolated (control outside the baseline range)", far.join("; "));
    if (e.submitted_by) item("Submitted by", e.submitted_by);
    var code = safeUrl(e.code);
    if (code) { dl.appendChild(el("dt", {}, ["Code"])); dl.appendChild(el("dd", {}, [el("a", { href: code, rel: "noopener noreferrer" }, [code])])); }
    details.appendChild(dl);
  }

  function shiftCell(e, s) {
    var top1 = e.top1[s];
    var td = el("td", {}, [fmt(top1)]);
    var er = has(e.er, s) ? e.er[s] : null;
    if (top1 !== undefined && er) {
      var cls = "er" + (er.linear.er >= 0.005 ? " pos" : er.linear.er <= -0.005 ? " neg" : "");
      var note = er.outside > 0 ? "; extrapolated: control " + fmt(er.outside) + " pp outside the baseline range" : "";
      td.appendChild(el("span", { "class": cls, title: "ER " + erText(er.linear, 0) + " (95% interval); logit-axis ER " + erText(er.logit, 0) + note }, ["ER " + erText(er.linear, er.outside)]));
    }
    return td;
  }

  // ---- filters ----
  function renderFilters() {
    var cat = document.getElementById("category");
    var cats = [];
    release().entries.concat(DATA.published).forEach(function (e) { if (cats.indexOf(e.category) < 0) cats.push(e.category); });
    clear(cat);
    cat.appendChild(el("option", { value: "" }, ["all"]));
    cats.sort().forEach(function (c) { cat.appendChild(el("option", { value: c }, [c])); });
    if (cats.indexOf(state.category) < 0) state.category = "";
    cat.value = state.category;
    var src = document.getElementById("source");
    clear(src);
    src.appendChild(el("option", { value: "" }, ["all"]));
    src.appendChild(el("option", { value: "submission" }, ["submissions (re-run)"]));
    Object.keys(DATA.sources).forEach(function (k) { src.appendChild(el("option", { value: k }, [DATA.sources[k].title])); });
    src.value = state.source;
    var rank = document.getElementById("rank");
    clear(rank);
    DATA.ranks.forEach(function (r) { rank.appendChild(el("option", { value: r.key }, [r.title])); });
    rank.value = state.rank;
    describeRank();
  }
  function describeRank() {
    var r = currentRank();
    document.getElementById("rank-note").textContent = "Ranked by " + r.title.charAt(0).toLowerCase() + r.title.slice(1) +
      " (linear fit, percentage points, 95% bootstrap interval over the baseline models). Rows without ER on " +
      (r.shifts.length === 1 ? "it" : "one of these sets") + ", or whose control accuracy lies more than " + r.max_outside +
      " pp outside a fit's baseline range, are listed unranked with the reason. \u2020: ER extrapolated beyond the baseline range." +
      (r.key === DATA.default_rank ? " This is the board's default rank." : "");
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
    var pad = Math.max((hi - lo) * 0.04, 1.5);
    lo = Math.max(0, lo - pad); hi = Math.min(100, hi + pad);
    var step = niceStep(hi - lo);
    return [Math.max(0, Math.floor(lo / step) * step), Math.min(100, Math.ceil(hi / step) * step)];
  }

  // the tab the reader picked; until then the first shift set of the current rank
  function currentShift() {
    return state.shift || currentRank().shifts[0];
  }

  function renderPlot() {
    var rel = release(), shift = currentShift(), fit = rel.fits[shift], control = fit.control;
    function on(e) { return e.top1[control] !== undefined && e.top1[shift] !== undefined; }
    var pub = DATA.published.filter(on);
    var entries = rel.entries.filter(on);
    var xs = pub.map(function (e) { return e.top1[control]; }).concat(entries.map(function (e) { return e.top1[control]; }));
    var ys = pub.map(function (e) { return e.top1[shift]; }).concat(entries.map(function (e) { return e.top1[shift]; }));
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
    var pubG = sv("g", { "class": "published" });
    pub.forEach(function (e) {
      var c = sv("circle", { "class": "pt-pub", cx: px(e.top1[control]), cy: py(e.top1[shift]), r: 2.2 });
      c.appendChild(sv("title", {}, e.name + " (" + e.source + "): " + fmt(e.top1[control]) + ", " + fmt(e.top1[shift])));
      pubG.appendChild(c);
    });
    svg.appendChild(pubG);
    var ref = DATA.reference[shift];
    var refG = sv("g", { "class": "reference" });
    (ref ? ref.points : []).forEach(function (p) {
      refG.appendChild(sv("circle", { "class": "pt-ref", cx: px(p.x), cy: py(p.y), r: 3.4 }));
    });
    svg.appendChild(refG);
    var entG = sv("g", { "class": "entries" });
    entries.forEach(function (e) {
      var c = sv("circle", { "class": "pt-entry" + (e.is_standard ? " standard" : ""), "data-slug": e.slug, cx: px(e.top1[control]), cy: py(e.top1[shift]), r: 6, fill: has(COLORS, e.category) ? COLORS[e.category] : "#777", tabindex: 0 });
      var er = has(e.er, shift) ? e.er[shift].linear : null;
      hover(c, [e.name, e.model_id + " \u00b7 " + e.category + (e.is_standard ? " \u00b7 standard" : ""),
        label(control) + ": " + fmt(e.top1[control]), label(shift) + ": " + fmt(e.top1[shift]) + (er ? " (ER " + erText(er, 0) + ")" : "")]);
      entG.appendChild(c);
    });
    svg.appendChild(entG);
    caption(rel, shift, fit, ref, entries.length, pub.length);
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

  function caption(rel, shift, fit, ref, plotted, published) {
    var parts = [];
    if (fit.lines.linear) parts.push("Solid line: linear fit y = " + fit.lines.linear.slope.toFixed(3) + "x " + (fit.lines.linear.intercept < 0 ? "\u2212 " : "+ ") + Math.abs(fit.lines.linear.intercept).toFixed(2) + " on " + fit.n_baselines + " baseline points (" + fit.source + ").");
    if (fit.lines.logit) parts.push("Dashed curve: the logit-axis fit (Taori et al. 2020).");
    parts.push("Dotted: y = x.");
    if (published) parts.push("Small grey points: " + published + " published rows; hollow: the fit's baseline points.");
    var missing = rel.entries.length - plotted;
    if (missing) parts.push(missing + " of " + rel.entries.length + " submissions lack a " + label(fit.control) + " or " + label(shift) + " accuracy and are not plotted.");
    document.getElementById("plot-caption").textContent = parts.join(" ");
    var status = document.getElementById("plot-status");
    status.hidden = !!fit.lines.linear;
    status.textContent = fit.lines.linear ? "" : "No " + label(shift) + " fit: " + fit.status + " (" + fit.n_baselines + " standard models, " +
      fit.source + "). Submit standard models with --standard (or a sweep with --from-sweep) to enable the fit and ER.";
    var legend = document.getElementById("legend");
    clear(legend);
    Object.keys(COLORS).forEach(function (cat) {
      if (!rel.entries.some(function (e) { return e.category === cat; })) return;
      legend.appendChild(legendItem(sv("circle", { cx: 6, cy: 6, r: 5, fill: COLORS[cat] }), cat));
    });
    if (published) legend.appendChild(legendItem(sv("circle", { cx: 6, cy: 6, r: 2.5, "class": "pt-pub", fill: "#b8bec9" }), "published row"));
    if (ref) legend.appendChild(legendItem(sv("circle", { cx: 6, cy: 6, r: 4, fill: "none", stroke: "#59606d" }), "baseline point (imagenet-testbed STANDARD)"));
    if (fit.lines.linear) legend.appendChild(legendItem(sv("line", { x1: 0, y1: 6, x2: 12, y2: 6, stroke: "#333", "stroke-width": 1.6 }), "linear fit"));
    if (fit.lines.logit) legend.appendChild(legendItem(sv("line", { x1: 0, y1: 6, x2: 12, y2: 6, stroke: "#8a6d3b", "stroke-width": 1.6, "stroke-dasharray": "4 3" }), "logit fit"));
  }
  function legendItem(mark, text) {
    var s = sv("svg", { width: 12, height: 12, viewBox: "0 0 12 12" });
    s.appendChild(mark);
    return el("span", {}, [s, text]);
  }

  // ---- sources ----
  function renderSources() {
    var table = document.getElementById("sources-table");
    var head = el("tr", {}, ["Source", "Rows", "Version", "License", "Notes"].map(function (t) { return el("th", { "class": "text", scope: "col" }, [t]); }));
    table.appendChild(el("thead", {}, [head]));
    var body = el("tbody");
    Object.keys(DATA.sources).forEach(function (k) {
      var s = DATA.sources[k], url = safeUrl(s.url);
      body.appendChild(el("tr", {}, [
        el("td", { "class": "text" }, [url ? el("a", { href: url, rel: "noopener noreferrer" }, [s.title]) : s.title]),
        el("td", {}, [String(s.rows)]), el("td", { "class": "text" }, [s.version]), el("td", { "class": "text" }, [s.license]),
        el("td", { "class": "text wrap" }, [s.note])]));
    });
    table.appendChild(body);
  }

  // ---- wiring ----
  function renderRelease() {
    var rel = release();
    var info = rel.entries.length + (rel.entries.length === 1 ? " submission" : " submissions");
    if (rel.spec_hash) info += " \u00b7 spec hash " + rel.spec_hash.slice(0, 12);
    document.getElementById("release-info").textContent = info;
    renderFilters();
    renderTable();
    renderTabs();
    renderPlot();
  }
  var select = document.getElementById("release");
  renderSources();
  if (!versions.length) {  // a board with no release folder yet: say so instead of drawing empty frames
    var empty = document.getElementById("empty");
    empty.textContent = "No releases on this board yet: add a submission with `imagenet-g leaderboard add`.";
    empty.hidden = false;
    select.disabled = true;
    return;
  }
  versions.forEach(function (v) { select.appendChild(el("option", { value: v }, [v])); });
  select.value = state.release;
  select.addEventListener("change", function () { state.release = select.value; state.page = 0; writeFragment(); renderRelease(); });
  document.getElementById("rank").addEventListener("change", function (ev) {
    state.rank = ev.target.value; state.sortKey = null; state.page = 0; state.shift = null; writeFragment(); describeRank(); renderTable(); renderTabs(); renderPlot();
  });
  document.getElementById("category").addEventListener("change", function (ev) { state.category = ev.target.value; state.page = 0; renderTable(); });
  document.getElementById("source").addEventListener("change", function (ev) { state.source = ev.target.value; state.page = 0; renderTable(); });
  var typing = null;
  document.getElementById("filter").addEventListener("input", function (ev) {
    clearTimeout(typing);
    typing = setTimeout(function () { state.filter = ev.target.value; state.page = 0; renderTable(); }, 120);
  });
  renderRelease();
})();
