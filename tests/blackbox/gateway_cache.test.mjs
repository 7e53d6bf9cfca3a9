// The cache in front of the gateway's OpenAI, Anthropic and Bedrock routes,
// with the official SDKs: opt-in per route (cache.gateway_routes) or per
// request (x-flowgate-cache: use | bypass | refresh); a hit answers in the
// caller's format (a JSON body or an SSE replay) with x-flowgate-cache: hit
// and no upstream request; a cancelled stream is not stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { startMock, startServer, sleep } from './lib.mjs';

let mock, server, openai;

const CONFIG = `
providers:
  - { name: up, type: openai, base_url: MOCK_URL/v1 }
models:
  - { name: gpt-test, deployments: [{ provider: up }] }
cache:
  mode: normalised
  gateway_routes: /v1/chat/completions /model/
`;

before(async () => {
  mock = await startMock();
  server = await startServer(CONFIG, { mockUrl: mock.url });
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused' });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

const requests = async () => (await mock.stats()).requests;

test('OpenAI: a repeated request is a hit (JSON and SSE replay), folded text counts as the same', async () => {
  const ask = (content, stream = false) => openai.chat.completions.create({
    model: 'gpt-test', messages: [{ role: 'user', content }], temperature: 0, stream }).withResponse();
  const first = await ask('Tell me about caches [mock: tokens=7]');
  assert.equal(first.response.headers.get('x-flowgate-cache'), 'miss');
  const text = first.data.choices[0].message.content;
  assert.equal(text.split(' ').length, 7);
  const before = await requests();
  const second = await ask('  tell me ABOUT caches [mock: tokens=7] ');
  assert.equal(second.response.headers.get('x-flowgate-cache'), 'hit');
  assert.equal(second.data.choices[0].message.content, text);
  assert.equal(second.data.choices[0].finish_reason, 'stop');
  // the same question streamed: replayed as SSE chunks
  const streamed = await ask('Tell me about caches [mock: tokens=7]', true);
  assert.equal(streamed.response.headers.get('x-flowgate-cache'), 'hit');
  let replay = '';
  for await (const chunk of streamed.data) replay += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(replay, text);
  assert.equal(await requests(), before, 'no upstream request for hits');
});

test('OpenAI: bypass skips the cache, refresh replaces the entry', async () => {
  const ask = (header) => openai.chat.completions.create({
    model: 'gpt-test', messages: [{ role: 'user', content: 'Refreshable [mock: tokens=3]' }] },
  { headers: header ? { 'x-flowgate-cache': header } : {} }).withResponse();
  await ask();
  const before = await requests();
  const bypass = await ask('bypass');
  assert.equal(bypass.response.headers.get('x-flowgate-cache'), null);
  const refresh = await ask('refresh');
  assert.equal(refresh.response.headers.get('x-flowgate-cache'), 'miss');
  assert.equal(await requests(), before + 2);
  assert.equal((await ask()).response.headers.get('x-flowgate-cache'), 'hit');
});

test('a stream cancelled in the middle is not stored', async () => {
  const controller = new AbortController();
  const stream = await openai.chat.completions.create({
    model: 'gpt-test', messages: [{ role: 'user', content: 'Cut short [mock: tokens=400 delay=10]' }], stream: true },
  { signal: controller.signal });
  let n = 0;
  try {
    for await (const chunk of stream) { if (chunk.choices[0]?.delta?.content && ++n === 3) controller.abort(); }
  } catch { /* aborted */ }
  await sleep(100);
  const again = await openai.chat.completions.create({
    model: 'gpt-test', messages: [{ role: 'user', content: 'Cut short [mock: tokens=400 delay=10]' }], max_tokens: 5 }).withResponse();
  assert.notEqual(again.response.headers.get('x-flowgate-cache'), 'hit');
});

test('Anthropic: routes not listed cache only with x-flowgate-cache: use', async () => {
  const anthropic = new Anthropic({ baseURL: server.url, apiKey: 'unused' });
  const ask = (headers) => anthropic.messages.create({ model: 'gpt-test', max_tokens: 50,
    messages: [{ role: 'user', content: 'Anthropic question [mock: tokens=5]' }] }, { headers }).withResponse();
  const plain1 = await ask({});
  assert.equal(plain1.response.headers.get('x-flowgate-cache'), null);
  const plain2 = await ask({});
  assert.equal(plain2.response.headers.get('x-flowgate-cache'), null);
  const use1 = await ask({ 'x-flowgate-cache': 'use' });
  assert.equal(use1.response.headers.get('x-flowgate-cache'), 'miss');
  const use2 = await ask({ 'x-flowgate-cache': 'use' });
  assert.equal(use2.response.headers.get('x-flowgate-cache'), 'hit');
  assert.equal(use2.data.content[0].text, use1.data.content[0].text);
  assert.equal(use2.data.type, 'message');
});

test('Bedrock Converse: a hit in the Converse shape', async () => {
  const client = new BedrockRuntimeClient({ endpoint: server.url, region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  let header = [];
  client.middlewareStack.add((next) => async (args) => {
    const out = await next(args);
    header.push(out.response.headers['x-flowgate-cache']);
    return out;
  }, { step: 'deserialize', name: 'cacheHeader' });
  const ask = () => client.send(new ConverseCommand({ modelId: 'gpt-test',
    messages: [{ role: 'user', content: [{ text: 'Bedrock question [mock: tokens=4]' }] }] }));
  const a = await ask();
  const b = await ask();
  assert.deepEqual(header, ['miss', 'hit']);
  assert.equal(b.output.message.content[0].text, a.output.message.content[0].text);
  assert.equal(b.stopReason, 'end_turn');
});
