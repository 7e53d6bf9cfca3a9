// The OpenAI-shaped surface with the official `openai` npm client and curl,
// flowgate in front of `flowgate mock-llm` over loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startMock, startServer, sleep, BIN } from './lib.mjs';

let mock, server, client;

const CONFIG = `
providers:
  - name: up
    type: openai
    base_url: MOCK_URL/v1
    api_key: sk-upstream
  - name: broken
    type: openai
    base_url: MOCK_URL/v1
    headers:
      x-mock-fault: http-500
  - name: early-stream-error
    type: openai
    base_url: MOCK_URL/v1
    headers:
      x-mock-fault: stream-error
      x-mock-fault-after: "0"
  - name: nowhere
    type: openai
    base_url: http://127.0.0.1:1/v1
  - name: inproc
    type: mock
models:
  - name: gpt-test
    deployments:
      - provider: up
        model: mock-upstream
  - name: with-fallback
    deployments:
      - provider: broken
        weight: 1000000
      - provider: up
        weight: 0.000001
  - name: fallback-on-stream-error
    deployments:
      - provider: early-stream-error
        weight: 1000000
      - provider: up
        weight: 0.000001
  - name: unreachable
    deployments:
      - provider: nowhere
  - name: local-mock
    deployments:
      - provider: inproc
router:
  retries: 1
  backoff_ms: 5
prices:
  - model: mock-upstream
    input_per_mtok: 1000
    output_per_mtok: 2000
`;

before(async () => {
  mock = await startMock();
  server = await startServer(CONFIG, { mockUrl: mock.url });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

test('non-streaming completion through the openai client', async () => {
  const r = await client.chat.completions.create({
    model: 'gpt-test',
    messages: [{ role: 'user', content: 'Say hello [mock: tokens=5]' }],
  });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, 'gpt-test');
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.equal(r.choices[0].message.content.split(' ').length, 5);
  assert.equal(r.usage.completion_tokens, 5);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 5);
});

test('streaming completion: chunk format, one id, role first, finish, usage chunk', async () => {
  const stream = await client.chat.completions.create({
    model: 'gpt-test',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Tell a story [mock: tokens=6]' }],
  });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  const ids = new Set(chunks.map((c) => c.id));
  const created = new Set(chunks.map((c) => c.created));
  assert.equal(ids.size, 1);
  assert.equal(created.size, 1);
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  const text = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).join('');
  assert.equal(text.split(' ').length, 6);
  const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
  assert.equal(finish.length, 1);
  assert.equal(finish[0].choices[0].finish_reason, 'stop');
  const last = chunks[chunks.length - 1];
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage.completion_tokens, 6);
  // Every chunk but the last says usage: null when include_usage is on.
  assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
});

test('streamed and non-streamed usage agree', async () => {
  const messages = [{ role: 'user', content: 'Count these words please [mock: tokens=7]' }];
  const plain = await client.chat.completions.create({ model: 'gpt-test', messages });
  const stream = await client.chat.completions.create({
    model: 'gpt-test', messages, stream: true, stream_options: { include_usage: true },
  });
  let usage;
  for await (const c of stream) if (c.usage) usage = c.usage;
  assert.deepEqual(usage, plain.usage);
});

test('the usage chunk is hidden from a client that did not ask for it', async () => {
  const stream = await client.chat.completions.create({
    model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'x [mock: tokens=2]' }],
  });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.ok(chunks.every((c) => c.choices.length === 1));
  assert.ok(chunks.every((c) => !('usage' in c) || c.usage === undefined));
});

test('max_tokens caps the answer with finish_reason length', async () => {
  const r = await client.chat.completions.create({
    model: 'gpt-test', max_completion_tokens: 3,
    messages: [{ role: 'user', content: 'long [mock: tokens=50]' }],
  });
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 3);
});

test('the in-process mock provider answers too', async () => {
  const r = await client.chat.completions.create({
    model: 'local-mock', messages: [{ role: 'user', content: '[mock-reply]Hello there, friend.[/mock-reply]' }],
  });
  assert.equal(r.choices[0].message.content, 'Hello there, friend.');
});

test('fallback to the next deployment when the first fails with 5xx', async () => {
  const r = await client.chat.completions.create({
    model: 'with-fallback', messages: [{ role: 'user', content: 'hi [mock: tokens=3]' }],
  });
  assert.equal(r.usage.completion_tokens, 3);
});

