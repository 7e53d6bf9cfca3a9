// Knowledge bases per account with authentication on: a base of another
// account is 404 on every route (the Bedrock routes answer
// ResourceNotFoundException), names are unique per account, no token is 401,
// an admin sees every account's bases.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeKeys, startAuthServer, call, login } from './auth_lib.mjs';
import { sleep } from './lib.mjs';

let server, alice, bob, admin, kb;

before(async () => {
  const keys = makeKeys();
  server = await startAuthServer(keys);
  admin = (await login(server, 'admin', server.adminPassword)).access_token;
  const A = (await call(server, 'POST', '/admin/accounts', { token: admin, body: { name: 'A' } })).json.id;
  const B = (await call(server, 'POST', '/admin/accounts', { token: admin, body: { name: 'B' } })).json.id;
  for (const [acc, name] of [[A, 'alice'], [B, 'bob']]) {
    const r = await call(server, 'POST', `/admin/accounts/${acc}/users`, { token: admin, body: { login: name, password: 'correct horse', role: 'user' } });
    assert.equal(r.status, 201, r.text);
  }
  alice = (await login(server, 'alice', 'correct horse')).access_token;
  bob = (await login(server, 'bob', 'correct horse')).access_token;
  const c = await call(server, 'POST', '/knowledgebases', { token: alice, body: { name: 'docs' } });
  assert.equal(c.status, 201, c.text);
  kb = c.json.knowledgeBaseId;
  const up = await call(server, 'POST', `/knowledgebases/${kb}/documents`, { token: alice,
    body: { documents: [{ name: 'secret.md', content: '# Plans\n\nThe launch is on Tuesday at dawn.\n' }] } });
  assert.equal(up.status, 202, up.text);
  for (let i = 0; i < 100; i++) {
    const j = await call(server, 'GET', `/knowledgebases/${kb}/ingestionjobs/${up.json.jobId}`, { token: alice });
    if (j.json.status === 'complete') break;
    await sleep(50);
  }
});

after(async () => { assert.equal(await server?.stop(), 0, 'the server stopped cleanly'); });

test('the owner account finds its documents', async () => {
  const r = await call(server, 'POST', `/knowledgebases/${kb}/search`, { token: alice, body: { query: 'launch dawn' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.results[0].source, 'secret.md');
});

test('another account gets 404 everywhere and cannot see the base in its list', async () => {
  const routes = [
    ['GET', `/knowledgebases/${kb}`], ['GET', '/knowledgebases/docs'], ['DELETE', `/knowledgebases/${kb}`],
    ['GET', `/knowledgebases/${kb}/documents`], ['GET', `/knowledgebases/${kb}/ingestionjobs`],
    ['POST', `/knowledgebases/${kb}/search`, { query: 'launch' }],
    ['POST', `/knowledgebases/${kb}/documents`, { documents: [{ name: 'x.txt', content: 'x' }] }],
  ];
  for (const [m, p, body] of routes) {
    const r = await call(server, m, p, { token: bob, body });
    assert.equal(r.status, 404, `${m} ${p}: ${r.status} ${r.text}`);
  }
  const retrieve = await call(server, 'POST', `/knowledgebases/${kb}/retrieve`, { token: bob, body: { retrievalQuery: { text: 'launch' } } });
  assert.equal(retrieve.status, 404);
  assert.equal(retrieve.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
  const rag = await call(server, 'POST', '/retrieveAndGenerate', { token: bob, body: {
    input: { text: 'when is the launch?' },
    retrieveAndGenerateConfiguration: { type: 'KNOWLEDGE_BASE', knowledgeBaseConfiguration: { knowledgeBaseId: kb, modelArn: 'test-model' } } } });
  assert.equal(rag.status, 404);
  const list = await call(server, 'GET', '/knowledgebases', { token: bob });
  assert.equal(list.json.knowledgeBases.length, 0);
  // the same name is free in another account
  assert.equal((await call(server, 'POST', '/knowledgebases', { token: bob, body: { name: 'docs' } })).status, 201);
});

test('no token is 401; an admin sees every account', async () => {
  assert.equal((await call(server, 'GET', '/knowledgebases')).status, 401);
  assert.equal((await call(server, 'POST', `/knowledgebases/${kb}/retrieve`, { body: { retrievalQuery: { text: 'x' } } })).status, 401);
  const g = await call(server, 'GET', `/knowledgebases/${kb}`, { token: admin });
  assert.equal(g.status, 200);
  const list = await call(server, 'GET', '/knowledgebases', { token: admin });
  assert.ok(list.json.knowledgeBases.length >= 2);
});
