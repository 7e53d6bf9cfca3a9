// Accounts end to end: first-start admin, login, refresh rotation and reuse
// detection, logout, lockout, password change, API keys (scopes, revocation,
// expiry), external issuers (Cognito-style and Azure-style tokens), the seed's
// configuration import and config API, limits with 429 + Retry-After, and
// usage rows carrying the account and key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { BIN } from './lib.mjs';
import { makeKeys, mintToken, now, startAuthServer, call, login, ISSUER, AUDIENCE, AZURE_ISSUER } from './auth_lib.mjs';

let server, keys, admin, A;
const SEED_ITEMS = join(process.env.FG_SHARED_DIR || join(process.env.FG_SOURCE_DIR || '.', '..', 'shared'),
  'seed-artifacts/requests/aws-samples__serverless-genai-assistant__sample_web_application__DERIVED_dynamodb_seed_items.json');

before(async () => {
  keys = makeKeys();
  server = await startAuthServer(keys);
  admin = (await login(server, 'admin', server.adminPassword)).access_token;
  A = (await call(server, 'POST', '/admin/accounts', { token: admin, body: { name: 'A', description: 'first' } })).json.id;
  await call(server, 'POST', `/admin/accounts/${A}/users`, { token: admin, body: { login: 'carol@example.com', password: 'correct horse', role: 'owner' } });
});

after(async () => { assert.equal(await server?.stop(), 0, "the server stopped cleanly (no sanitizer report)"); });

test('first start printed the admin password once; the JWKS verifies flowgate tokens', async () => {
  assert.ok(server.adminPassword?.length >= 16);
  const r = await call(server, 'GET', '/.well-known/jwks.json');
  assert.equal(r.status, 200);
  assert.equal(r.json.keys[0].kty, 'EC');
  assert.equal(r.json.keys[0].crv, 'P-256');
  const { createPublicKey, verify } = await import('node:crypto');
  const key = createPublicKey({ key: r.json.keys[0], format: 'jwk' });
  const [h, p, s] = admin.split('.');
  assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url')));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  assert.equal(claims['custom:account_id'], 'default');
  assert.equal(claims.iss, 'flowgate');
  assert.equal(claims.aud, 'flowgate');
  assert.ok(claims.exp > now());
  assert.ok(!server.log().includes(admin), 'tokens never logged');
  const disc = await call(server, 'GET', '/.well-known/openid-configuration');
  assert.equal(disc.json.issuer, 'flowgate');
  assert.equal(disc.json.jwks_uri, `${server.url}/.well-known/jwks.json`);
});

test('refresh tokens rotate; reusing one signs the user out everywhere; logout revokes', async () => {
  const first = await login(server, 'carol@example.com', 'correct horse');
  const r1 = await call(server, 'POST', '/auth/refresh', { body: { refresh_token: first.refresh_token } });
  assert.equal(r1.status, 200, r1.text);
  assert.notEqual(r1.json.refresh_token, first.refresh_token);
  const reuse = await call(server, 'POST', '/auth/refresh', { body: { refresh_token: first.refresh_token } });
  assert.equal(reuse.status, 401);
  const after = await call(server, 'POST', '/auth/refresh', { body: { refresh_token: r1.json.refresh_token } });
  assert.equal(after.status, 401, 'the rotated token died with the reuse');
  const second = await login(server, 'carol@example.com', 'correct horse');
  assert.equal((await call(server, 'POST', '/auth/logout', { body: { refresh_token: second.refresh_token } })).status, 200);
  assert.equal((await call(server, 'POST', '/auth/refresh', { body: { refresh_token: second.refresh_token } })).status, 401);
});

test('repeated failed logins lock the user out with 429 and Retry-After', async () => {
  await call(server, 'POST', `/admin/accounts/${A}/users`, { token: admin, body: { login: 'dave', password: 'correct horse' } });
  for (let i = 0; i < 3; i++)
    assert.equal((await call(server, 'POST', '/auth/login', { body: { login: 'dave', password: 'wrong password' } })).status, 401);
  const locked = await call(server, 'POST', '/auth/login', { body: { login: 'dave', password: 'correct horse' } });
  assert.equal(locked.status, 429);
  assert.ok(Number(locked.headers.get('retry-after')) > 0);
  assert.equal((await call(server, 'POST', '/auth/login', { body: { login: 'nobody', password: 'x' } })).status, 401);
  // An admin lifts the lockout by setting a password.
  execFileSync(BIN, ['admin', 'set-password', 'dave', '--password', 'another horse', '--data', join(server.dataDir, 'data')]);
  assert.equal((await call(server, 'POST', '/auth/login', { body: { login: 'dave', password: 'another horse' } })).status, 200);
});

