// The /ws limits with a real client (`ws`): a message over
// server.ws_max_message_bytes closes the socket with 1009; the server pings
// every server.ws_ping_interval_ms and the client's automatic pong keeps the
// socket open; chat.max_chats_per_socket answers one more chat with an error
// frame; a reader that pauses gets every frame afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startMock, startServer, sleep } from './lib.mjs';

let mock, server;

const CONFIG = `
server:
  ws_max_message_bytes: 2048
  ws_ping_interval_ms: 300
  write_buffer_bytes: 4096
providers:
  - { name: up, type: openai, base_url: MOCK_URL/v1 }
models:
  - { name: m, deployments: [{ provider: up }] }
chat:
  default_model: m
  max_chats_per_socket: 2
`;

before(async () => {
  mock = await startMock();
  server = await startServer(CONFIG, { mockUrl: mock.url });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

const open = () => new Promise((resolve, reject) => {
  const ws = new WebSocket(server.url.replace('http', 'ws') + '/ws');
  ws.on('open', () => resolve(ws));
  ws.on('error', reject);
});

test('a message over ws_max_message_bytes closes the socket with 1009', async () => {
  const ws = await open();
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  ws.send(JSON.stringify({ action: 'sendmessage', prompt: 'x'.repeat(4096) }));
  assert.equal(await closed, 1009);
});

test('pings keep an idle socket open while the client answers them', async () => {
  const ws = await open();
  let pings = 0;
  ws.on('ping', () => pings++);
  await sleep(1000);
  assert.ok(pings >= 2, `pings seen: ${pings}`);
  assert.equal(ws.readyState, WebSocket.OPEN);
  ws.close();
});

test('one chat more than max_chats_per_socket gets an error frame; the others finish', async () => {
  const ws = await open();
  const frames = [];
  const done = new Promise((resolve) => ws.on('message', (d) => {
    frames.push(JSON.parse(d.toString()));
    const ends = frames.filter((f) => f.has_more_messages === 'false' && !f.error).length;
    if (ends === 2) resolve();
  }));
  for (const id of ['a', 'b', 'c'])
    ws.send(JSON.stringify({ action: 'sendmessage', prompt: `Chat ${id} [mock: tokens=20 delay=5]`, chat_id: id }));
  await done;
  const err = frames.find((f) => f.chat_id === 'c');
  assert.equal(err.error.type, 'rate_limited');
  assert.equal(err.has_more_messages, 'false');
  ws.close();
});

test('a reader that pauses (shorter than the ping interval) loses nothing', async () => {
  const ws = await open();
  const frames = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  ws.send(JSON.stringify({ action: 'sendmessage', prompt: 'Slow reader [mock: tokens=300]', chat_id: 'slow' }));
  await sleep(50);
  ws._socket.pause();
  await sleep(200);
  ws._socket.resume();
  for (let i = 0; i < 200 && !frames.some((f) => f.has_more_messages === 'false'); i++) await sleep(25);
  const text = frames.filter((f) => f.chat_id === 'slow').map((f) => f.completion).join('');
  assert.equal(text.split(' ').length, 300, JSON.stringify(frames.slice(-3)));
  ws.close();
});
