// An issuer's keys come from its JWKS URL; after the issuer rotates its keys,
// the first token signed with the new key makes flowgate fetch the set again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer } from './lib.mjs';
import { makeKeys, jwksOf, mintToken, now, call } from './auth_lib.mjs';

test('a rotated issuer key is fetched from the JWKS URL on first sight', async () => {
  const oldKeys = makeKeys(), newKeys = makeKeys();
  let served = jwksOf(oldKeys);
  let fetches = 0;
  const jwksServer = http.createServer((req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(served));
  });
  await new Promise((r) => jwksServer.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${jwksServer.address().port}/keys`;
  const server = await startServer(`
auth:
  mode: "on"
  password_memory_kib: 256
  jwks_min_refresh_s: 1
  issuers:
    - { issuer: https://rotating.test, jwks_url: ${url}, audience: app }
`);
  try {
    const claims = { iss: 'https://rotating.test', aud: 'app', 'custom:account_id': 'default', exp: now() + 300 };
    assert.equal((await call(server, 'GET', '/auth/me', { token: mintToken(oldKeys, claims) })).status, 200);
    const rotated = mintToken(newKeys, claims, { kid: 'ec2' });
    served = { keys: [...jwksOf(oldKeys).keys, { ...jwksOf(newKeys).keys[0], kid: 'ec2' }] };
    assert.equal((await call(server, 'GET', '/auth/me', { token: rotated })).status, 401);
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await call(server, 'GET', '/auth/me', { token: rotated })).status;
    }
    assert.equal(status, 200, 'the new key was fetched');
    assert.ok(fetches >= 2);
  } finally {
    assert.equal(await server.stop(), 0);
    jwksServer.close();
  }
});

test('an issuer that is down at start does not stop flowgate; its keys arrive later', async () => {
  const keys = makeKeys();
  let up = false;
  const jwksServer = http.createServer((req, res) => {
    if (!up) { res.writeHead(503); res.end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwksOf(keys)));
  });
  await new Promise((r) => jwksServer.listen(0, '127.0.0.1', r));
  const server = await startServer(`
auth:
  mode: "on"
  password_memory_kib: 256
  jwks_min_refresh_s: 1
  issuers:
    - { issuer: https://late.test, jwks_url: http://127.0.0.1:${jwksServer.address().port}/keys }
`);
  try {
    assert.match(server.log(), /keys not loaded yet/);
    const token = mintToken(keys, { iss: 'https://late.test', 'custom:account_id': 'default', exp: now() + 300 });
    assert.equal((await call(server, 'GET', '/auth/me', { token })).status, 401);
    up = true;
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await call(server, 'GET', '/auth/me', { token })).status;
    }
    assert.equal(status, 200);
  } finally {
    assert.equal(await server.stop(), 0);
    jwksServer.close();
  }
});
