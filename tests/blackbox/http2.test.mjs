// HTTP/2 with prior knowledge on the server port, with node's built-in http2
// client and curl: plain and streamed (SSE) responses, concurrent streams on one
// connection, RST_STREAM cancelling the upstream, the limits (408, 413, 431),
// flow control and a paused reader, and GOAWAY on graceful shutdown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { execFileSync } from 'node:child_process';
import { startMock, startServer, stopChild, sleep } from './lib.mjs';

let mock, server, session;

const CONFIG = `
server:
  max_body_bytes: 4096
  request_timeout_ms: 500
providers:
  - name: up
    type: openai
    base_url: MOCK_URL/v1
models:
  - name: gpt-test
    deployments:
      - provider: up
        model: mock-upstream
`;

before(async () => {
  mock = await startMock();
  server = await startServer(CONFIG, { mockUrl: mock.url });
  session = http2.connect(server.url);
});

after(async () => {
  session?.close();
  await server?.stop();
  await mock?.stop();
});

// One request on a session; resolves { status, headers, body } or rejects on a
// stream error.
function request(sess, headers, body, onStream) {
  return new Promise((resolve, reject) => {
    const req = sess.request(headers, { endStream: body === undefined });
    let status, hdrs;
    const chunks = [];
    req.on('response', (h) => { status = h[':status']; hdrs = h; });
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => resolve({ status, headers: hdrs, body: Buffer.concat(chunks).toString() }));
    req.on('error', reject);
    if (onStream) onStream(req);
    if (body !== undefined) req.end(body);
  });
}

const chat = (content, stream) => JSON.stringify({
  model: 'gpt-test', stream, messages: [{ role: 'user', content }] });

const post = (path, extra = {}) => ({
  ':method': 'POST', ':path': path, 'content-type': 'application/json', ...extra });

test('GET /healthz over HTTP/2 with the usual response headers', async () => {
  const r = await request(session, { ':method': 'GET', ':path': '/healthz' });
  assert.equal(r.status, 200);
  assert.match(r.headers['x-request-id'], /^[0-9a-f]{16}$/);
  assert.ok(Number(r.headers['x-flowgate-overhead-ms']) >= 0);
  assert.equal(r.headers['transfer-encoding'], undefined);
  const id = r.headers['x-request-id'];
  for (let i = 0; i < 100 && !server.log().includes(id); i++) await sleep(10);
  const line = server.log().split('\n').find((l) => l.includes(id));
  assert.ok(line, 'an access log line for the request');
  assert.equal(JSON.parse(line).http, '2');
});

test('curl --http2-prior-knowledge gets an HTTP/2 answer', () => {
  const out = execFileSync('curl', ['-si', '--http2-prior-knowledge', `${server.url}/healthz`]).toString();
  assert.match(out, /^HTTP\/2 200/);
});

test('a streamed chat completion arrives as SSE over one HTTP/2 stream', async () => {
  const arrivals = [];
  const r = await request(session, post('/v1/chat/completions'),
    chat('Tell a story [mock: tokens=6 delay=30]', true),
    (req) => req.on('data', () => arrivals.push(Date.now())));
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/event-stream/);
  const events = r.body.split('\n\n').filter((e) => e.startsWith('data: '));
  assert.equal(events.at(-1), 'data: [DONE]');
  const text = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)))
    .map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.ok(text.trim().split(/\s+/).length >= 6, `got: ${text}`);
  assert.ok(arrivals.length >= 3, `expected separate DATA arrivals, got ${arrivals.length}`);
});

test('several concurrent streams on one connection all complete', async () => {
  const sess = http2.connect(server.url);
  let sockets = 0;
  sess.on('connect', () => { sockets++; });
  const jobs = [];
  for (let i = 0; i < 8; i++) {
    jobs.push(request(sess, post('/v1/chat/completions'),
      chat(`n${i} [mock: tokens=5 delay=80]`, i % 2 === 0)));
    jobs.push(request(sess, { ':method': 'GET', ':path': '/healthz' }));
  }
  const t0 = Date.now();
  const results = await Promise.all(jobs);
  const ms = Date.now() - t0;
  sess.close();
  assert.equal(sockets, 1);
  for (const r of results) assert.equal(r.status, 200);
  for (let i = 0; i < 16; i += 4) assert.ok(results[i].body.includes('data: [DONE]'));
  for (let i = 2; i < 16; i += 4) assert.ok(JSON.parse(results[i].body).choices[0].message.content);
  // 8 upstream answers of ~400 ms each ran side by side (one after another
  // would take over 3 s).
  assert.ok(ms < 2000, `concurrent streams took ${ms} ms`);
});

