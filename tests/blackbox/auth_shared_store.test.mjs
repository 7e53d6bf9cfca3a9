// Two flowgate processes on one store: a token signed by one is accepted by
// the other, and limits count across both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BIN, stopChild } from './lib.mjs';
import { makeKeys, startAuthServer, call, login } from './auth_lib.mjs';

function startSecond(first) {
  const child = spawn(BIN, ['serve', '--config', join(first.dataDir, 'flowgate.yaml'), '--port', '0',
    '--data', join(first.dataDir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`second server did not start: ${log}`)), 15000);
    const onData = (d) => {
      log += d;
      const m = log.match(/listening on (http:\/\/[0-9.:]+)\//);
      if (m) { clearTimeout(timer); resolve({ url: m[1], child, log: () => log }); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
}

test('tokens and limits are shared by processes on one store', async () => {
  const first = await startAuthServer(makeKeys());
  const second = await startSecond(first);
  try {
    assert.ok(!second.log().includes('first start'), 'the second process made no new admin');
    const admin = (await login(first, 'admin', first.adminPassword)).access_token;
    assert.equal((await call(second, 'GET', '/auth/me', { token: admin })).status, 200);
    const key = (await call(first, 'POST', '/admin/accounts/default/keys', { token: admin, body: { limits: { requests_per_minute: 3 } } })).json.key;
    const chat = { model: 'test-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 };
    const statuses = [];
    for (const s of [first, second, first, second])
      statuses.push((await call(s, 'POST', '/v1/chat/completions', { token: key, body: chat })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  } finally {
    assert.equal(await stopChild(second.child), 0);
    assert.equal(await first.stop(), 0);
  }
});
