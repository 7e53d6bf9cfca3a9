// Every route × every kind of caller: no token, an expired token, a bad
// signature, a wrong audience, alg "none", another account's user, a user of
// the account, and an admin. Each answer is checked against what the route
// promises (401 for a bad token, 403/404 for the wrong caller, else served).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { makeKeys, mintToken, now, startAuthServer, call, login, ISSUER, AUDIENCE } from './auth_lib.mjs';

let server, keys, A, B, tokens;

before(async () => {
  keys = makeKeys();
  server = await startAuthServer(keys);
  const admin = await login(server, 'admin', server.adminPassword);
  const t = admin.access_token;
  A = (await call(server, 'POST', '/admin/accounts', { token: t, body: { name: 'A' } })).json.id;
  B = (await call(server, 'POST', '/admin/accounts', { token: t, body: { name: 'B' } })).json.id;
  for (const [acc, name] of [[A, 'alice'], [B, 'bob']]) {
    const r = await call(server, 'POST', `/admin/accounts/${acc}/users`, { token: t, body: { login: name, password: 'correct horse', role: 'user' } });
    assert.equal(r.status, 201, r.text);
  }
  const wf = await call(server, 'POST', `/admin/accounts/${A}/workflows`, { token: t, body: { name: 'Default Workflow' } });
  assert.equal(wf.status, 201, wf.text);
  await call(server, 'POST', `/admin/accounts/${A}/workflows/1/prompts`, { token: t, body: { content: 'hi' } });
  const alice = (await login(server, 'alice', 'correct horse')).access_token;
  const bob = (await login(server, 'bob', 'correct horse')).access_token;
  const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'ext', 'custom:account_id': A, exp: now() + 600 };
  const [h, p] = alice.split('.');
  const flipped = alice.slice(0, -2) + (alice.at(-2) === 'A' ? 'B' : 'A') + alice.at(-1);
  tokens = {
    none: undefined,
    expired: mintToken(keys, { ...claims, exp: now() - 3600 }),
    badsig: flipped,
    wrongaud: mintToken(keys, { ...claims, aud: 'someone-else' }),
    algnone: `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`,
    hs256: `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${p}.c2ln`,
    other: bob,
    user: alice,
    admin: t,
  };
  assert.ok(h);
});

after(async () => { assert.equal(await server?.stop(), 0, "the server stopped cleanly (no sanitizer report)"); });

const chat = { model: 'test-model', messages: [{ role: 'user', content: 'hi [mock: tokens=3]' }], max_tokens: 16 };
const BAD = ['none', 'expired', 'badsig', 'wrongaud', 'algnone', 'hs256'];
const ok = (s) => s >= 200 && s < 300;
const served = (s) => s !== 401 && s !== 403 && s !== 404 && s < 500;
const authed = (s) => s !== 401 && s !== 403;

// expect: for each good caller, a predicate or a status.
const routes = () => [
  { m: 'POST', p: '/v1/chat/completions', body: chat, other: ok, user: ok, admin: ok },
  { m: 'GET', p: '/v1/models', other: ok, user: ok, admin: ok },
  { m: 'POST', p: '/v1/messages', body: { model: 'test-model', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }, other: ok, user: ok, admin: ok },
  { m: 'POST', p: '/model/test-model/converse', body: { messages: [{ role: 'user', content: [{ text: 'hi' }] }] }, other: ok, user: ok, admin: ok },
  { m: 'POST', p: '/model/test-model/invoke', body: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }, other: served, user: served, admin: served },
  { m: 'POST', p: '/v1/embeddings', body: { model: 'test-model', input: ['x'] }, other: served, user: served, admin: served },
  { m: 'POST', p: '/RestLambda', body: { prompt: 'hi', model: 'test-model', parameters: { max_tokens_to_sample: 8 } }, other: ok, user: ok, admin: ok },
  { m: 'POST', p: '/bedrock_claude_messages_api', body: { bedrock_parameters: { messages: [{ role: 'user', content: 'hi' }] }, assistant_parameters: {} }, other: authed, user: authed, admin: authed },
  { m: 'POST', p: '/bedrock_converse_api', body: { bedrock_converse_parameters: { model_id: 'test-model', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }, assistant_parameters: { workflow_params: { workflow_id: 'workflow#details#1' } } }, other: authed, user: authed, admin: authed },
  { m: 'GET', p: '/auth/me', other: ok, user: ok, admin: ok },
  { m: 'GET', p: '/chats', other: authed, user: authed, admin: authed },
  { m: 'GET', p: '/knowledgebases', other: authed, user: authed, admin: authed },
  { m: 'GET', p: '/knowledgebases/nope/documents', other: authed, user: authed, admin: authed },
  { m: 'POST', p: '/knowledgebases/nope/retrieve', body: { retrievalQuery: { text: 'x' } }, other: authed, user: authed, admin: authed },
  { m: 'POST', p: '/retrieveAndGenerate', body: {}, other: authed, user: authed, admin: authed },
  { m: 'POST', p: '/', body: {}, headers: { 'x-amz-target': 'AWSStepFunctions.ListStateMachines', 'content-type': 'application/x-amz-json-1.0' }, other: authed, user: authed, admin: authed },
  { m: 'GET', p: '/chats/nope', other: authed, user: authed, admin: authed },
  { m: 'DELETE', p: '/chats/nope', other: authed, user: authed, admin: authed },
  { m: 'GET', p: '/usage', other: ok, user: ok, admin: ok },
  { m: 'GET', p: `/usage?account=${A}`, other: 404, user: ok, admin: ok },
  { m: 'GET', p: `/accounts/${A}/account`, other: 403, user: ok, admin: ok },
  { m: 'GET', p: `/accounts/${A}/inference-endpoint`, other: 403, user: ok, admin: ok },
  { m: 'GET', p: `/accounts/${A}/workflows`, other: 403, user: ok, admin: ok },
  { m: 'GET', p: `/accounts/${A}/workflows/${encodeURIComponent('workflow#details#1')}`, other: 403, user: ok, admin: ok },
  { m: 'GET', p: `/accounts/${A}/workflows/${encodeURIComponent('workflow#details#1')}/prompts`, other: 403, user: ok, admin: ok },
  { m: 'PUT', p: `/accounts/${A}/workflows/1`, body: { description: 'x' }, other: 403, user: 403, admin: ok },
  { m: 'GET', p: '/admin/accounts', other: 403, user: 403, admin: ok },
  { m: 'GET', p: `/admin/accounts/${A}`, other: 403, user: 403, admin: ok },
  { m: 'GET', p: `/admin/accounts/${A}/workflows`, other: 403, user: 403, admin: ok },
  { m: 'GET', p: `/admin/accounts/${A}/keys`, other: 403, user: 403, admin: ok },
  { m: 'POST', p: '/setconfiguration', body: { items: [] }, other: 403, user: 403, admin: ok },
];