test('password change needs the current password', async () => {
  await call(server, 'POST', `/admin/accounts/${A}/users`, { token: admin, body: { login: 'erin', password: 'correct horse' } });
  const t = (await login(server, 'erin', 'correct horse')).access_token;
  assert.equal((await call(server, 'POST', '/auth/password', { token: t, body: { current_password: 'nope nope', new_password: 'battery staple' } })).status, 403);
  assert.equal((await call(server, 'POST', '/auth/password', { token: t, body: { current_password: 'correct horse', new_password: 'short' } })).status, 422);
  assert.equal((await call(server, 'POST', '/auth/password', { token: t, body: { current_password: 'correct horse', new_password: 'battery staple' } })).status, 200);
  assert.equal((await call(server, 'POST', '/auth/login', { body: { login: 'erin', password: 'correct horse' } })).status, 401);
  assert.equal((await call(server, 'POST', '/auth/login', { body: { login: 'erin', password: 'battery staple' } })).status, 200);
});

test('API keys: shown once, scoped, revocable, expiring; usage rows carry the key', async () => {
  const made = await call(server, 'POST', `/admin/accounts/${A}/keys`, { token: admin, body: { name: 'ci', scopes: ['gateway'] } });
  assert.equal(made.status, 201, made.text);
  const key = made.json.key;
  assert.match(key, /^fgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  const list = await call(server, 'GET', `/admin/accounts/${A}/keys`, { token: admin });
  assert.ok(!list.text.includes(key.slice(21)), 'the secret is never shown again');
  const chat = { model: 'test-model', messages: [{ role: 'user', content: 'hi [mock: tokens=4]' }], max_tokens: 8 };
  const r = await call(server, 'POST', '/v1/chat/completions', { token: key, body: chat });
  assert.equal(r.status, 200, r.text);
  assert.equal((await call(server, 'GET', `/accounts/${A}/workflows`, { token: key })).status, 403, 'scope gateway only');
  const me = await call(server, 'GET', '/auth/me', { token: key });
  assert.equal(me.json.account_id, A);
  assert.equal(me.json.key_id, made.json.id);
  const patched = await call(server, 'PATCH', `/admin/accounts/${A}/keys/${made.json.id}`, { token: admin, body: { name: 'renamed', scopes: 'config' } });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.json.name, 'renamed');
  assert.equal((await call(server, 'GET', `/accounts/${A}/workflows`, { token: key })).status, 200, 'scope config now');
  assert.equal((await call(server, 'POST', '/v1/chat/completions', { token: key, body: chat })).status, 403);
  assert.equal((await call(server, 'PATCH', `/admin/accounts/${A}/keys/${made.json.id}`, { token: admin, body: { secret_hash: 'x' } })).status, 422);
  assert.equal((await call(server, 'PATCH', `/admin/accounts/${A}/keys/nope`, { token: admin, body: { name: 'x' } })).status, 404);
  assert.equal((await call(server, 'DELETE', `/admin/accounts/${A}/keys/${made.json.id}`, { token: admin })).status, 200);
  const revoked = await call(server, 'POST', '/v1/chat/completions', { token: key, body: chat });
  assert.equal(revoked.status, 401);
  const tampered = key.slice(0, -1) + (key.at(-1) === 'a' ? 'b' : 'a');
  const k2 = (await call(server, 'POST', `/admin/accounts/${A}/keys`, { token: admin, body: {} })).json.key;
  assert.equal((await call(server, 'GET', '/auth/me', { token: k2.slice(0, -1) + (k2.at(-1) === 'a' ? 'b' : 'a') })).status, 401);
  assert.ok(tampered);
  await new Promise((res) => setTimeout(res, 300)); // usage rows are written in batches
  const rows = execFileSync(BIN, ['usage', '--json', '--data', join(server.dataDir, 'data')]).toString().trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(rows.some((u) => u.key_id === made.json.id && u.account_id === A), JSON.stringify(rows.slice(0, 3)));
  const owner = (await login(server, 'carol@example.com', 'correct horse')).access_token;
  const usage = await call(server, 'GET', '/usage?limit=5', { token: owner });
  assert.equal(usage.status, 200, usage.text);
  assert.equal(usage.json.account_id, A);
  assert.ok(usage.json.totals.requests >= 1);
  assert.ok(usage.json.records.some((u) => u.key_id === made.json.id));
  assert.equal((await call(server, 'GET', '/usage?account=default', { token: owner })).status, 404);
  assert.equal((await call(server, 'GET', '/usage?limit=0', { token: owner })).status, 422);
  assert.ok(!server.log().includes(key.slice(21)), 'API keys never logged');
});