test('an error inside the stream before the first token falls back before the 200', async () => {
  const stream = await client.chat.completions.create({
    model: 'fallback-on-stream-error', stream: true,
    messages: [{ role: 'user', content: 'hi [mock: tokens=4]' }],
  });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
  assert.equal(text.split(' ').length, 4);
});

test('an error inside the stream after the first token ends with an error event', async () => {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-test', stream: true,
      messages: [{ role: 'user', content: 'x [mock: tokens=9 fault=stream-error after=3]' }] }),
  });
  assert.equal(res.status, 200);
  const body = await res.text();
  const events = body.split('\n\n').filter(Boolean);
  const last = JSON.parse(events[events.length - 1].slice(6));
  assert.ok(last.error, 'last event is an error');
  assert.ok(!body.includes('[DONE]'));
});

test('unreachable upstream after retries is 502 in the OpenAI error shape', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'unreachable', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 502 && /upstream/.test(e.message));
});

test('unknown model is 404, malformed JSON 400, wrong content type 415', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 404);
  let r = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "gpt-test", "messages": [',
  });
  assert.equal(r.status, 400);
  assert.match((await r.json()).error.message, /not valid JSON/);
  r = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}',
  });
  assert.equal(r.status, 415);
  r = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'wizard', content: 'x' }] }),
  });
  assert.equal(r.status, 400);
  const e = await r.json();
  assert.equal(e.error.param, 'messages[0].role');
  r = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-test', temperature: 9, messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.param, 'temperature');
});

test('GET /v1/models lists the configured models', async () => {
  const list = await client.models.list();
  const ids = list.data.map((m) => m.id);
  assert.ok(ids.includes('gpt-test') && ids.includes('with-fallback'));
});

test('curl --no-buffer receives chunks as they are produced', async () => {
  const body = JSON.stringify({ model: 'gpt-test', stream: true,
    messages: [{ role: 'user', content: 'x [mock: tokens=5 delay=60]' }] });
  const curl = spawn('curl', ['--no-buffer', '-s', '-H', 'Content-Type: application/json', '-d', body,
    `${server.url}/v1/chat/completions`]);
  const arrivals = [];
  const t0 = Date.now();
  curl.stdout.on('data', (d) => arrivals.push([Date.now() - t0, d.toString()]));
  await new Promise((r) => curl.on('exit', r));
  const all = arrivals.map((a) => a[1]).join('');
  assert.ok(all.includes('data: [DONE]'));
  assert.ok(arrivals.length >= 4, `expected several separate arrivals, got ${arrivals.length}`);
  assert.ok(arrivals[0][0] < arrivals[arrivals.length - 1][0] - 150, 'first chunk arrived well before the last');
});

// The request each surface sends for a slow answer.
const SLOW = 'x [mock: tokens=200 delay=20]';
const surfaces = {
  openai: (stream) => ['/v1/chat/completions', { model: 'gpt-test', stream, messages: [{ role: 'user', content: SLOW }] }],
  anthropic: (stream) => ['/v1/messages', { model: 'gpt-test', stream, max_tokens: 500, messages: [{ role: 'user', content: SLOW }] }],
  bedrock: (stream) => [`/model/gpt-test/${stream ? 'converse-stream' : 'converse'}`,
    { messages: [{ role: 'user', content: [{ text: SLOW }] }] }],
};