function check(expect, status, what) {
  if (typeof expect === 'function') assert.ok(expect(status), `${what}: got ${status}`);
  else assert.equal(status, expect, what);
}

test('every HTTP route answers every kind of caller as it should', async () => {
  for (const r of routes()) {
    for (const who of Object.keys(tokens)) {
      const res = await call(server, r.m, r.p, { token: tokens[who], body: r.body, headers: r.headers });
      const what = `${r.m} ${r.p} as ${who}: ${res.text.slice(0, 200)}`;
      if (BAD.includes(who)) {
        assert.equal(res.status, 401, what);
        assert.equal(res.json?.error?.type, 'authentication_error', what);
      } else {
        check(r[who], res.status, what);
      }
      if (res.status === 403 && r.p.startsWith('/accounts/') && who === 'other')
        assert.deepEqual(res.json, { error: 'Account ID in path does not match the one in the token' }, what);
    }
  }
});

test('x-access-token and a bare Authorization token work like Bearer', async () => {
  let r = await call(server, 'GET', '/auth/me', { headers: { 'x-access-token': tokens.user } });
  assert.equal(r.status, 200);
  assert.equal(r.json.account_id, A);
  r = await call(server, 'GET', '/auth/me', { headers: { authorization: tokens.user } });
  assert.equal(r.status, 200);
  // An AWS SDK signs with SigV4; its flowgate token rides in x-access-token.
  const sigv4 = 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00';
  r = await call(server, 'GET', '/auth/me', { headers: { authorization: sigv4, 'x-access-token': tokens.user } });
  assert.equal(r.status, 200);
  assert.equal((await call(server, 'GET', '/auth/me', { headers: { authorization: sigv4 } })).status, 401);
});

function upgrade(url) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy(); });
    ws.on('error', () => resolve(-1));
  });
}

test('the WebSocket upgrade takes its token from the query string', async () => {
  const base = server.url.replace('http', 'ws') + '/ws';
  for (const who of Object.keys(tokens)) {
    const q = tokens[who] ? `?token=${encodeURIComponent(tokens[who])}` : '';
    const status = await upgrade(base + q);
    assert.equal(status, BAD.includes(who) ? 401 : 101, `ws as ${who}`);
  }
  assert.equal(await upgrade(`${base}?access_token=${encodeURIComponent(tokens.user)}`), 101);
});

test('an owner reaching another account in the admin API gets 404', async () => {
  const t = tokens.admin;
  await call(server, 'POST', `/admin/accounts/${B}/users`, { token: t, body: { login: 'bob-owner', password: 'correct horse', role: 'owner' } });
  const owner = (await login(server, 'bob-owner', 'correct horse')).access_token;
  assert.equal((await call(server, 'GET', `/admin/accounts/${A}/workflows`, { token: owner })).status, 404);
  assert.equal((await call(server, 'GET', `/admin/accounts/${B}/workflows`, { token: owner })).status, 200);
  const mk = await call(server, 'POST', `/admin/accounts/${B}/users`, { token: owner, body: { login: 'sneaky', password: 'correct horse', role: 'admin' } });
  assert.equal(mk.status, 403, 'an owner cannot make an admin');
  // An owner of the account an admin lives in cannot take the admin over.
  await call(server, 'POST', '/admin/accounts/default/users', { token: t, body: { login: 'default-owner', password: 'correct horse', role: 'owner' } });
  const o2 = (await login(server, 'default-owner', 'correct horse')).access_token;
  assert.equal((await call(server, 'PATCH', '/admin/accounts/default/users/admin', { token: o2, body: { password: 'taken over!' } })).status, 403);
  assert.equal((await call(server, 'DELETE', '/admin/accounts/default/users/admin', { token: o2 })).status, 403);
  assert.equal((await call(server, 'PATCH', '/admin/accounts/default/users/default-owner', { token: o2, body: { password: 'new password' } })).status, 200);
});
