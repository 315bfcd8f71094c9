// The curves: loss (raw + smoothed train, validation), the voice score and the
// share attributed to the writer at each evaluation (0–100%), validation
// perplexity, learning rate and tokens/s, drawn with uPlot. Each chart's legend
// says how many points every series has (also as data-points, which the
// end-to-end test reads), and a data table of exactly what is drawn opens on demand.
import uPlot from 'uplot';
import { formatNumber } from '../reports';
import { type ChartData, chartData, pointCount } from '../chartModel';
import type { RunModel } from '../../core/runs/runModel';
import { fill, h } from './dom';
import { type ChartTheme, currentTheme } from './theme';

const HEIGHT = 200;
/** Steps are whole numbers: never put a tick at step 1.5. */
const STEP_INCREMENTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000];

export class Curves {
  readonly el = h('section', { class: 'curves', 'aria-label': 'Training curves' });
  private readonly grid = h('div', { class: 'chart-grid' });
  private readonly views = new Map<ChartData['id'], ChartView>();
  private theme = currentTheme();

  constructor() {
    this.el.append(h('h2', {}, 'Curves'), this.grid);
  }

  update(primary: RunModel | null, compare?: { model: RunModel; name: string }): void {
    if (!primary) {
      fill(this.grid, h('p', { class: 'muted' }, 'No run to show yet.'));
      this.views.clear();
      return;
    }
    for (const data of chartData(primary, compare)) {
      let view = this.views.get(data.id);
      if (!view) {
        view = new ChartView(data.id);
        this.views.set(data.id, view);
      }
      if (view.el.parentElement !== this.grid) this.grid.append(view.el);
      view.update(data, this.theme);
    }
    this.grid.querySelector(':scope > p')?.remove();
  }

  /** The theme changed: colours are baked into uPlot series, so rebuild the plots. */
  retheme(): void {
    this.theme = currentTheme();
    for (const v of this.views.values()) v.rebuild(this.theme);
  }
}

class ChartView {
  readonly el: HTMLElement;
  private readonly plotBox = h('div', { class: 'chart' });
  private readonly legend = h('ul', { class: 'legend' });
  private readonly table = h('details', { class: 'chart-table' });
  private plot: uPlot | undefined;
  private shape = '';
  private data: ChartData | undefined;

  constructor(readonly id: ChartData['id']) {
    this.el = h('figure', { class: 'chart-card', 'data-chart': id });
    this.table.append(h('summary', {}, 'Data table'));
    this.table.addEventListener('toggle', () => this.renderTable());
    this.el.append(h('figcaption', {}), this.plotBox, this.legend, this.table);
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: HEIGHT })).observe(this.plotBox);
  }

  update(data: ChartData, theme: ChartTheme): void {
    this.data = data;
    this.el.querySelector('figcaption')!.textContent = data.title;
    this.el.setAttribute('data-x-points', String(data.x.length));
    const shape = data.series.map((s) => s.id).join(',');
    if (shape !== this.shape || !this.plot) {
      this.shape = shape;
      this.rebuild(theme);
    } else {
      this.plot.setData(aligned(data));
    }
    this.renderLegend(theme);
    if (this.table.open) this.renderTable();
  }

  rebuild(theme: ChartTheme): void {
    this.plot?.destroy();
    this.plot = undefined;
    const data = this.data;
    if (!data) return;
    const empty = data.series.every((s) => pointCount(s.values) === 0);
    this.plotBox.replaceChildren();
    if (empty) {
      this.plotBox.append(h('p', { class: 'muted empty-chart' }, data.emptyText ?? (data.id === 'speed' ? 'Not reported by the engine yet.' : 'No points yet.')));
      return;
    }
    const axis = { stroke: theme.foreground, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid, width: 1 } };
    this.plot = new uPlot({
      width: this.width(),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false }, ...(data.yRange && { y: { range: data.yRange } }) },
      axes: [
        { ...axis, label: 'step', labelSize: 18, incrs: STEP_INCREMENTS },
        { ...axis, size: 64, values: (_u, ticks) => ticks.map((t) => `${formatNumber(t)}${data.unit ?? ''}`) },
      ],
      series: [
        { label: 'step' },
        ...data.series.map((s) => {
          const look = theme.series(s, data.id);
          return {
            label: s.label,
            stroke: look.stroke,
            width: look.width,
            dash: look.dash,
            alpha: look.alpha,
            spanGaps: true,
            // Evaluations are sparse: show them as points joined by a line.
            points: { show: s.role === 'val' || pointCount(s.values) < 3, size: 6, fill: look.stroke },
          };
        }),
      ],
      hooks: { setCursor: [(u) => this.showCursor(u.cursor.idx ?? null)] },
    }, aligned(data), this.plotBox);
    this.renderLegend(theme);
  }

  private width(): number {
    return Math.max(240, this.plotBox.clientWidth || 480);
  }

  private renderLegend(theme: ChartTheme): void {
    const data = this.data!;
    fill(this.legend, data.series.map((s) => {
      const swatch = h('span', { class: `swatch${s.run === 'compare' ? ' dashed' : ''}`, 'aria-hidden': 'true' });
      // CSSOM, not a style attribute: allowed by the CSP.
      swatch.style.borderColor = theme.series(s, data.id).stroke;
      const n = pointCount(s.values);
      return h('li', { 'data-series': s.id, 'data-points': n }, swatch, `${s.label} `, h('span', { class: 'muted' }, `(${n} ${n === 1 ? 'point' : 'points'})`), h('span', { class: 'value' }));
    }));
  }

  private showCursor(idx: number | null): void {
    const data = this.data;
    if (!data) return;
    this.legend.querySelectorAll('li').forEach((li, i) => {
      const v = idx === null ? null : data.series[i]?.values[idx] ?? null;
      li.querySelector('.value')!.textContent = v === null ? '' : ` ${fmt(v)} @ step ${data.x[idx!]}`;
    });
  }

  /** Built only while open: a long run has thousands of rows. */
  private renderTable(): void {
    const data = this.data;
    this.table.querySelector('table')?.remove();
    if (!data || !this.table.open) return;
    const head = h('tr', {}, h('th', { scope: 'col' }, 'step'), data.series.map((s) => h('th', { scope: 'col' }, s.label)));
    const rows = data.x.map((x, i) => h('tr', {}, h('th', { scope: 'row' }, x), data.series.map((s) => h('td', {}, fmt(s.values[i] ?? null)))));
    this.table.append(h('table', { 'data-chart-table': data.id }, h('thead', {}, head), h('tbody', {}, rows)));
  }
}

/** Readouts keep six significant figures: a nearly flat loss still shows how it moves. */
const fmt = (v: number | null) => (v === null ? '' : formatNumber(v, 6));

function aligned(d: ChartData): uPlot.AlignedData {
  return [d.x, ...d.series.map((s) => s.values)] as uPlot.AlignedData;
}