test('external issuers: a Cognito-style RS256 access token and an Azure-style token with scp', async () => {
  const cognito = mintToken(keys, { iss: ISSUER, client_id: AUDIENCE, token_use: 'access', sub: 'u1', 'custom:account_id': A, exp: now() + 300 }, { alg: 'RS256' });
  let r = await call(server, 'GET', `/accounts/${A}/account`, { token: cognito });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, [{ id: `account#${A}`, item_type: 'account#details', name: 'A', description: 'first' }]);
  const azure = (scp) => mintToken(keys, { iss: AZURE_ISSUER, aud: 'api://flowgate', tid: A, scp, sub: 'u2', exp: now() + 300 });
  assert.equal((await call(server, 'GET', '/auth/me', { token: azure('chat read') })).json.account_id, A);
  assert.equal((await call(server, 'GET', '/auth/me', { token: azure('read') })).status, 401, 'required scope');
  const wrongKid = mintToken(keys, { iss: ISSUER, aud: AUDIENCE, 'custom:account_id': A, exp: now() + 300 }, { kid: 'nope' });
  assert.equal((await call(server, 'GET', '/auth/me', { token: wrongKid })).status, 401);
  const notYet = mintToken(keys, { iss: ISSUER, aud: AUDIENCE, 'custom:account_id': A, exp: now() + 600, nbf: now() + 300 });
  assert.equal((await call(server, 'GET', '/auth/me', { token: notYet })).status, 401);
  const unknownIss = mintToken(keys, { iss: 'https://evil.test', aud: AUDIENCE, 'custom:account_id': A, exp: now() + 300 });
  assert.equal((await call(server, 'GET', '/auth/me', { token: unknownIss })).status, 401);
});

test('the seed configuration items import (CLI and API) and read back in the seed shapes', async (t) => {
  if (!existsSync(SEED_ITEMS)) { t.skip(`seed items absent: ${SEED_ITEMS}`); return; }
  const out = execFileSync(BIN, ['admin', 'import-seed-config', SEED_ITEMS, '--account', A, '--data', join(server.dataDir, 'data')]).toString();
  const summary = JSON.parse(out);
  assert.deepEqual(summary, { accounts: [A], inference_endpoints: 1, workflows: 1, prompts: 1 });
  const owner = (await login(server, 'carol@example.com', 'correct horse')).access_token;
  const wfs = await call(server, 'GET', `/accounts/${A}/workflows`, { token: owner });
  assert.deepEqual(wfs.json, [{ id: `account#${A}`, item_type: 'workflow#details#1', name: 'Default Workflow', description: 'Test Workflow for account 1' }]);
  const one = await call(server, 'GET', `/accounts/${A}/workflows/${encodeURIComponent('workflow#details#1')}`, { token: owner });
  assert.equal(one.status, 200);
  const params = JSON.parse(one.json.assistant_params);
  assert.equal(params.bedrock_converse_parameters.inference_config.maxTokens, 2000, 'JSON-in-JSON became JSON');
  assert.deepEqual(params.assistant_parameters.state_machine_custom_params, { hello: 'from configuration database' });
  const prompts = await call(server, 'GET', `/accounts/${A}/workflows/${encodeURIComponent('workflow#details#1')}/prompts`, { token: owner });
  assert.equal(prompts.status, 200);
  assert.equal(prompts.json[0].item_type, 'workflow#prompt#1#1');
  assert.equal(prompts.json[0].role, 'user');
  const ep = await call(server, 'GET', `/accounts/${A}/inference-endpoint`, { token: owner });
  assert.equal(ep.json[0].type, 'cloudfront');
  // The admin API imports too, into a new account for the placeholder id.
  const doc = JSON.parse((await import('node:fs')).readFileSync(SEED_ITEMS, 'utf8'));
  const api = await call(server, 'POST', '/admin/import-seed-config', { token: admin, body: doc });
  assert.equal(api.status, 200, api.text);
  assert.notEqual(api.json.accounts[0], A);
  // Write routes: a new workflow through the seed paths, then an update.
  const made = await call(server, 'POST', `/accounts/${A}/workflows`, { token: owner, body: { name: 'Second', assistant_params: '{"assistant_parameters":{"messages_to_sample":3}}' } });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.json.item_type, 'workflow#details#2');
  const upd = await call(server, 'PUT', `/accounts/${A}/workflows/2`, { token: owner, body: { description: 'changed' } });
  assert.equal(upd.json.description, 'changed');
  const bad = await call(server, 'POST', `/accounts/${A}/workflows`, { token: owner, body: { name: 3 } });
  assert.equal(bad.status, 422);
  assert.match(bad.json.error.message, /name/);
});

