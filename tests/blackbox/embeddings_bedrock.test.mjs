// Embeddings through a bedrock provider: flowgate's /v1/embeddings, called with
// the official `openai` npm client, for models deployed on Bedrock (the mock
// upstream's InvokeModel), Amazon Titan (one signed request per input) and
// Cohere embed (one request for every input); signing and cancellation against
// an upstream that never answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import OpenAI from 'openai';
import { startMock, startServer, sleep } from './lib.mjs';

let mock, server, client;
// An upstream that records what it receives and never answers (cancellation).
let silent, silentUrl;
const seen = [];
const TITAN_V2 = 'amazon.titan-embed-text-v2:0';
const TITAN_V1 = 'amazon.titan-embed-text-v1';
const COHERE = 'cohere.embed-english-v3';

const CONFIG = `
providers:
  - name: br
    type: bedrock
    base_url: MOCK_URL
    region: us-west-2
    access_key_id: AKIDEXAMPLE
    secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
models:
  - name: titan
    deployments: [{ provider: br, model: ${TITAN_V2} }]
  - name: titan-v1
    deployments: [{ provider: br, model: ${TITAN_V1} }]
  - name: cohere
    deployments: [{ provider: br, model: ${COHERE} }]
  - name: claude
    deployments: [{ provider: br, model: anthropic.claude-3-haiku-20240307-v1:0 }]
  - name: titan-silent
    deployments: [{ provider: br-silent, model: ${TITAN_V2} }]
`;
const SILENT_PROVIDER = `
  - name: br-silent
    type: bedrock
    base_url: SILENT_URL
    region: us-west-2
    access_key_id: AKIDEXAMPLE
    secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
models:`;

before(async () => {
  silent = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => seen.push({ url: req.url, headers: req.headers, body, closed: false, req }));
    res.on('close', () => { const s = seen.find((x) => x.req === req); if (s) s.closed = true; });
  });
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  silentUrl = `http://127.0.0.1:${silent.address().port}`;
  mock = await startMock();
  server = await startServer(CONFIG.replace('models:', SILENT_PROVIDER).replace('SILENT_URL', silentUrl),
    { mockUrl: mock.url });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
  silent?.closeAllConnections();
  silent?.close();
});

const INPUTS = ['the cat sat on the mat', 'the cat sat', 'quantum chromodynamics'];
const cos = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
const close = (a, b) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-5);

// The mock's own vectors for the same texts: what the Bedrock path must bring back.
async function expected(input, dimensions) {
  const r = await fetch(`${mock.url}/v1/embeddings`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock', input, ...(dimensions ? { dimensions } : {}) }),
  });
  assert.equal(r.status, 200);
  return (await r.json()).data.map((d) => d.embedding);
}

test('Titan v2: one vector per input in order, dimensions, token usage', async () => {
  const r = await client.embeddings.create({ model: 'titan', input: INPUTS, dimensions: 64, encoding_format: 'float' });
  assert.equal(r.object, 'list');
  assert.equal(r.model, 'titan');
  assert.deepEqual(r.data.map((d) => d.index), [0, 1, 2]);
  const want = await expected(INPUTS, 64);
  r.data.forEach((d, i) => assert.ok(close(d.embedding, want[i]), `input ${i}`));
  assert.ok(cos(r.data[0].embedding, r.data[1].embedding) > cos(r.data[0].embedding, r.data[2].embedding));
  // inputTextTokenCount of every request, summed: 6 + 3 + 2 words.
  assert.equal(r.usage.prompt_tokens, 11);
  // The openai client's default (base64) for a single string.
  const b = await client.embeddings.create({ model: 'titan', input: 'hello world', dimensions: 8 });
  assert.equal(b.data.length, 1);
  assert.ok(close(b.data[0].embedding, (await expected(['hello world'], 8))[0]));
  assert.equal(b.usage.prompt_tokens, 2);
});

test('Titan v1: no dimensions sent (the model has one size)', async () => {
  const r = await client.embeddings.create({ model: 'titan-v1', input: ['hello world'], dimensions: 8, encoding_format: 'float' });
  assert.equal(r.data[0].embedding.length, 256);
  assert.ok(close(r.data[0].embedding, (await expected(['hello world']))[0]));
});

test('Cohere embed: every input in one request, vectors in order', async () => {
  const r = await client.embeddings.create({ model: 'cohere', input: INPUTS, encoding_format: 'float' });
  assert.equal(r.data.length, 3);
  assert.deepEqual(r.data.map((d) => d.index), [0, 1, 2]);
  const want = await expected(INPUTS);
  r.data.forEach((d, i) => assert.ok(close(d.embedding, want[i]), `input ${i}`));
});

test('a bedrock model that does not embed is refused', async () => {
  await assert.rejects(client.embeddings.create({ model: 'claude', input: 'hi' }), (e) => e.status === 400);
});

test('the mock answers Bedrock-native embedding bodies', async () => {
  const t = await fetch(`${mock.url}/model/${encodeURIComponent(TITAN_V2)}/invoke`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputText: 'hello world', dimensions: 16, normalize: true }),
  }).then((r) => r.json());
  assert.equal(t.embedding.length, 16);
  assert.equal(t.inputTextTokenCount, 2);
  const c = await fetch(`${mock.url}/model/${COHERE}/invoke`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ texts: ['a b', 'c'], input_type: 'search_document' }),
  }).then((r) => r.json());
  assert.equal(c.embeddings.length, 2);
  assert.deepEqual(c.texts, ['a b', 'c']);
});

test('Titan requests are SigV4-signed InvokeModel calls; cancelling aborts the one in flight', async () => {
  const ac = new AbortController();
  const pending = client.embeddings.create({ model: 'titan-silent', input: ['first text', 'second text'], dimensions: 32 },
    { signal: ac.signal });
  pending.catch(() => {});
  for (let i = 0; i < 100 && seen.length === 0; i++) await sleep(20);
  assert.equal(seen.length, 1);
  const r = seen[0];
  assert.equal(r.url, `/model/${encodeURIComponent(TITAN_V2)}/invoke`);
  assert.match(r.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-west-2\/bedrock\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/);
  assert.ok(r.headers['x-amz-date']);
  assert.deepEqual(JSON.parse(r.body), { inputText: 'first text', normalize: true, dimensions: 32 });
  ac.abort();
  await assert.rejects(pending);
  for (let i = 0; i < 50 && !r.closed; i++) await sleep(20);
  assert.ok(r.closed, 'the upstream request was aborted');
  await sleep(100);
  assert.equal(seen.length, 1, 'no further Titan request after the cancel');
});
