// Budgets: tokens are held before the upstream call (so concurrent calls
// cannot overrun a token budget), settled from real usage after it, and spend
// per day is priced from the price table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeKeys, startAuthServer, call, login } from './auth_lib.mjs';

let server, admin;

before(async () => {
  server = await startAuthServer(makeKeys(), `
prices:
  - { model: test-model, input_per_mtok: 1000000, output_per_mtok: 1000000 }
`);
  admin = (await login(server, 'admin', server.adminPassword)).access_token;
});

after(async () => { assert.equal(await server?.stop(), 0); });

async function keyWith(limits) {
  const acc = (await call(server, 'POST', '/admin/accounts', { token: admin, body: { name: 'l' } })).json.id;
  return (await call(server, 'POST', `/admin/accounts/${acc}/keys`, { token: admin, body: { limits } })).json.key;
}

test('tokens are reserved before the call: concurrent calls stop at the budget', async () => {
  const key = await keyWith({ tokens_per_minute: 150 });
  const slow = { model: 'test-model', messages: [{ role: 'user', content: 'hi [mock: tokens=5 ttft=1500]' }], max_tokens: 100 };
  const first = call(server, 'POST', '/v1/chat/completions', { token: key, body: slow });
  await new Promise((r) => setTimeout(r, 150));
  const second = call(server, 'POST', '/v1/chat/completions', { token: key, body: slow });
  await new Promise((r) => setTimeout(r, 150));
  const third = await call(server, 'POST', '/v1/chat/completions', { token: key, body: slow });
  assert.equal(third.status, 429, 'two calls in flight hold more than the budget');
  assert.equal(third.json.error.limit, 'tokens_per_minute');
  assert.equal((await first).status, 200);
  assert.equal((await second).status, 200);
  // Settled from real usage (a few tokens each): the budget is free again.
  const after = await call(server, 'POST', '/v1/chat/completions', { token: key, body: { ...slow, messages: [{ role: 'user', content: 'hi [mock: tokens=5]' }] } });
  assert.equal(after.status, 200, after.text);
});

test('spend per day is priced from real usage and answered with 429', async () => {
  const key = await keyWith({ spend_per_day: 10 });
  const chat = { model: 'test-model', messages: [{ role: 'user', content: 'hi [mock: tokens=10]' }], max_tokens: 10 };
  const first = await call(server, 'POST', '/v1/chat/completions', { token: key, body: chat });
  assert.equal(first.status, 200, first.text);
  assert.ok(first.json.usage.total_tokens >= 10, 'costs at least 10 at 1 per token');
  // Spend is settled when the call ends, just after its answer went out: the
  // next request may beat it by a moment on another worker.
  let r;
  for (let i = 0; i < 20; i++) {
    r = await call(server, 'POST', '/v1/chat/completions', { token: key, body: { ...chat, max_tokens: 1 } });
    if (r.status === 429) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(r.status, 429, r.text);
  assert.equal(r.json.error.limit, 'spend_per_day');
  const retry = Number(r.headers.get('retry-after'));
  assert.ok(retry > 0 && retry <= 86400);
});

test('the assistant endpoints check the caller limits too', async () => {
  const key = await keyWith({ requests_per_minute: 1 });
  const body = { bedrock_parameters: { messages: [{ role: 'user', content: 'hi' }] }, assistant_parameters: {} };
  const first = await call(server, 'POST', '/bedrock_claude_messages_api', { token: key, body });
  assert.notEqual(first.status, 429);
  const second = await call(server, 'POST', '/bedrock_claude_messages_api', { token: key, body });
  assert.equal(second.status, 429, second.text);
  assert.equal(second.json.error.limit, 'requests_per_minute');
  const metrics = (await call(server, 'GET', '/metrics')).text;
  assert.match(metrics, /flowgate_limit_rejections_total\{limit="requests_per_minute"\} [1-9]/);
  assert.match(metrics, /flowgate_auth_checks_total\{outcome="ok"\} [1-9]/);
});
