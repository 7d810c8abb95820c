import { AppError, ErrorCode } from '@cm/contracts';
import { signToken } from '@cm/platform';
import { writeHead, type Route } from './http-server.js';

/** The one user a development gateway mints tokens for: the owner of the demo campaign. */
export const DEMO_USER = 'demo-gm';

/**
 * Development only: `/` is a page that follows a campaign over plain SSE (EventSource, resuming with
 * Last-Event-ID after any disconnect), and `/dev/token` gives it a demo token. Not mounted in production.
 */
export function liveRoutes(jwtSecret: string): Record<string, Route> {
  return {
    'GET /': (_req, res) => {
      writeHead(res, 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(LIVE_PAGE);
    },
    'GET /dev/token': async (_req, res, url) => {
      const user = url.searchParams.get('user') ?? DEMO_USER;
      if (user !== DEMO_USER)
        throw new AppError(ErrorCode.FORBIDDEN, `development tokens are minted for ${DEMO_USER} only`);
      writeHead(res, 200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ userId: user, token: await signToken(jwtSecret, user, '12h') }));
    },
  };
}

const LIVE_PAGE = /* html */ `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Campaign Manager · live</title>
<style>
 body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}
 h1{font-size:1.2rem} #status{font-weight:600} .ok{color:#087f23} .down{color:#b00020}
 table{border-collapse:collapse;width:100%;margin-top:1rem} td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
 tr.flash{animation:flash 1.5s ease-out} @keyframes flash{from{background:#fff59d}to{background:transparent}}
 .changed{background:#fff59d} code{font-size:12px} #log{font:12px monospace;max-height:12rem;overflow:auto;background:#f6f6f6;padding:.5rem}
</style></head>
<body>
<h1>Live: <span id="campaign"></span> / <span id="branch"></span></h1>
<p>Stream: <span id="status" class="down">connecting</span> · last seq <code id="seq">–</code> · <span id="count">0</span> changes</p>
<table><thead><tr><th>entity</th><th>id</th><th>values</th><th>last change</th><th>seq</th></tr></thead><tbody id="rows"></tbody></table>
<h2 style="font-size:1rem">Events</h2><div id="log"></div>
<script>
const params = new URLSearchParams(location.search);
const campaign = params.get('campaign') || 'shattered-crown';
const branch = params.get('branch') || 'main';
document.getElementById('campaign').textContent = campaign;
document.getElementById('branch').textContent = branch;
const entities = new Map();
let count = 0;
const status = (text, ok) => { const s = document.getElementById('status'); s.textContent = text; s.className = ok ? 'ok' : 'down'; };
function render(u) {
  const key = u.entityType + ':' + u.entityId;
  let e = entities.get(key);
  if (!e) {
    const tr = document.createElement('tr');
    tr.dataset.entity = key;
    tr.innerHTML = '<td></td><td></td><td class="values"></td><td class="change"></td><td class="seq"></td>';
    tr.children[0].textContent = u.entityType; tr.children[1].textContent = u.entityId;
    document.getElementById('rows').appendChild(tr);
    e = { tr, values: {} };
    entities.set(key, e);
  }
  if (u.state === null) e.values = { deleted: true }; else Object.assign(e.values, u.state);
  const cells = e.tr.querySelector('.values');
  cells.textContent = '';
  for (const [k, v] of Object.entries(e.values)) {
    const span = document.createElement('span');
    span.textContent = k + '=' + (typeof v === 'object' ? JSON.stringify(v) : String(v)) + ' ';
    if (u.changes.includes(k)) span.className = 'changed';
    cells.appendChild(span);
  }
  e.tr.querySelector('.change').textContent = u.type + ' by ' + u.updatedBy;
  e.tr.querySelector('.seq').textContent = String(u.seq);
  e.tr.classList.remove('flash'); void e.tr.offsetWidth; e.tr.classList.add('flash');
  document.getElementById('seq').textContent = String(u.seq);
  document.getElementById('count').textContent = String(++count);
  const line = document.createElement('div');
  line.textContent = '#' + u.seq + ' ' + u.type + ' ' + u.entityType + ':' + u.entityId + ' ' + JSON.stringify(u.state);
  document.getElementById('log').prepend(line);
}
async function start() {
  const { token } = await (await fetch('/dev/token')).json();
  // From 0: the page builds its entity list from the campaign's history, then follows live. EventSource sends
  // Last-Event-ID itself on every reconnect, so a gateway restart loses nothing.
  const url = '/events?campaign=' + encodeURIComponent(campaign) + '&branch=' + encodeURIComponent(branch) + '&lastEventId=0&coalesce=0&token=' + encodeURIComponent(token);
  const es = new EventSource(url);
  es.onopen = () => status('live', true);
  es.onerror = () => status('reconnecting', false);
  es.onmessage = (m) => render(JSON.parse(m.data));
  for (const reason of ['RESUME_TOO_OLD', 'SLOW_CONSUMER', 'TOKEN_EXPIRED', 'MEMBERSHIP_REVOKED', 'SHUTTING_DOWN', 'error']) {
    es.addEventListener(reason, (m) => status(reason + ': ' + (m.data || ''), false));
  }
}
start().catch((e) => status(String(e), false));
</script></body></html>`;
