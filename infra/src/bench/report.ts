import { round } from './stats.js';

/** One line of the results table. */
export interface ReportRow {
  metric: string;
  value: number | null;
  unit: string;
  /** What the design asks for; absent for rows that only give context. */
  target?: { op: '>=' | '<='; value: number };
  /** The same measurement on the layer below (raw publish, trivial HTTP request): the ceiling of this machine. */
  rawLimit?: number | null;
  /** value / rawLimit. */
  ratio?: number | null;
  /** Null when not measured or when the row has no target. */
  pass: boolean | null;
}

/** Builds a row, computing the ratio to the raw limit and the verdict against the target. */
export function row(
  metric: string,
  value: number | null | undefined,
  unit: string,
  extra: { target?: ReportRow['target']; rawLimit?: number | null | undefined } = {},
): ReportRow {
  const v = value ?? null;
  const raw = extra.rawLimit ?? null;
  const ratio = v !== null && raw ? round(v / raw, 3) : null;
  const pass =
    v === null || !extra.target ? null : extra.target.op === '>=' ? v >= extra.target.value : v <= extra.target.value;
  return {
    metric,
    value: v,
    unit,
    ...(extra.target ? { target: extra.target } : {}),
    ...(extra.rawLimit !== undefined ? { rawLimit: raw, ratio } : {}),
    pass,
  };
}

const num = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(round(v, 3)));

/** The results as a Markdown table: metric, value, target, raw limit, ratio, pass/fail. */
export function markdownTable(rows: ReportRow[]): string {
  const lines = ['| metric | value | target | raw limit | ratio | result |', '|---|---:|---:|---:|---:|:---:|'];
  for (const r of rows) {
    const value = r.value === null ? 'not measured' : `${num(r.value)} ${r.unit}`;
    const target = r.target ? `${r.target.op === '>=' ? '≥' : '≤'} ${num(r.target.value)}` : '';
    const raw = r.rawLimit === undefined ? '' : r.rawLimit === null ? '–' : num(r.rawLimit);
    const ratio = r.ratio === undefined || r.ratio === null ? '' : r.ratio.toFixed(2);
    const result = r.pass === null ? (r.target ? '–' : 'info') : r.pass ? 'pass' : 'FAIL';
    lines.push(`| ${r.metric} | ${value} | ${target} | ${raw} | ${ratio} | ${result} |`);
  }
  return lines.join('\n');
}
