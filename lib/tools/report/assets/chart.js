// Draws the replay report from the embedded JSON: the events table and one SVG chart per app and metric.
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var W = 960, H = 270, M = { top: 14, right: 56, bottom: 28, left: 60 };
  var plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    for (var key in attrs) node.setAttribute(key, String(attrs[key]));
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, content, attrs) {
    var node = el('text', Object.assign({ x: x, y: y }, attrs || {}), parent);
    node.textContent = content;
    return node;
  }
  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function clock(t) {
    var d = new Date(t);
    return pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes());
  }
  function stamp(t) { return new Date(t).toISOString().slice(0, 19).replace('T', ' '); }

  // Round tick steps (1, 2, 5 × 10^n) so axis labels read naturally.
  function niceStep(span, count) {
    var raw = span / Math.max(1, count);
    var mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (raw <= steps[i] * mag) return steps[i] * mag;
    return 10 * mag;
  }
  var TIME_STEPS = [60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 10800e3, 21600e3, 43200e3, 86400e3];
  function timeStep(span) {
    for (var i = 0; i < TIME_STEPS.length; i++) if (span / TIME_STEPS[i] <= 10) return TIME_STEPS[i];
    return TIME_STEPS[TIME_STEPS.length - 1];
  }

  function drawTable() {
    var body = document.querySelector('#events tbody');
    if (data.rows.length === 0) {
      var tr = document.createElement('tr');
      var td = document.createElement('td');
      td.colSpan = 6;
      td.className = 'empty';
      td.textContent = 'No scaling events.';
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    data.rows.forEach(function (row) {
      var tr = document.createElement('tr');
      [stamp(Number(row[0])), row[1], row[2], row[3], row[4], stamp(Number(row[5])).slice(11)].forEach(function (cell) {
        var td = document.createElement('td');
        td.textContent = cell;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function drawChart(chart, index) {
    var box = document.createElement('div');
    box.className = 'chart';
    box.setAttribute('data-chart', String(index));
    var title = document.createElement('h3');
    title.textContent = (chart.appName || chart.appId) + ' · ' + chart.metricType + (chart.unit ? ' (' + chart.unit + ')' : '');
    var small = document.createElement('small');
    small.textContent = '  ' + chart.appId;
    title.appendChild(small);
    box.appendChild(title);
    document.getElementById('charts').appendChild(box);

    var t0 = data.start, t1 = Math.max(data.end, t0 + 1);
    var values = chart.points.map(function (p) { return p[1]; }).filter(function (v) { return v !== null; });
    chart.thresholds.forEach(function (t) { values.push(t.value); });
    var lo = Math.min.apply(null, values.concat([0]));
    var hi = Math.max.apply(null, values.concat([1]));
    var yStep = niceStep(hi - lo, 5);
    hi = Math.ceil((hi + yStep * 0.2) / yStep) * yStep;
    lo = Math.floor(lo / yStep) * yStep;
    var counts = chart.instances.map(function (p) { return p[1]; });
    var nMax = Math.max.apply(null, counts.concat([1])) + 1;

    function x(t) { return M.left + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * plotW; }
    function y(v) { return M.top + plotH - ((v - lo) / (hi - lo)) * plotH; }
    function yn(n) { return M.top + plotH - (n / nMax) * plotH; }

    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': title.textContent }, box);
    var bands = el('g', { class: 'bands' }, svg);
    chart.cooldowns.forEach(function (c) {
      el('rect', { class: 'cooldown', x: x(c[0]), y: M.top, width: Math.max(1, x(c[1]) - x(c[0])), height: plotH }, bands);
    });
    chart.breaches.forEach(function (b) {
      var r = el('rect', { class: 'breach ' + b[3], x: x(b[0]), y: M.top, width: Math.max(1, x(b[1]) - x(b[0])), height: plotH }, bands);
      el('title', {}, r).textContent = 'breach: ' + b[2];
    });

    var axes = el('g', {}, svg);
    for (var v = lo; v <= hi + 1e-9; v += yStep) {
      el('line', { class: 'grid', x1: M.left, x2: M.left + plotW, y1: y(v), y2: y(v) }, axes);
      text(axes, M.left - 6, y(v) + 4, String(Math.round(v * 100) / 100), { 'text-anchor': 'end' });
    }
    var step = timeStep(t1 - t0);
    for (var t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      el('line', { class: 'grid', x1: x(t), x2: x(t), y1: M.top, y2: M.top + plotH }, axes);
      text(axes, x(t), H - 8, clock(t), { 'text-anchor': 'middle' });
    }
    for (var n = 0; n <= nMax; n++) text(axes, M.left + plotW + 6, yn(n) + 4, String(n), { class: 'instances-axis' });
    el('line', { class: 'axis', x1: M.left, x2: M.left, y1: M.top, y2: M.top + plotH }, axes);
    el('line', { class: 'axis', x1: M.left, x2: M.left + plotW, y1: M.top + plotH, y2: M.top + plotH }, axes);

    chart.thresholds.forEach(function (th) {
      el('line', { class: 'threshold', x1: M.left, x2: M.left + plotW, y1: y(th.value), y2: y(th.value) }, svg);
      text(svg, M.left + plotW - 4, y(th.value) - 4, th.label, { class: 'threshold-label', 'text-anchor': 'end' });
    });

    // Empty metrics (no samples) break the line instead of being drawn as zero.
    var d = '', pen = false, drawn = 0;
    chart.points.forEach(function (p) {
      if (p[1] === null) { pen = false; return; }
      d += (pen ? 'L' : 'M') + x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1);
      pen = true;
      drawn++;
    });
    var line = el('path', { class: 'metric-line', d: d || 'M0,0', 'data-points': drawn }, svg);
    el('title', {}, line).textContent = chart.metricType + ': ' + drawn + ' values';
    if (drawn < 60) {
      chart.points.forEach(function (p) {
        if (p[1] !== null) el('circle', { class: 'metric-point', cx: x(p[0]), cy: y(p[1]), r: 2 }, svg);
      });
    }

    var steps = '';
    chart.instances.forEach(function (p, i) {
      steps += (i === 0 ? 'M' + x(p[0]) + ',' + yn(p[1]) : 'H' + x(p[0]) + 'V' + yn(p[1]));
    });
    steps += 'H' + (M.left + plotW);
    el('path', { class: 'instances-line', d: steps }, svg);

    chart.ignored.forEach(function (c) {
      var tick = el('line', { class: 'ignored-call', x1: x(c[0]), x2: x(c[0]), y1: M.top + plotH, y2: M.top + plotH - 6 }, svg);
      el('title', {}, tick).textContent = stamp(c[0]) + ' ignored: ' + c[1];
    });
    chart.scalings.forEach(function (s) {
      var g = el('g', { class: 'scaling-event' }, svg);
      el('circle', { cx: x(s.t), cy: yn(s.after), r: 4.5 }, g);
      text(g, x(s.t) + 6, yn(s.after) - 6, s.before + '→' + s.after);
      el('title', {}, g).textContent = stamp(s.t) + ' ' + s.label + ': ' + s.before + ' → ' + s.after;
    });
  }

  drawTable();
  if (data.charts.length === 0) {
    var none = document.createElement('p');
    none.className = 'note';
    none.textContent = 'The replay produced no app metrics.';
    document.getElementById('charts').appendChild(none);
  }
  data.charts.forEach(drawChart);
  document.body.setAttribute('data-rendered', String(data.charts.length));
})();
