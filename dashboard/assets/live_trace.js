/* The live dorsiflexion trace, drawn on a canvas in the browser: the server sends only new points, this keeps a
   bounded window of them and redraws in about a millisecond (a Plotly redraw of the same trace took 40-50 ms
   per update on a 2-core machine without a GPU, which made the browser the bottleneck of the live path). */
(function () {
    "use strict";
    const traces = (window.dorsiTraces = window.dorsiTraces || {});
    const COLOURS = { text: "#1f2328", grid: "#d0d7de", zero: "#57606a", trace: "#0b3d91",
                      band: "rgba(26, 127, 55, 0.16)", bandEdge: "#1a7f37", best: "#8250df" };
    const PAD = { left: 64, right: 16, top: 14, bottom: 44 };

    function niceStep(span, ticks) {
        const raw = span / ticks, mag = Math.pow(10, Math.floor(Math.log10(raw)));
        for (const m of [1, 2, 5, 10]) { if (raw <= m * mag) { return m * mag; } }
        return 10 * mag;
    }

    function draw(canvas, tr) {
        const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
        if (w === 0 || h === 0) { return; }
        if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
            canvas.width = Math.round(w * dpr);
            canvas.height = Math.round(h * dpr);
        }
        const ctx = canvas.getContext("2d");
        ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
        ctx.clearRect(0, 0, w, h);
        const pw = w - PAD.left - PAD.right, ph = h - PAD.top - PAD.bottom;
        const tEnd = tr.x.length ? tr.x[tr.x.length - 1] : tr.windowS, tStart = tEnd - tr.windowS;
        const [yLo, yHi] = tr.yRange;
        const px = (t) => PAD.left + ((t - tStart) / tr.windowS) * pw;
        const py = (d) => PAD.top + ((yHi - d) / (yHi - yLo)) * ph;
        ctx.font = "15px system-ui, sans-serif";
        ctx.fillStyle = COLOURS.text;
        ctx.strokeStyle = COLOURS.grid;
        ctx.lineWidth = 1;
        ctx.textAlign = "right";
        ctx.textBaseline = "middle";
        for (let d = Math.ceil(yLo / 10) * 10; d <= yHi; d += 10) {
            ctx.beginPath(); ctx.moveTo(PAD.left, py(d)); ctx.lineTo(PAD.left + pw, py(d)); ctx.stroke();
            ctx.fillText(String(d), PAD.left - 8, py(d));
        }
        const step = niceStep(tr.windowS, 8);
        ctx.textAlign = "center";
        ctx.textBaseline = "top";
        for (let t = Math.ceil(tStart / step) * step; t <= tEnd + 1e-9; t += step) {
            ctx.beginPath(); ctx.moveTo(px(t), PAD.top); ctx.lineTo(px(t), PAD.top + ph); ctx.stroke();
            ctx.fillText(String(Math.round(t * 10) / 10), px(t), PAD.top + ph + 6);
        }
        ctx.fillText("time (s)", PAD.left + pw / 2, PAD.top + ph + 24);
        ctx.save();
        ctx.translate(16, PAD.top + ph / 2); ctx.rotate(-Math.PI / 2);
        ctx.textBaseline = "middle"; ctx.fillText("dorsiflexion (deg)", 0, 0);
        ctx.restore();
        ctx.textAlign = "left";
        ctx.textBaseline = "bottom";
        if (tr.band) {
            const [lo, hi] = tr.band;
            ctx.fillStyle = COLOURS.band; ctx.fillRect(PAD.left, py(hi), pw, py(lo) - py(hi));
            ctx.strokeStyle = COLOURS.bandEdge; ctx.strokeRect(PAD.left, py(hi), pw, py(lo) - py(hi));
            ctx.fillStyle = COLOURS.bandEdge; ctx.fillText(`target ${lo}\u2013${hi} deg`, PAD.left + 6, py(hi) - 2);
        }
        ctx.setLineDash([2, 3]); ctx.strokeStyle = COLOURS.zero;
        ctx.beginPath(); ctx.moveTo(PAD.left, py(0)); ctx.lineTo(PAD.left + pw, py(0)); ctx.stroke();
        if (tr.best !== null && tr.best !== undefined) {
            ctx.setLineDash([8, 5]); ctx.strokeStyle = COLOURS.best; ctx.lineWidth = 2;
            ctx.beginPath(); ctx.moveTo(PAD.left, py(tr.best)); ctx.lineTo(PAD.left + pw, py(tr.best)); ctx.stroke();
            ctx.fillStyle = COLOURS.best; ctx.textAlign = "right";
            ctx.fillText(`your best ${Math.round(tr.best)} deg`, PAD.left + pw - 6, py(tr.best) - 2);
        }
        ctx.setLineDash([]);
        ctx.save();
        ctx.beginPath(); ctx.rect(PAD.left, PAD.top, pw, ph); ctx.clip();
        ctx.strokeStyle = COLOURS.trace; ctx.lineWidth = 3; ctx.lineJoin = "round";
        ctx.beginPath();
        let pen = false;
        for (let i = 0; i < tr.x.length; i++) {
            const y = tr.y[i];
            if (y === null) { pen = false; continue; }
            if (pen) { ctx.lineTo(px(tr.x[i]), py(y)); } else { ctx.moveTo(px(tr.x[i]), py(y)); pen = true; }
        }
        ctx.stroke();
        ctx.restore();
    }

    function apply(msg, canvasId) {
        if (!msg) { return window.dash_clientside.no_update; }
        if (msg.reset || !traces[canvasId]) { traces[canvasId] = { x: [], y: [] }; }
        const tr = Object.assign(traces[canvasId], { band: msg.band, best: msg.best, yRange: msg.y_range,
                                                     windowS: msg.window_s, maxPoints: msg.max_points });
        for (let i = 0; i < msg.x.length; i++) {
            if (tr.x.length && msg.x[i] <= tr.x[tr.x.length - 1]) { continue; }  // a repeated poll: drawn already
            tr.x.push(msg.x[i]); tr.y.push(msg.y[i]);
        }
        if (tr.x.length > tr.maxPoints) {
            tr.x.splice(0, tr.x.length - tr.maxPoints); tr.y.splice(0, tr.y.length - tr.maxPoints);
        }
        const canvas = document.getElementById(canvasId);
        if (canvas) {
            draw(canvas, tr);
            canvas.dispatchEvent(new CustomEvent("dorsi-trace-drawn", { detail: { n: tr.x.length } }));
        }
        return String(tr.x.length);
    }

    window.addEventListener("resize", () => {
        for (const id of Object.keys(traces)) {
            const c = document.getElementById(id);
            if (c) { draw(c, traces[id]); }
        }
    });
    window.dash_clientside = Object.assign({}, window.dash_clientside, { dorsi: { drawTrace: apply } });
})();
