// Helpers for the auth tests: a server in accounts mode with a test OIDC
// issuer whose keys the test holds, so it can mint tokens of every kind
// (expired, wrong audience, alg none, ...), and logins of the users it makes.
import { generateKeyPairSync, sign, createSign } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { startServer } from './lib.mjs';

export const ISSUER = 'https://issuer.test/pool';
export const AUDIENCE = 'flowgate-test';
export const AZURE_ISSUER = 'https://login.microsoftonline.test/tenant/v2.0';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export function makeKeys() {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ec, rsa };
}

export function jwksOf(keys) {
  return {
    keys: [
      { ...keys.ec.publicKey.export({ format: 'jwk' }), kid: 'ec1', use: 'sig', alg: 'ES256' },
      { ...keys.rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa1', use: 'sig', alg: 'RS256' },
    ],
  };
}

// Signs claims as a JWT; alg ES256 (raw r||s) or RS256; header overrides merged.
export function mintToken(keys, claims, { alg = 'ES256', kid, header = {} } = {}) {
  const h = { alg, typ: 'JWT', kid: kid ?? (alg === 'ES256' ? 'ec1' : 'rsa1'), ...header };
  const input = `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(claims))}`;
  let sig;
  if (alg === 'ES256') sig = sign('sha256', Buffer.from(input), { key: keys.ec.privateKey, dsaEncoding: 'ieee-p1363' });
  else { const s = createSign('RSA-SHA256'); s.update(input); sig = s.sign(keys.rsa.privateKey); }
  return `${input}.${b64url(sig)}`;
}

export const now = () => Math.floor(Date.now() / 1000);

export function authConfig(extra = '') {
  return `
auth:
  mode: "on"
  password_memory_kib: 256
  password_iterations: 1
  lockout_failures: 3
  lockout_s: 60
  issuers:
    - issuer: ${ISSUER}
      jwks_file: DATA/jwks.json
      audience: ${AUDIENCE}
    - issuer: ${AZURE_ISSUER}
      jwks_file: DATA/jwks.json
      audience: api://flowgate
      required_scope: chat
      account_claim: tid
providers:
  - { name: m, type: mock }
models:
  - { name: test-model, deployments: [{ provider: m }] }
chat:
  default_model: test-model
${extra}`;
}

export async function startAuthServer(keys, extra = '') {
  const server = await startServer(authConfig(extra), {
    prepare: (data) => { mkdirSync(data, { recursive: true }); writeFileSync(join(data, 'jwks.json'), JSON.stringify(jwksOf(keys))); },
  });
  // The password comes on stdout, "listening on" on stderr: two pipes that
  // node may read in either order.
  let m;
  for (let i = 0; i < 100 && !(m = server.log().match(/password: (\S+)/)); i++) await new Promise((r) => setTimeout(r, 20));
  server.adminPassword = m && m[1];
  return server;
}

export async function call(server, method, path, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
  const r = await fetch(server.url + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, json, text, headers: r.headers };
}

export async function login(server, loginName, password) {
  const r = await call(server, 'POST', '/auth/login', { body: { login: loginName, password } });
  if (r.status !== 200) throw new Error(`login ${loginName}: ${r.status} ${r.text}`);
  return r.json;
}