test('RST_STREAM on a streaming request cancels the upstream; the connection lives on', async () => {
  const before = (await mock.stats()).disconnects;
  let resetAt;
  await new Promise((resolve) => {
    const req = session.request(post('/v1/chat/completions'));
    req.once('data', () => {
      resetAt = Date.now();
      req.close(http2.constants.NGHTTP2_CANCEL);
    });
    req.on('close', resolve);
    req.on('error', () => {});
    req.end(chat('x [mock: tokens=200 delay=20]', true));
  });
  let stats;
  for (let i = 0; i < 200; i++) {
    stats = await mock.stats();
    if (stats.disconnects > before) break;
    await sleep(5);
  }
  assert.ok(stats.disconnects > before, 'the mock saw the upstream request cancelled');
  assert.ok(stats.last_disconnect_ms - resetAt < 100,
    `upstream cancelled ${stats.last_disconnect_ms - resetAt} ms after the reset`);
  const r = await request(session, { ':method': 'GET', ':path': '/healthz' });
  assert.equal(r.status, 200);
});

test('a body over the limit gets 413, announced or not', async () => {
  const big = 'x'.repeat(10000);
  const announced = await request(session, post('/v1/chat/completions', { 'content-length': big.length }), big);
  assert.equal(announced.status, 413);
  assert.equal(JSON.parse(announced.body).error.type, 'request_too_large');
  const unannounced = await request(session, post('/v1/chat/completions'), big);
  assert.equal(unannounced.status, 413);
  const r = await request(session, { ':method': 'GET', ':path': '/healthz' });
  assert.equal(r.status, 200);
});

test('headers over the limit get 431 on that stream only', async () => {
  const r = await request(session, { ':method': 'GET', ':path': '/healthz', 'x-big': 'a'.repeat(20000) });
  assert.equal(r.status, 431);
  assert.equal(JSON.parse(r.body).error.type, 'request_header_fields_too_large');
  const ok = await request(session, { ':method': 'GET', ':path': '/healthz' });
  assert.equal(ok.status, 200);
});

test('a request whose body never ends gets 408', async () => {
  const t0 = Date.now();
  const r = await new Promise((resolve, reject) => {
    const req = session.request(post('/v1/chat/completions'), { endStream: false });
    req.write('{"model":');
    const chunks = [];
    let status;
    req.on('response', (h) => { status = h[':status']; });
    req.on('data', (d) => chunks.push(d));
    req.on('close', () => resolve({ status, body: Buffer.concat(chunks).toString() }));
    req.on('error', reject);
  });
  assert.equal(r.status, 408);
  assert.equal(JSON.parse(r.body).error.type, 'request_timeout');
  assert.ok(Date.now() - t0 >= 450, 'not before the timeout');
});

test('an unknown route gets 404 and a wrong method 405', async () => {
  const r = await request(session, { ':method': 'GET', ':path': '/no/such/route?x=1' });
  assert.equal(r.status, 404);
  assert.equal(JSON.parse(r.body).error.type, 'not_found');
  const m = await request(session, { ':method': 'DELETE', ':path': '/healthz' });
  assert.equal(m.status, 405);
});

test('a large response respects flow control and arrives whole', async () => {
  // A small client window forces the server to wait for WINDOW_UPDATEs.
  const sess = http2.connect(server.url, { settings: { initialWindowSize: 1024 } });
  const r = await request(sess, post('/v1/chat/completions'), chat('x [mock: tokens=3000]', true));
  sess.close();
  assert.equal(r.status, 200);
  assert.ok(r.body.endsWith('data: [DONE]\n\n'));
  assert.ok(r.body.length > 100000, `body of ${r.body.length} bytes`);
});

test('a paused reader: the server holds its output and resumes when the client reads', async () => {
  const r = await request(session, post('/v1/chat/completions'), chat('x [mock: tokens=30000]', true),
    (req) => req.once('data', () => { req.pause(); setTimeout(() => req.resume(), 400); }));
  assert.equal(r.status, 200);
  assert.ok(r.body.endsWith('data: [DONE]\n\n'));
  assert.ok(r.body.length > 1000000, `body of ${r.body.length} bytes`);
});

test('graceful shutdown sends GOAWAY and lets the running stream finish', async () => {
  const own = await startServer(CONFIG, { mockUrl: mock.url });
  const sess = http2.connect(own.url);
  let goaway = false;
  sess.on('goaway', () => { goaway = true; });
  sess.on('error', () => {});
  let exited;
  const r = await request(sess, post('/v1/chat/completions'),
    chat('x [mock: tokens=8 delay=40]', true),
    (req) => req.once('data', () => { exited = stopChild(own.child); }));
  assert.equal(r.status, 200);
  assert.ok(r.body.endsWith('data: [DONE]\n\n'), 'the stream finished after SIGTERM');
  assert.ok(goaway, 'the client got GOAWAY');
  assert.equal(await exited, 0);
  sess.close();
  await own.stop();
});
