// The console's charts as SVG, built here (no chart library): bars with an optional line
// on a second axis from 0 to 100 % (the response curve: redemptions per day since the drop
// and their cumulative share). Each bar and point carries a <title> for its exact figure.
import { s } from './dom.js';

const H = 240;
const M = { top: 14, right: 52, bottom: 34, left: 56 };

// The smallest "nice" step (1, 2, 5 × 10^k, at least 1: the bars count things) at or above X.
function niceStep(x) {
  if (x <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

// barChart({bars:[{label, value, title}], line:[fraction|null], formatY, formatLine, label,
//           width}) → <svg>. WIDTH is the drawing's width in its own units (the height is
// fixed), about the width it gets on the page, so its text keeps the page's size.
export function barChart({ bars, line = null, formatY = String, formatLine = String, label = '', width = 760 }) {
  const W = width;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const top = Math.max(0, ...bars.map((b) => b.value));
  const step = niceStep(top / 4);
  const ticks = Math.max(1, Math.ceil(top / step));
  const max = step * ticks;
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart',
    role: 'img',
    'aria-label': label,
    preserveAspectRatio: 'xMidYMid meet',
  });
  const y = (v) => M.top + ph - (v / max) * ph;
  for (let i = 0; i <= ticks; i++) {
    const v = (max / ticks) * i;
    svg.append(
      s('line', { x1: M.left, x2: M.left + pw, y1: y(v), y2: y(v), class: i === 0 ? 'axis' : 'grid' }),
      s('text', { x: M.left - 8, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, formatY(v)),
    );
  }
  if (line) {
    for (const f of [0, 0.25, 0.5, 0.75, 1]) {
      svg.append(s('text', { x: M.left + pw + 8, y: M.top + ph - f * ph + 4, class: 'tick line-tick',
        'text-anchor': 'start' }, formatLine(f)));
    }
  }
  const n = Math.max(bars.length, 1);
  const band = pw / n;
  const bw = Math.max(1, Math.min(band * 0.72, 36));
  const every = Math.ceil(n / 12);
  bars.forEach((b, i) => {
    const cx = M.left + band * i + band / 2;
    const by = y(b.value);
    svg.append(
      s('rect', { x: cx - bw / 2, y: by, width: bw, height: Math.max(0, M.top + ph - by), class: 'bar' },
        s('title', {}, b.title || `${b.label}: ${formatY(b.value)}`)),
    );
    if (i % every === 0) {
      svg.append(s('text', { x: cx, y: H - M.bottom + 18, class: 'tick', 'text-anchor': 'middle' }, b.label));
    }
  });
  if (line) {
    const ly = (f) => M.top + ph - f * ph;
    const pts = [];
    line.forEach((f, i) => {
      if (f === null || f === undefined) return;
      pts.push(`${(M.left + band * i + band / 2).toFixed(1)},${ly(f).toFixed(1)}`);
    });
    if (pts.length) {
      svg.append(s('polyline', { points: pts.join(' '), class: 'line' }));
      line.forEach((f, i) => {
        if (f === null || f === undefined) return;
        svg.append(
          s('circle', { cx: M.left + band * i + band / 2, cy: ly(f), r: n > 40 ? 1.5 : 3, class: 'dot' },
            s('title', {}, `${bars[i].label}: ${formatLine(f)}`)),
        );
      });
    }
  }
  return svg;
}
