// N WebSocket chats at once through flowgate's /ws (one socket each, the
// seed's frames, read until has_more_messages is "false"), against the peer:
// the same N streams requested from the mock upstream directly (SSE). Prints
// one JSON line per target: completed, errors, time to first frame and to the
// end (p50/p99 ms), wall time.
//   node ws_streams.mjs FLOWGATE_URL MOCK_URL N TOKENS DELAY_MS [cached]
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../tests/package.json', import.meta.url));
const WebSocket = require('ws');
const [fgUrl, mockUrl, nArg, tokArg, delayArg, mode] = process.argv.slice(2);
const n = Number(nArg || 1000), tokens = Number(tokArg || 100), delay = Number(delayArg || 10);
const cached = mode === 'cached';

const pct = (v, p) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]; };
const summary = (target, first, total, errors, wall) => JSON.stringify({
  target, streams: n, completed: total.length, errors,
  first_p50_ms: +pct(first, 0.5).toFixed(2), first_p99_ms: +pct(first, 0.99).toFixed(2),
  end_p50_ms: +pct(total, 0.5).toFixed(1), end_p99_ms: +pct(total, 0.99).toFixed(1), wall_ms: Math.round(wall) });

function oneSocket(i, first, total) {
  return new Promise((resolve) => {
    const ws = new WebSocket(fgUrl.replace('http', 'ws') + '/ws');
    let t0 = 0, got = false;
    const prompt = cached ? 'What is the answer to question 7?' : `Stream ${i} [mock: tokens=${tokens} delay=${delay}]`;
    ws.on('open', () => {
      t0 = performance.now();
      ws.send(JSON.stringify({ action: 'sendmessage', prompt, model: 'mock', chat_id: `c${i}`,
        parameters: cached ? { node_id: 'node-7' } : {}, invalidate_cache: 'false' }));
    });
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      if (!got) { got = true; first.push(performance.now() - t0); }
      if (f.error) { ws.close(); resolve(false); }
      if (f.has_more_messages === 'false') { total.push(performance.now() - t0); ws.close(); resolve(true); }
    });
    ws.on('error', () => resolve(false));
  });
}

async function viaFlowgate() {
  const first = [], total = [];
  const t = performance.now();
  const ok = await Promise.all(Array.from({ length: n }, (_, i) => oneSocket(i, first, total)));
  console.log(summary(cached ? 'flowgate-ws-cache-hit' : 'flowgate-ws', first, total, ok.filter((x) => !x).length, performance.now() - t));
}

async function oneDirect(i, first, total) {
  const t0 = performance.now();
  try {
    const r = await fetch(`${mockUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock', stream: true, messages: [{ role: 'user', content: `Stream ${i} [mock: tokens=${tokens} delay=${delay}]` }] }) });
    let got = false;
    for await (const chunk of r.body) { if (!got) { got = true; first.push(performance.now() - t0); } }
    total.push(performance.now() - t0);
    return true;
  } catch { return false; }
}

async function direct() {
  const first = [], total = [];
  const t = performance.now();
  const ok = await Promise.all(Array.from({ length: n }, (_, i) => oneDirect(i, first, total)));
  console.log(summary('direct-sse', first, total, ok.filter((x) => !x).length, performance.now() - t));
}

await viaFlowgate();
if (!cached) await direct();
