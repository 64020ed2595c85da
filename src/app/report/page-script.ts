// The report page's own script, run by the browser beside the inlined uPlot.
// Kept as text so the page needs no bundler and no network: it reads the
// data block, draws one chart per metric with the switches and looks marked,
// and records on each chart what it drew (the browser test reads that).
export const PAGE_SCRIPT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('phased-data').textContent);
  var MARK = {
    switch: '#212529', rollback: '#7048e8',
    pass: '#2f9e44', regression: '#e03131', inconclusive: '#f08c00'
  };
  var CANARY = '#e8590c', CONTROL = '#1971c2';
  function scaled(v, k) { return v === null ? null : v * k; }
  function drawMarks(u) {
    var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
    ctx.save();
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.font = (11 * devicePixelRatio) + 'px system-ui, sans-serif';
    data.marks.forEach(function (m) {
      var x = u.valToPos(m.t / 1000, 'x', true);
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
      ctx.strokeStyle = MARK[m.kind];
      ctx.setLineDash(m.kind === 'switch' || m.kind === 'rollback' ? [] : [4 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + h); ctx.stroke();
      if (m.kind === 'switch' || m.kind === 'rollback') {
        ctx.fillStyle = MARK[m.kind];
        ctx.fillText(m.kind === 'switch' ? 'switch' : 'roll back', x + 3 * devicePixelRatio, top + 12 * devicePixelRatio);
      }
    });
    ctx.restore();
  }
  function recordDrawn(u) {
    var drawn = {};
    for (var s = 1; s < u.series.length; s++) {
      var ys = u.data[s], n = 0;
      for (var i = 0; i < ys.length; i++) {
        if (ys[i] === null || ys[i] === undefined) continue;
        var px = u.valToPos(u.data[0][i], 'x'), py = u.valToPos(ys[i], 'y');
        if (px >= 0 && px <= u.bbox.width / devicePixelRatio && py >= 0 && py <= u.bbox.height / devicePixelRatio) n++;
      }
      drawn[u.series[s].label] = n;
    }
    u.root.parentNode.setAttribute('data-drawn', JSON.stringify(drawn));
  }
  data.charts.forEach(function (c, i) {
    var el = document.getElementById('chart-' + i);
    var xs = c.t.map(function (t) { return t / 1000; });
    var flat = function (v) { return xs.map(function () { return scaled(v, c.scale); }); };
    var line = function (label, stroke, dash) {
      var s = { label: label, stroke: stroke, width: 2, points: { show: !dash, size: 5 } };
      if (dash) s.dash = [6, 4];
      return s;
    };
    new uPlot({
      width: Math.min(el.clientWidth || 900, 1100),
      height: 280,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
      series: [
        { label: 'time (UTC)' },
        line('canary', CANARY), line('control', CONTROL),
        line('canary baseline', CANARY, true), line('control baseline', CONTROL, true)
      ],
      // Wide enough for every switch and look, which can fall after the last reading.
      scales: { x: { time: true, range: function (u, min, max) {
        var ts = data.marks.map(function (m) { return m.t / 1000; }).concat([min, max]);
        return [Math.min.apply(null, ts), Math.max.apply(null, ts) + 0.5];
      } } },
      axes: [{}, { label: c.unit, size: 70 }],
      hooks: { draw: [drawMarks, recordDrawn] }
    }, [
      xs,
      c.canary.map(function (v) { return scaled(v, c.scale); }),
      c.control.map(function (v) { return scaled(v, c.scale); }),
      flat(c.canaryBaseline), flat(c.controlBaseline)
    ], el);
  });
  document.body.setAttribute('data-charts-ready', String(data.charts.length));
})();
`;