async function disconnectLatency(stream, surface = 'openai') {
  const before = (await mock.stats()).disconnects;
  const ctl = new AbortController();
  const [path, body] = surfaces[surface](stream);
  const res = fetch(`${server.url}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, signal: ctl.signal,
    body: JSON.stringify(body),
  });
  if (stream) {
    const r = await res;
    const reader = r.body.getReader();
    await reader.read(); // the first token arrived
  } else {
    await sleep(150); // the upstream is answering, nothing sent to the client yet
  }
  const abortedAt = Date.now();
  ctl.abort();
  await res.catch(() => {});
  let stats;
  for (let i = 0; i < 200; i++) {
    stats = await mock.stats();
    if (stats.disconnects > before) break;
    await sleep(5);
  }
  assert.ok(stats.disconnects > before, 'the mock saw the upstream request cancelled');
  return stats.last_disconnect_ms - abortedAt;
}

test('client disconnect after the first token cancels the upstream within 100 ms', async () => {
  const ms = await disconnectLatency(true);
  assert.ok(ms < 100, `upstream cancelled ${ms} ms after the client left`);
});

test('client disconnect before the first token (non-streaming) cancels the upstream within 100 ms', async () => {
  const ms = await disconnectLatency(false);
  assert.ok(ms < 100, `upstream cancelled ${ms} ms after the client left`);
});

for (const surface of ['anthropic', 'bedrock']) {
  for (const stream of [true, false]) {
    test(`${surface} surface: a client disconnect (${stream ? 'streaming' : 'non-streaming'}) cancels the upstream within 100 ms`, async () => {
      const ms = await disconnectLatency(stream, surface);
      assert.ok(ms < 100, `upstream cancelled ${ms} ms after the client left`);
    });
  }
}

test('x-flowgate-overhead-ms and x-request-id headers are present', async () => {
  const r = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x [mock: tokens=1]' }] }),
  });
  assert.equal(r.status, 200);
  assert.ok(Number(r.headers.get('x-flowgate-overhead-ms')) >= 0);
  assert.match(r.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
});

test('metrics count requests and tokens', async () => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(text, /flowgate_http_requests_total\{route="\/v1\/chat\/completions",model="gpt-test",status="200"\} \d+/);
  assert.match(text, /flowgate_tokens_total\{model="gpt-test",direction="output"\} \d+/);
  assert.match(text, /flowgate_ttft_seconds_bucket/);
  assert.match(text, /flowgate_http_in_flight\{\} [0-9]/);
  assert.match(text, /flowgate_overhead_seconds_bucket/);
});

test('usage is recorded per request: tokens, outcome, cost; cancelled requests too', async () => {
  const tag = `usage-${Date.now()}`;
  await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: `${tag} [mock: tokens=7]` }] });
  const stream = await client.chat.completions.create({ model: 'gpt-test', stream: true,
    messages: [{ role: 'user', content: `${tag} [mock: tokens=7]` }] });
  for await (const c of stream) void c;
  let rows = [];
  for (let i = 0; i < 50; i++) {
    const out = execFileSync(BIN, ['usage', '--data', join(server.dataDir, 'data'), '--json', '--limit', '1000']).toString();
    rows = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    if (rows.filter((r) => r.output_tokens === 7).length >= 2 && rows.some((r) => r.outcome === 'cancelled')) break;
    await sleep(50);
  }
  const sevens = rows.filter((r) => r.output_tokens === 7 && r.model === 'gpt-test');
  assert.ok(sevens.length >= 2, 'both requests recorded');
  assert.equal(sevens[0].input_tokens, sevens[1].input_tokens);
  assert.equal(sevens[0].deployment, 'up/mock-upstream');
  assert.ok(Math.abs(sevens[0].cost - (sevens[0].input_tokens * 1000 + 7 * 2000) / 1e6) < 1e-9);
  const cancelled = rows.find((r) => r.outcome === 'cancelled');
  assert.ok(cancelled, 'a cancelled request was recorded');
  assert.equal(cancelled.status, 499);
  assert.ok(rows.some((r) => r.status === 502 && r.outcome === 'error'));
});

test('embeddings through the openai client: shapes, dimensions, base64, similarity', async () => {
  const r = await client.embeddings.create({ model: 'gpt-test', input: ['the cat sat on the mat', 'the cat sat', 'quantum chromodynamics'], dimensions: 64, encoding_format: 'float' });
  assert.equal(r.object, 'list');
  assert.equal(r.data.length, 3);
  assert.equal(r.data[0].embedding.length, 64);
  const cos = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
  assert.ok(cos(r.data[0].embedding, r.data[1].embedding) > cos(r.data[0].embedding, r.data[2].embedding));
  assert.ok(r.usage.prompt_tokens > 0);
  const b = await client.embeddings.create({ model: 'gpt-test', input: 'hello world', dimensions: 8 });
  // The openai client asks for base64 and decodes it into floats.
  assert.equal(b.data[0].embedding.length, 8);
  assert.ok(Math.abs(cos(b.data[0].embedding, b.data[0].embedding) - 1) < 1e-5);
  const bad = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-test', input: [1, 2] }) });
  assert.equal(bad.status, 400);
});
