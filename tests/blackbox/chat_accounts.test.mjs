// Chats, history and cache entries belong to the caller's account (auth on):
// the WebSocket takes its token at the upgrade (?token=), another account's
// chat is 404, and neither the chat API's cache nor the gateway's is shared
// between accounts; API keys listed in cache.gateway_keys opt in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startAuthServer, authConfig, makeKeys, call, login } from './auth_lib.mjs';
import { startServer } from './lib.mjs';

let server, alice, bob;

before(async () => {
  server = await startAuthServer(makeKeys(), 'cache:\n  mode: exact\n');
  const admin = (await login(server, 'admin', server.adminPassword)).access_token;
  for (const [name, user] of [['A', 'alice'], ['B', 'bob']]) {
    const acc = (await call(server, 'POST', '/admin/accounts', { token: admin, body: { name } })).json.id;
    const r = await call(server, 'POST', `/admin/accounts/${acc}/users`, { token: admin,
      body: { login: user, password: 'correct horse', role: 'user' } });
    assert.equal(r.status, 201, r.text);
  }
  alice = (await login(server, 'alice', 'correct horse')).access_token;
  bob = (await login(server, 'bob', 'correct horse')).access_token;
});

after(async () => { assert.equal(await server?.stop(), 0, 'the server stopped cleanly'); });

// One message over /ws with the token in the query string, read until has_more_messages is "false".
function ask(token, { prompt, chat_id, node_id }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?token=${encodeURIComponent(token)}`);
    const frames = [];
    ws.on('unexpected-response', (req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.on('open', () => ws.send(JSON.stringify({ action: 'sendmessage', prompt, chat_id, model: 'test-model',
      parameters: { node_id }, invalidate_cache: 'false' })));
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      frames.push(f);
      if (f.has_more_messages === 'false') {
        ws.close();
        if (f.error) reject(new Error(JSON.stringify(f.error)));
        else resolve({ cached: frames[0].cached, text: frames.map((x) => x.completion).join('') });
      }
    });
    ws.on('error', reject);
  });
}

test('the chat API cache and history are per account', async () => {
  const q = { prompt: 'Account question [mock: tokens=4]', node_id: 'n1' };
  const a1 = await ask(alice, { ...q, chat_id: 'shared' });
  assert.equal(a1.cached, 'false');
  const b1 = await ask(bob, { ...q, chat_id: 'bob-1' });
  assert.equal(b1.cached, 'false', "bob does not get alice's cached answer");
  const a2 = await ask(alice, { ...q, chat_id: 'alice-2' });
  assert.equal(a2.cached, 'true');
  assert.equal(a2.text, a1.text);
  // the same chat_id under bob is bob's own chat
  await ask(bob, { prompt: 'Bob talks [mock: tokens=2]', chat_id: 'shared', node_id: 'n2' });
  const mine = await call(server, 'GET', '/chats/shared', { token: alice });
  assert.equal(mine.status, 200);
  assert.deepEqual(mine.json.messages.filter((m) => m.role === 'user').map((m) => m.content), [q.prompt]);
  const theirs = await call(server, 'GET', '/chats/shared', { token: bob });
  assert.deepEqual(theirs.json.messages.filter((m) => m.role === 'user').map((m) => m.content), ['Bob talks [mock: tokens=2]']);
  assert.equal((await call(server, 'GET', '/chats/alice-2', { token: bob })).status, 404);
  assert.equal((await call(server, 'DELETE', '/chats/alice-2', { token: bob })).status, 404);
  assert.equal((await call(server, 'GET', '/chats/alice-2', { token: alice })).status, 200);
  const list = await call(server, 'GET', '/chats', { token: bob });
  assert.deepEqual(list.json.chats.map((c) => c.chat_id).sort(), ['bob-1', 'shared']);
  assert.equal((await call(server, 'GET', '/chats', { token: undefined })).status, 401);
});

test('the gateway cache is per account', async () => {
  const body = { model: 'test-model', messages: [{ role: 'user', content: 'Gateway per account [mock: tokens=5]' }] };
  const headers = { 'x-flowgate-cache': 'use' };
  const a1 = await call(server, 'POST', '/v1/chat/completions', { token: alice, body, headers });
  assert.equal(a1.headers.get('x-flowgate-cache'), 'miss');
  const b1 = await call(server, 'POST', '/v1/chat/completions', { token: bob, body, headers });
  assert.equal(b1.headers.get('x-flowgate-cache'), 'miss');
  const a2 = await call(server, 'POST', '/v1/chat/completions', { token: alice, body, headers });
  assert.equal(a2.headers.get('x-flowgate-cache'), 'hit');
  assert.equal(a2.json.choices[0].message.content, a1.json.choices[0].message.content);
});

test('cache.gateway_keys: requests made with a listed API key are cached, others not', async () => {
  const keysPair = makeKeys();
  const first = await startAuthServer(keysPair);
  const admin = (await login(first, 'admin', first.adminPassword)).access_token;
  const acc = (await call(first, 'POST', '/admin/accounts', { token: admin, body: { name: 'K' } })).json.id;
  const made = async (name) => (await call(first, 'POST', `/admin/accounts/${acc}/keys`, { token: admin, body: { name } })).json;
  const listed = await made('listed');
  const other = await made('other');
  // The key ids go into the configuration: a second server on a copy of the first one's data.
  const saved = mkdtempSync(join(tmpdir(), 'fg-keys-'));
  cpSync(join(first.dataDir, 'data'), saved, { recursive: true });
  await first.stop();
  const second = await startServer(authConfig(`cache:\n  gateway_keys: ${listed.id}\n`), {
    prepare: (data) => cpSync(saved, data, { recursive: true }),
  });
  try {
    const body = { model: 'test-model', messages: [{ role: 'user', content: 'Per key [mock: tokens=3]' }] };
    const ask = (key) => call(second, 'POST', '/v1/chat/completions', { token: key, body });
    assert.equal((await ask(listed.key)).headers.get('x-flowgate-cache'), 'miss');
    assert.equal((await ask(listed.key)).headers.get('x-flowgate-cache'), 'hit');
    assert.equal((await ask(other.key)).headers.get('x-flowgate-cache'), null);
    assert.equal((await ask(other.key)).headers.get('x-flowgate-cache'), null);
  } finally {
    await second.stop();
    rmSync(saved, { recursive: true, force: true });
  }
});
