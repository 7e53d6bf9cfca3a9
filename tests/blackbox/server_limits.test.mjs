// The HTTP server's limits and lifecycle, over raw sockets: 431, 413, 408,
// idle close, keep-alive and pipelining, and graceful shutdown on SIGTERM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startMock, startServer, rawRequest, stopChild, sleep } from './lib.mjs';

let mock, server;

const CONFIG = `
server:
  max_header_bytes: 2048
  max_body_bytes: 4096
  request_timeout_ms: 300
  idle_timeout_ms: 600
  shutdown_grace_ms: 5000
providers:
  - name: up
    type: openai
    base_url: MOCK_URL/v1
models:
  - name: m
    deployments:
      - provider: up
`;

before(async () => {
  mock = await startMock();
  server = await startServer(CONFIG, { mockUrl: mock.url });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

const status = (reply) => Number(reply.split(' ')[1]);

test('headers over the limit get 431', async () => {
  const reply = await rawRequest(server.url, [
    `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`]);
  assert.equal(status(reply), 431);
});

test('a body over the limit gets 413, by Content-Length and by chunks', async () => {
  let reply = await rawRequest(server.url, [
    'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
    'Content-Length: 100000\r\n\r\n']);
  assert.equal(status(reply), 413);
  const chunk = 'a'.repeat(3000);
  reply = await rawRequest(server.url, [
    'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
    `Transfer-Encoding: chunked\r\n\r\n${(3000).toString(16)}\r\n${chunk}\r\n${(3000).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`]);
  assert.equal(status(reply), 413);
});

test('a client too slow to send its request gets 408 and the connection closes', async () => {
  const t0 = Date.now();
  const reply = await rawRequest(server.url, ['GET /healthz HTTP/1.1\r\nHost: x\r\n'], { timeoutMs: 3000 });
  assert.equal(status(reply), 408);
  assert.ok(Date.now() - t0 < 2500, 'closed by the server, not by the test timeout');
});

test('an idle keep-alive connection is closed after idle_timeout_ms', async () => {
  const t0 = Date.now();
  const reply = await rawRequest(server.url, ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'], { timeoutMs: 4000 });
  assert.equal(status(reply), 200);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 500 && elapsed < 3000, `closed after ${elapsed} ms`);
});

test('keep-alive and pipelined requests are answered in order', async () => {
  const req = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
  const reply = await rawRequest(server.url, [req + req + 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
  const statuses = [...reply.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => Number(m[1]));
  assert.deepEqual(statuses, [200, 200, 404]);
});

test('an upgrade answered without upgrading ends the connection: what follows is not read as requests', async () => {
  const upgrade = (path, key) => `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\n${key}Sec-WebSocket-Version: 13\r\n\r\n`;
  const frame = Buffer.from([0x81, 0x85, 1, 2, 3, 4, 0x69, 0x67, 0x6f, 0x68, 0x6e]).toString('latin1');
  for (const path of ['/ws', '/healthz']) {
    const reply = await rawRequest(server.url, [
      upgrade(path, '') + frame + 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'], { timeoutMs: 3000 });
    const statuses = [...reply.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => Number(m[1]));
    assert.equal(statuses.length, 1, `${path}: one answer, then the connection closes: ${reply}`);
    assert.notEqual(statuses[0], 101);
  }
});

test('malformed requests get 400', async () => {
  const reply = await rawRequest(server.url, ['BLAH\r\n\r\n']);
  assert.equal(status(reply), 400);
});

test('unknown routes 404 and wrong methods 405', async () => {
  assert.equal((await fetch(`${server.url}/nope`)).status, 404);
  assert.equal((await fetch(`${server.url}/v1/chat/completions`)).status, 405);
});

test('SIGTERM lets an in-flight stream finish, then the server exits 0', async () => {
  const own = await startServer(CONFIG, { mockUrl: mock.url });
  const res = await fetch(`${own.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', stream: true,
      messages: [{ role: 'user', content: 'x [mock: tokens=10 delay=50]' }] }),
  });
  const reader = res.body.getReader();
  await reader.read();
  const exited = stopChild(own.child, 'SIGTERM');
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  assert.ok(text.includes('data: [DONE]'), 'the stream completed');
  assert.equal(await exited, 0);
  await own.stop();
});

test('a store backend this build does not have is refused at start, not replaced by SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-pg-'));
  const cfg = join(dir, 'flowgate.yaml');
  writeFileSync(cfg, 'store:\n  backend: postgres\n  url: postgres://db.example/flowgate\n');
  const run = spawnSync(BIN, ['serve', '--config', cfg, '--port', '0', '--data', join(dir, 'data')],
    { encoding: 'utf8', timeout: 10000 });
  rmSync(dir, { recursive: true, force: true });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /store\.backend: postgres is not available/);
});
