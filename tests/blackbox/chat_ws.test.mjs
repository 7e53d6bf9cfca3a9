// Seed 003's chat API over a real WebSocket client (the `ws` package) and its
// REST twin: streamed frames, the seed's consumption loop, two chats at once on
// one socket, cancel (the mock upstream sees the disconnect), error frames.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startMock, startServer, sleep } from './lib.mjs';

let mock, server;

const CONFIG = `
providers:
  - { name: up, type: openai, base_url: MOCK_URL/v1 }
models:
  - { name: anthropic.claude-v2, deployments: [{ provider: up }] }
chat:
  default_model: anthropic.claude-v2
`;

before(async () => {
  mock = await startMock();
  server = await startServer(CONFIG, { mockUrl: mock.url });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

function connect() {
  const ws = new WebSocket(server.url.replace('http', 'ws') + '/ws');
  const frames = [];
  const waiters = [];
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString());
    frames.push(f);
    for (const w of waiters.splice(0)) w();
  });
  const next = (pred) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout; frames: ${JSON.stringify(frames).slice(0, 500)}`)), 5000);
    const check = () => {
      const f = frames.find(pred);
      if (f) { clearTimeout(t); resolve(f); } else waiters.push(check);
    };
    check();
  });
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve({ ws, frames, next }));
    ws.on('error', reject);
  });
}

const send = (ws, obj) => ws.send(JSON.stringify({ action: 'sendmessage', invalidate_cache: 'false', ...obj }));

test('a streamed answer in the seed frames, read until has_more_messages is "false"', async () => {
  const { ws, frames, next } = await connect();
  send(ws, { prompt: 'Hello [mock: tokens=5]', model: 'anthropic.claude-v2', chat_id: 'c1',
    parameters: { temperature: 0, max_tokens_to_sample: 100, stop_sequences: [] } });
  await next((f) => f.has_more_messages === 'false');
  const mine = frames.filter((f) => f.chat_id === 'c1');
  assert.ok(mine.every((f) => f.cached === 'false' && typeof f.has_more_messages === 'string'));
  const text = mine.map((f) => f.completion).join('');
  assert.equal(text.split(' ').length, 5);
  assert.equal(mine[mine.length - 1].completion, '');
  ws.close();
});

test('two chats interleaved on one socket, each complete', async () => {
  const { ws, frames, next } = await connect();
  send(ws, { prompt: 'one [mock: tokens=6 delay=10]', chat_id: 'a' });
  send(ws, { prompt: 'two [mock: tokens=4 delay=15]', chat_id: 'b' });
  await next((f) => f.chat_id === 'a' && f.has_more_messages === 'false');
  await next((f) => f.chat_id === 'b' && f.has_more_messages === 'false');
  const text = (id) => frames.filter((f) => f.chat_id === id).map((f) => f.completion).join('');
  assert.equal(text('a').split(' ').length, 6);
  assert.equal(text('b').split(' ').length, 4);
  const order = frames.map((f) => f.chat_id);
  assert.ok(order.indexOf('b') < order.lastIndexOf('a'), 'the answers were interleaved');
  ws.close();
});

test('cancel stops the stream and the upstream request', async () => {
  const { ws, frames, next } = await connect();
  const before = (await mock.stats()).disconnects;
  send(ws, { prompt: 'long [mock: tokens=500 delay=10]', chat_id: 'x' });
  await next((f) => f.chat_id === 'x' && f.completion);
  ws.send(JSON.stringify({ action: 'cancel', chat_id: 'x' }));
  await next((f) => f.chat_id === 'x' && f.has_more_messages === 'false');
  let stats;
  for (let i = 0; i < 100; i++) {
    stats = await mock.stats();
    if (stats.disconnects > before) break;
    await sleep(10);
  }
  assert.ok(stats.disconnects > before, 'the upstream request was aborted');
  assert.ok(frames.filter((f) => f.chat_id === 'x').length < 100);
  ws.close();
});

test('errors come as error frames; bad frames too', async () => {
  const { ws, next } = await connect();
  send(ws, { prompt: 'x', model: 'no-such-model', chat_id: 'e1' });
  const e1 = await next((f) => f.chat_id === 'e1');
  assert.equal(e1.has_more_messages, 'false');
  assert.match(e1.error.message, /not found/);
  ws.send('not json');
  const e2 = await next((f) => f.error && f.chat_id === null);
  assert.match(e2.error.message, /JSON object/);
  send(ws, { chat_id: 'e3' });
  const e3 = await next((f) => f.chat_id === 'e3');
  assert.match(e3.error.message, /prompt/);
  ws.close();
});

test('closing the socket cancels its chats upstream', async () => {
  const { ws, next } = await connect();
  const before = (await mock.stats()).disconnects;
  send(ws, { prompt: 'long [mock: tokens=500 delay=10]', chat_id: 'z' });
  await next((f) => f.chat_id === 'z' && f.completion);
  ws.terminate();
  let stats;
  for (let i = 0; i < 100; i++) {
    stats = await mock.stats();
    if (stats.disconnects > before) break;
    await sleep(10);
  }
  assert.ok(stats.disconnects > before);
});

test('GET /ws without an upgrade is 426; POST /RestLambda answers one JSON', async () => {
  assert.equal((await fetch(`${server.url}/ws`)).status, 426);
  const r = await fetch(`${server.url}/RestLambda`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'Hi [mock: tokens=3]', model: 'anthropic.claude-v2',
      parameters: { temperature: 0, stop_sequences: [], max_tokens_to_sample: 10 } }) });
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.completion.split(' ').length, 3);
  const bad = await fetch(`${server.url}/RestLambda`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'anthropic.claude-v2' }) });
  assert.equal(bad.status, 422);
});