test('limits: requests per minute on a key answer 429 with Retry-After naming the limit', async () => {
  const k = (await call(server, 'POST', `/admin/accounts/${A}/keys`, { token: admin, body: { limits: { requests_per_minute: 2 } } })).json.key;
  const chat = { model: 'test-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 };
  assert.equal((await call(server, 'POST', '/v1/chat/completions', { token: k, body: chat })).status, 200);
  assert.equal((await call(server, 'POST', '/v1/chat/completions', { token: k, body: chat })).status, 200);
  const r = await call(server, 'POST', '/v1/chat/completions', { token: k, body: chat });
  assert.equal(r.status, 429, r.text);
  assert.equal(r.json.error.limit, 'requests_per_minute');
  assert.equal(r.json.error.scope, 'api_key');
  const retry = Number(r.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60);
});

test('limits: tokens per minute count real usage after the stream', async () => {
  const B = (await call(server, 'POST', '/admin/accounts', { token: admin, body: { name: 'B', limits: { tokens_per_minute: 30 } } })).json.id;
  const k = (await call(server, 'POST', `/admin/accounts/${B}/keys`, { token: admin, body: {} })).json.key;
  const chat = { model: 'test-model', messages: [{ role: 'user', content: 'hi [mock: tokens=20]' }], max_tokens: 5 };
  let last;
  for (let i = 0; i < 8; i++) {
    last = await call(server, 'POST', '/v1/chat/completions', { token: k, body: chat });
    if (last.status === 429) break;
  }
  assert.equal(last.status, 429, last.text);
  assert.equal(last.json.error.limit, 'tokens_per_minute');
  assert.equal(last.json.error.scope, 'account');
});

test('flowgate admin put/get/list/delete work on the store the server uses', async () => {
  const data = ['--data', join(server.dataDir, 'data')];
  const run = (...args) => execFileSync(BIN, ['admin', ...args, ...data]).toString();
  const def = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
  const put = JSON.parse(run('put', 'workflow', '7', '--account', A, '--json', JSON.stringify({ name: 'cli', definition: def })));
  assert.deepEqual(put.definition, def);
  const listed = JSON.parse(run('list', 'workflow', '--account', A));
  assert.ok(listed.some((w) => w.id === '7' && w.name === 'cli'));
  const owner = (await login(server, 'carol@example.com', 'correct horse')).access_token;
  const viaApi = await call(server, 'GET', `/admin/accounts/${A}/workflows/7`, { token: owner });
  assert.deepEqual(viaApi.json.definition, def, viaApi.text);
  run('delete', 'workflow', '7', '--account', A);
  assert.equal((await call(server, 'GET', `/admin/accounts/${A}/workflows/7`, { token: owner })).status, 404);
  assert.throws(() => execFileSync(BIN, ['admin', 'get', 'workflow', '7', '--account', A, ...data], { stdio: 'pipe' }));
  assert.throws(() => execFileSync(BIN, ['admin', 'list', 'gizmo', ...data], { stdio: 'pipe' }));
});

test('admin API: create, read, update and delete each kind of object', async () => {
  const base = `/admin/accounts/${A}`;
  const kinds = [
    { path: `${base}/inference-endpoints`, body: { type: 'http', url: 'http://x' }, change: { url: 'http://y' } },
    { path: `${base}/workflows`, body: { name: 'crud', definition: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } } }, change: { description: 'd' } },
  ];
  for (const k of kinds) {
    const made = await call(server, 'POST', k.path, { token: admin, body: k.body });
    assert.equal(made.status, 201, made.text);
    const one = `${k.path}/${made.json.id}`;
    assert.equal((await call(server, 'GET', one, { token: admin })).status, 200);
    const changed = await call(server, 'PATCH', one, { token: admin, body: k.change });
    assert.equal(changed.status, 200, changed.text);
    for (const [f, v] of Object.entries(k.change)) assert.equal(changed.json[f], v);
    if (k.path.endsWith('/workflows')) {
      const pr = `${one}/prompts`;
      const p = await call(server, 'POST', pr, { token: admin, body: { role: 'user', content: 'c' } });
      assert.equal(p.status, 201, p.text);
      assert.equal((await call(server, 'PATCH', `${pr}/${p.json.id}`, { token: admin, body: { content: 'd' } })).json.content, 'd');
      assert.equal((await call(server, 'DELETE', `${pr}/${p.json.id}`, { token: admin })).status, 200);
      assert.equal((await call(server, 'GET', `${pr}/${p.json.id}`, { token: admin })).status, 404);
      assert.equal((await call(server, 'POST', `${k.path}/999/prompts`, { token: admin, body: {} })).status, 404);
    }
    assert.equal((await call(server, 'DELETE', one, { token: admin })).status, 200);
    assert.equal((await call(server, 'GET', one, { token: admin })).status, 404);
  }
  const u = await call(server, 'POST', `${base}/users`, { token: admin, body: { login: 'frank', password: 'correct horse' } });
  assert.equal(u.status, 201, u.text);
  assert.equal((await call(server, 'PATCH', `${base}/users/frank`, { token: admin, body: { role: 'owner' } })).json.role, 'owner');
  assert.equal((await call(server, 'POST', `${base}/users`, { token: admin, body: { login: 'frank', password: 'correct horse' } })).status, 409);
  assert.equal((await call(server, 'DELETE', `${base}/users/frank`, { token: admin })).status, 200);
  assert.equal((await call(server, 'POST', '/auth/login', { body: { login: 'frank', password: 'correct horse' } })).status, 401);
  assert.equal((await call(server, 'DELETE', '/admin/accounts/default', { token: admin })).status, 409, 'not your own account');
  const bad = await call(server, 'POST', '/admin/accounts', { token: admin, body: { name: 'x', id: 'has space' } });
  assert.equal(bad.status, 422);
  assert.equal((await call(server, 'POST', '/admin/accounts', { token: admin, body: 'not an object' })).status, 422);
});

test('the AWS SDK (SigV4) reaches the Bedrock surface with a flowgate token in x-access-token', async () => {
  const { BedrockRuntimeClient, ConverseCommand } = await import('@aws-sdk/client-bedrock-runtime');
  const make = (token) => {
    const client = new BedrockRuntimeClient({
      endpoint: server.url, region: 'us-east-1', maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    });
    if (token)
      client.middlewareStack.add((next) => async (args) => {
        args.request.headers['x-access-token'] = token;
        return next(args);
      }, { step: 'finalizeRequest', name: 'flowgateToken' });
    return client;
  };
  const key = (await call(server, 'POST', `/admin/accounts/${A}/keys`, { token: admin, body: { scopes: 'gateway' } })).json.key;
  const r = await make(key).send(new ConverseCommand({ modelId: 'test-model', messages: [{ role: 'user', content: [{ text: 'hi [mock: tokens=3]' }] }] }));
  assert.ok(r.output.message.content[0].text.length > 0);
  await assert.rejects(make(null).send(new ConverseCommand({ modelId: 'test-model', messages: [{ role: 'user', content: [{ text: 'hi' }] }] })),
    (e) => e.$metadata?.httpStatusCode === 401);
});
