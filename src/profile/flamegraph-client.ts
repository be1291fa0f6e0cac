/**
 * The flame graph's in-page script (plain ES2017, no library), inlined by
 * render-flamegraph.ts. It reads `window.__FLAME__` (a FlameTree) and draws SVG into
 * `#flame`. The DOM contract it keeps is documented in render-flamegraph.ts.
 * Written by hand: the flame-graph libraries on npm (d3-flame-graph, flamegraph.js) pull in
 * d3 or a bundler and none draws a differential graph from our data without glue as long.
 */
export const FLAMEGRAPH_CLIENT_JS = String.raw`
(function () {
  var T = window.__FLAME__;
  if (!T || !T.nodes.length) return;
  var svg = document.getElementById('flame');
  var tip = document.getElementById('flame-tooltip');
  var search = document.getElementById('flame-search');
  var matched = document.getElementById('flame-matched');
  var reset = document.getElementById('flame-reset');
  var NS = 'http://www.w3.org/2000/svg';
  var ROW = 18;
  var N = T.nodes.length;
  var CATS = ['app','dependency','node-internal','native','gc','idle','program','runtime','process'];
  var children = []; var depth = new Int32Array(N); var x0 = new Float64Array(N);
  for (var i = 0; i < N; i++) children.push([]);
  var maxDepth = 0;
  for (var i = 1; i < N; i++) { var p = T.nodes[i][0]; children[p].push(i); }
  // Layout in value units: a child starts where its previous sibling ended.
  for (var i = 0; i < N; i++) {
    var off = x0[i];
    for (var k = 0; k < children[i].length; k++) {
      var c = children[i][k];
      depth[c] = depth[i] + 1; if (depth[c] > maxDepth) maxDepth = depth[c];
      x0[c] = off; off += T.nodes[c][6];
    }
  }
  function fmt(v) {
    if (T.unit === 'bytes') {
      if (v >= 1048576) return (v / 1048576).toFixed(1) + ' MiB';
      if (v >= 1024) return (v / 1024).toFixed(1) + ' KiB';
      return Math.round(v) + ' B';
    }
    var ms = v / 1000;
    return ms >= 1000 ? (ms / 1000).toFixed(2) + ' s' : ms >= 10 ? ms.toFixed(1) + ' ms' : ms.toFixed(2) + ' ms';
  }
  function pct(v) { return T.total > 0 ? (100 * v / T.total).toFixed(2) + '%' : '0%'; }
  function hash(s) { var h = 0; for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0; return Math.abs(h); }
  function colour(i) {
    var n = T.nodes[i];
    if (T.diff && i > 0) {
      var d = n[7];
      if (Math.abs(d) < 0.005) return 'rgb(220,220,220)';
      var s = Math.min(1, Math.abs(d) / 5); var lo = Math.round(220 - 170 * s);
      return d > 0 ? 'rgb(240,' + lo + ',' + lo + ')' : 'rgb(' + lo + ',' + lo + ',240)';
    }
    var cat = CATS[n[4]]; var h = hash(T.names[n[1]]) % 40;
    if (i === 0 || cat === 'process') return 'rgb(200,200,205)';
    if (cat === 'gc') return 'rgb(180,140,220)';
    if (cat === 'idle') return 'rgb(210,210,210)';
    if (cat === 'program' || cat === 'runtime') return 'rgb(190,190,150)';
    if (cat === 'node-internal') return 'rgb(' + (150 + h) + ',' + (170 + h) + ',200)';
    if (cat === 'native') return 'rgb(' + (120 + h) + ',190,' + (120 + h) + ')';
    if (cat === 'dependency') return 'rgb(230,' + (180 + h) + ',60)';
    return 'rgb(240,' + (90 + 2 * h) + ',50)';
  }
  var zoom = 0; var query = '';
  function isAncestor(a, b) { while (b > 0) { b = T.nodes[b][0]; if (b === a) return true; } return false; }
  function draw() {
    var W = svg.clientWidth || svg.parentNode.clientWidth || 1200;
    var H = (maxDepth + 1) * ROW;
    svg.setAttribute('height', H); svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    svg.setAttribute('data-zoom', String(zoom));
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var zx = x0[zoom]; var zw = T.nodes[zoom][6] || 1; var scale = W / zw;
    var re = null;
    if (query) { try { re = new RegExp(query, 'i'); } catch (e) { re = null; } }
    var matchTotal = 0; var frag = document.createDocumentFragment();
    var stack = [0];
    while (stack.length) {
      var i = stack.pop(); var n = T.nodes[i];
      var onPath = i === zoom || isAncestor(i, zoom);
      var x, w;
      if (onPath) { x = 0; w = W; }
      else { x = (x0[i] - zx) * scale; w = n[6] * scale; }
      if (!onPath && (x + w <= 0.01 || x >= W - 0.01)) continue;
      if (w < 0.5) continue;
      var name = T.names[n[1]]; var file = T.files[n[2]];
      var hit = re && i > 0 && (re.test(name) || re.test(file));
      if (hit) {
        // Count a match once: not again under a matching ancestor.
        var a = n[0], under = false; while (a > 0) { var an = T.nodes[a]; if (re.test(T.names[an[1]]) || re.test(T.files[an[2]])) { under = true; break; } a = an[0]; }
        if (!under) matchTotal += n[6];
      }
      var g = document.createElementNS(NS, 'g');
      g.setAttribute('class', 'frame' + (hit ? ' match' : '') + (i === zoom ? ' zoomed' : '') + (onPath && i !== zoom ? ' ancestor' : ''));
      g.setAttribute('data-id', String(i)); g.setAttribute('data-name', name); g.setAttribute('data-file', file);
      g.setAttribute('data-line', String(n[3])); g.setAttribute('data-category', CATS[n[4]]);
      g.setAttribute('data-self', String(n[5])); g.setAttribute('data-total', String(n[6]));
      if (T.diff) g.setAttribute('data-delta', String(n[7]));
      var y = (maxDepth - depth[i]) * ROW;
      var r = document.createElementNS(NS, 'rect');
      r.setAttribute('x', x.toFixed(2)); r.setAttribute('y', y); r.setAttribute('width', Math.max(0.5, w - 0.5).toFixed(2)); r.setAttribute('height', ROW - 1);
      r.setAttribute('fill', hit ? 'rgb(230,0,230)' : colour(i)); r.setAttribute('rx', 2);
      g.appendChild(r);
      if (w > 28) {
        var t = document.createElementNS(NS, 'text');
        t.setAttribute('x', (x + 3).toFixed(2)); t.setAttribute('y', y + 13);
        var chars = Math.floor((w - 6) / 6.6);
        t.textContent = name.length > chars ? name.slice(0, Math.max(0, chars - 1)) + '…' : name;
        g.appendChild(t);
      }
      frag.appendChild(g);
      var ch = children[i];
      for (var k = ch.length - 1; k >= 0; k--) stack.push(ch[k]);
    }
    svg.appendChild(frag);
    if (matched) matched.textContent = re ? 'matched: ' + pct(matchTotal) + ' (' + fmt(matchTotal) + ')' : '';
    if (reset) reset.disabled = zoom === 0;
  }
  function frameOf(ev) { var el = ev.target; while (el && el !== svg) { if (el.getAttribute && el.getAttribute('data-id') !== null) return el; el = el.parentNode; } return null; }
  svg.addEventListener('click', function (ev) { var g = frameOf(ev); if (!g) return; zoom = Number(g.getAttribute('data-id')); draw(); });
  svg.addEventListener('mousemove', function (ev) {
    var g = frameOf(ev); if (!g) { tip.style.display = 'none'; return; }
    var n = T.nodes[Number(g.getAttribute('data-id'))]; var file = T.files[n[2]];
    var lines = [T.names[n[1]], file ? file + (n[3] > 0 ? ':' + n[3] : '') : '', 'self: ' + fmt(n[5]) + ' (' + pct(n[5]) + ')', 'total: ' + fmt(n[6]) + ' (' + pct(n[6]) + ')'];
    if (T.diff) lines.push('self change: ' + (n[7] > 0 ? '+' : '') + n[7].toFixed(2) + ' pp');
    tip.textContent = lines.filter(Boolean).join('\n');
    tip.style.display = 'block'; tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px';
  });
  svg.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  if (search) search.addEventListener('input', function () { query = search.value.trim(); draw(); });
  if (reset) reset.addEventListener('click', function () { zoom = 0; draw(); });
  window.addEventListener('resize', draw);
  draw();
})();
`;
