// The charts the dashboard draws, as data: which series each chart has, on one
// increasing x axis shared by the primary run and the run it is compared with.
// The voice score sits right after the loss: the checkpoint is chosen by it, and
// the two together show when the loss lied. Pure, like the view-model it reads.
import type { RunModel } from '../core/runs/runModel';

type Y = number | null;

export type SeriesRole = 'raw' | 'smoothed' | 'val';

export interface ChartSeries {
  /** Stable id, exposed in the DOM for tests and screen readers. */
  id: string;
  label: string;
  run: 'primary' | 'compare';
  role: SeriesRole;
  values: Y[];
}

export interface ChartData {
  id: 'loss' | 'voice' | 'ppl' | 'lr' | 'speed';
  title: string;
  /** A fixed y range (percentages: 0..100); absent = fitted to the data. */
  yRange?: [number, number];
  /** Appended to the y axis' tick labels ('%'). */
  unit?: string;
  /** Why a chart without points is empty, when that is more than "no points yet". */
  emptyText?: string;
  /** Union of every series' steps: two runs share one x axis. */
  x: number[];
  series: ChartSeries[];
}

interface Line { x: readonly number[]; y: readonly Y[] }

/** Puts several (x, y) lines on one increasing x axis, null where a line has no point. */
export function align(lines: readonly Line[]): { x: number[]; ys: Y[][] } {
  const x = [...new Set(lines.flatMap((l) => l.x))].sort((a, b) => a - b);
  const index = new Map(x.map((v, i) => [v, i]));
  const ys = lines.map((l) => {
    const y: Y[] = new Array<Y>(x.length).fill(null);
    l.x.forEach((xv, i) => { y[index.get(xv)!] = l.y[i] ?? null; });
    return y;
  });
  return { x, ys };
}

interface SeriesSpec { id: string; label: string; role: SeriesRole; line: (m: RunModel) => Line }

/** Shares (0..1) as percentages, the unit the chart and its table show. */
const asPercent = (ys: readonly number[]): number[] => ys.map((y) => y * 100);

const VOICE_OFF = 'No voice score for this run: the voice check was off (too little of the writer\'s text, or no scikit-learn), '
  + 'or an engine from before the check trained it; validation loss chose the checkpoint.';

const CHARTS: { id: ChartData['id']; title: string; series: SeriesSpec[]; compare: string[]; yRange?: [number, number]; unit?: string }[] = [
  {
    id: 'loss',
    title: 'Loss',
    series: [
      { id: 'train-loss', label: 'train loss', role: 'raw', line: (m) => ({ x: m.train.step, y: m.train.loss }) },
      { id: 'train-loss-smoothed', label: 'train loss (smoothed)', role: 'smoothed', line: (m) => ({ x: m.train.step, y: m.train.smoothed }) },
      { id: 'val-loss', label: 'validation loss', role: 'val', line: (m) => ({ x: m.val.step, y: m.val.loss }) },
    ],
    // The raw curve of a second run would bury both; its smoothed and validation curves compare.
    compare: ['train-loss-smoothed', 'val-loss'],
  },
  {
    id: 'voice',
    title: 'Voice score',
    series: [
      // Mean probability that the continuations are the writer's: the exported checkpoint is its best.
      { id: 'voice-score', label: 'voice score (%)', role: 'val', line: (m) => ({ x: m.voice.step, y: asPercent(m.voice.score) }) },
      { id: 'voice-attributed', label: 'attributed to the writer (%)', role: 'val', line: (m) => ({ x: m.voice.step, y: asPercent(m.voice.attributed) }) },
    ],
    compare: ['voice-score', 'voice-attributed'],
    yRange: [0, 100],
    unit: '%',
  },
  {
    id: 'ppl',
    title: 'Validation perplexity',
    series: [{ id: 'val-ppl', label: 'validation perplexity', role: 'val', line: (m) => ({ x: m.val.step, y: m.val.ppl }) }],
    compare: ['val-ppl'],
  },
  {
    id: 'lr',
    title: 'Learning rate',
    series: [{ id: 'lr', label: 'learning rate', role: 'raw', line: (m) => ({ x: m.train.step, y: m.train.lr }) }],
    compare: ['lr'],
  },
  {
    id: 'speed',
    title: 'Tokens per second',
    series: [{ id: 'tokens-per-s', label: 'tokens/s', role: 'raw', line: (m) => ({ x: m.train.step, y: m.train.tokensPerS }) }],
    compare: ['tokens-per-s'],
  },
];

/** The charts, with a second run's curves overlaid when one is given. */
export function chartData(primary: RunModel, compare?: { model: RunModel; name: string }): ChartData[] {
  return CHARTS.map((c) => {
    const specs = [
      ...c.series.map((s) => ({ ...s, run: 'primary' as const, line: s.line(primary) })),
      ...(compare ? c.series.filter((s) => c.compare.includes(s.id)).map((s) => ({
        ...s, id: `compare-${s.id}`, label: `${s.label} — ${compare.name}`, run: 'compare' as const, line: s.line(compare.model),
      })) : []),
    ];
    const { x, ys } = align(specs.map((s) => s.line));
    return {
      id: c.id,
      title: c.title,
      ...(c.yRange && { yRange: c.yRange }),
      ...(c.unit && { unit: c.unit }),
      ...(c.id === 'voice' && x.length === 0 && voiceCheckOff(primary) && { emptyText: VOICE_OFF }),
      x,
      series: specs.map((s, i) => ({ id: s.id, label: s.label, run: s.run, role: s.role, values: ys[i]! })),
    };
  });
}

/**
 * Evaluations but no voice score: the check is off. A live run's first evaluation is
 * scored a few seconds after it is reported, so one evaluation alone proves nothing yet.
 */
function voiceCheckOff(m: RunModel): boolean {
  return m.voice.step.length === 0 && m.val.step.length >= (m.state === 'running' ? 2 : 1);
}

/** Points a series really has (not the nulls that alignment added). */
export function pointCount(values: readonly Y[]): number {
  return values.reduce<number>((n, v) => (v === null ? n : n + 1), 0);
}
