import type http from 'node:http';
import type { NatsNames } from '@cm/contracts';
import { streamLags, type ConsumerLag, type Logger, type Nats } from '@cm/platform';

/*
 * The ops page (issue 13, item 5): `/ops` shows stream and consumer lag live, with a chart of the last minutes,
 * for operators without Grafana. `/ops/lag` is its feed: server-sent events, one sample a second, the same figures
 * as `cm lag` and the services' /metrics (platform's `streamLags`). Served outside production only; the page has no
 * external assets (inline script, inline SVG chart).
 */

export interface OpsPageDeps {
  nats: Nats;
  names: NatsNames;
  logger: Logger;
  /** The Postgres projection's checkpoint as the read model holds it (what readers see). */
  checkpoint: () => Promise<number>;
  sampleMs?: number;
}

/** One sample as the page receives it. */
export interface OpsSample {
  at: string;
  consumers: ConsumerLag[];
}

/** A request handler for `/ops` and `/ops/lag`; false for any other path. */
export function opsPageHandler(deps: OpsPageDeps): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const upper = deps.names.eventStream.replace(/_EVENTS$/, '');
  const sample = async (): Promise<OpsSample> => {
    const streams: string[] = [];
    for await (const name of deps.nats.jsm.streams.names()) if (name.startsWith(`${upper}_`)) streams.push(name);
    const checkpoints = new Map([[deps.names.projectionConsumer('postgres'), await deps.checkpoint()]]);
    const consumers: ConsumerLag[] = [];
    for (const stream of streams.sort())
      consumers.push(
        ...(await streamLags(deps.nats.jsm, [stream], stream === deps.names.eventStream ? checkpoints : new Map())),
      );
    return { at: new Date().toISOString(), consumers };
  };
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || (path !== '/ops' && path !== '/ops/lag')) return false;
    if (path === '/ops') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(OPS_HTML);
      return true;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    let closed = false;
    const tick = async () => {
      if (closed) return;
      try {
        res.write(`data: ${JSON.stringify(await sample())}\n\n`);
      } catch (e) {
        deps.logger.debug({ err: e }, 'ops sample failed');
        res.write(`event: problem\ndata: ${JSON.stringify({ message: (e as Error).message })}\n\n`);
      }
      if (!closed) timer = setTimeout(() => void tick(), deps.sampleMs ?? 1000);
    };
    let timer: NodeJS.Timeout | undefined;
    req.on('close', () => {
      closed = true;
      clearTimeout(timer);
    });
    void tick();
    return true;
  };
}

const OPS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Campaign Manager · ops</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:right}
td:first-child,td:nth-child(2),th:first-child,th:nth-child(2){text-align:left}
.behind{font-weight:bold}.lagging{color:#b00}#status{color:#666}
svg{border:1px solid #ccc;background:#fafafa}
</style></head>
<body>
<h1>Stream and consumer lag</h1>
<p id="status">connecting…</p>
<p>Most seconds behind: <span id="max-behind" class="behind">-</span> s</p>
<table><thead><tr><th>stream</th><th>consumer</th><th>last seq</th><th>applied seq</th><th>pending</th><th>ack pending</th><th>redelivered</th><th>seconds behind</th></tr></thead>
<tbody id="consumers"></tbody></table>
<h2>Seconds behind, last 5 minutes</h2>
<svg id="chart" width="800" height="200" viewBox="0 0 800 200"></svg>
<div id="legend"></div>
<script>
const WINDOW_MS = 5 * 60 * 1000;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];
const history = new Map(); // consumer -> [{t, v}]
const el = (id) => document.getElementById(id);
function cell(text) { const td = document.createElement('td'); td.textContent = text; return td; }
function render(sample) {
  const now = Date.parse(sample.at);
  const rows = el('consumers');
  rows.replaceChildren();
  let max = 0;
  for (const c of sample.consumers) {
    const key = c.stream + '/' + c.consumer;
    max = Math.max(max, c.secondsBehind);
    const tr = document.createElement('tr');
    tr.id = 'consumer-' + c.consumer;
    tr.dataset.secondsBehind = String(c.secondsBehind);
    for (const v of [c.stream, c.consumer, c.lastSeq, c.appliedSeq, c.pending, c.ackPending, c.redelivered]) tr.append(cell(String(v)));
    const behind = cell(c.secondsBehind.toFixed(1));
    behind.className = 'behind' + (c.secondsBehind > 5 ? ' lagging' : '');
    tr.append(behind);
    rows.append(tr);
    const points = history.get(key) ?? [];
    points.push({ t: now, v: c.secondsBehind });
    while (points.length && points[0].t < now - WINDOW_MS) points.shift();
    history.set(key, points);
  }
  el('max-behind').textContent = max.toFixed(1);
  el('max-behind').dataset.value = String(max);
  draw(now);
}
function draw(now) {
  const svg = el('chart');
  const top = Math.max(1, ...[...history.values()].flat().map((p) => p.v));
  const ns = 'http://www.w3.org/2000/svg';
  svg.replaceChildren();
  const label = document.createElementNS(ns, 'text');
  label.setAttribute('x', '4'); label.setAttribute('y', '14'); label.textContent = top.toFixed(1) + ' s';
  svg.append(label);
  const legend = el('legend');
  legend.replaceChildren();
  let i = 0;
  for (const [key, points] of history) {
    const color = COLORS[i++ % COLORS.length];
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('fill', 'none'); line.setAttribute('stroke', color); line.setAttribute('stroke-width', '2');
    line.dataset.consumer = key;
    line.setAttribute('points', points.map((p) => (800 - ((now - p.t) / WINDOW_MS) * 800).toFixed(1) + ',' + (195 - (p.v / top) * 180).toFixed(1)).join(' '));
    svg.append(line);
    const item = document.createElement('span');
    item.style.color = color; item.style.marginRight = '1rem'; item.textContent = '■ ' + key;
    legend.append(item);
  }
}
const source = new EventSource('/ops/lag');
source.onopen = () => { el('status').textContent = 'live'; };
source.onerror = () => { el('status').textContent = 'reconnecting…'; };
source.addEventListener('problem', (e) => { el('status').textContent = 'sample failed: ' + JSON.parse(e.data).message; });
source.onmessage = (e) => { const s = JSON.parse(e.data); el('status').textContent = 'live · ' + s.at; render(s); };
</script>
</body></html>
`;
