// The Anthropic-shaped surface with the official @anthropic-ai/sdk client, and
// translation both ways: Anthropic clients reaching an OpenAI-protocol upstream,
// OpenAI clients reaching an Anthropic-protocol upstream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startMock, startServer } from './lib.mjs';

let mock, server, anthropic, openai;

const CONFIG = `
providers:
  - name: oa
    type: openai
    base_url: MOCK_URL/v1
  - name: an
    type: anthropic
    base_url: MOCK_URL/v1
    api_key: sk-ant-test
models:
  - name: claude-via-openai-upstream
    deployments:
      - provider: oa
  - name: claude-3-haiku
    deployments:
      - provider: an
        model: claude-3-haiku-20240307
`;

before(async () => {
  mock = await startMock();
  server = await startServer(CONFIG, { mockUrl: mock.url });
  anthropic = new Anthropic({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

for (const model of ['claude-via-openai-upstream', 'claude-3-haiku']) {
  test(`messages.create non-streaming (${model})`, async () => {
    const m = await anthropic.messages.create({
      model, max_tokens: 100, system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello [mock: tokens=4]' }],
    });
    assert.equal(m.type, 'message');
    assert.equal(m.role, 'assistant');
    assert.match(m.id, /^msg_/);
    assert.equal(m.content[0].type, 'text');
    assert.equal(m.content[0].text.split(' ').length, 4);
    assert.equal(m.stop_reason, 'end_turn');
    assert.equal(m.usage.output_tokens, 4);
    assert.ok(m.usage.input_tokens >= 2);
  });

  test(`messages.stream: the full event sequence (${model})`, async () => {
    const stream = anthropic.messages.stream({
      model, max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi there [mock: tokens=5]' }] }],
    });
    const types = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const final = await stream.finalMessage();
    assert.equal(types[0], 'message_start');
    assert.equal(types.filter((t) => t === 'content_block_start').length, 1);
    assert.equal(types.filter((t) => t === 'content_block_delta').length, 5);
    assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
    assert.equal(final.content[0].text.split(' ').length, 5);
    assert.equal(final.usage.output_tokens, 5);
    assert.equal(final.stop_reason, 'end_turn');
  });

  test(`max_tokens gives stop_reason max_tokens (${model})`, async () => {
    const m = await anthropic.messages.create({
      model, max_tokens: 2, messages: [{ role: 'user', content: 'x [mock: tokens=9]' }],
    });
    assert.equal(m.stop_reason, 'max_tokens');
    assert.equal(m.usage.output_tokens, 2);
  });
}

test('the raw stream carries ping and cumulative usage in message_delta', async () => {
  const r = await fetch(`${server.url}/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-3-haiku', max_tokens: 50, stream: true,
      messages: [{ role: 'user', content: 'x [mock: tokens=3]' }] }),
  });
  assert.equal(r.headers.get('content-type'), 'text/event-stream');
  const body = await r.text();
  assert.match(body, /event: ping\ndata: \{"type":"ping"\}/);
  const delta = JSON.parse(body.match(/event: message_delta\ndata: (.*)/)[1]);
  assert.equal(delta.usage.output_tokens, 3);
  assert.ok(delta.usage.input_tokens >= 1);
});

test('an OpenAI client reaches an Anthropic-protocol upstream', async () => {
  const stream = await openai.chat.completions.create({
    model: 'claude-3-haiku', stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'Hey [mock: tokens=3]' }],
  });
  let text = '';
  let usage;
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? '';
    if (c.usage) usage = c.usage;
  }
  assert.equal(text.split(' ').length, 3);
  assert.equal(usage.completion_tokens, 3);
});

test('Anthropic-shaped errors: missing max_tokens 400, unknown model 404', async () => {
  await assert.rejects(
    anthropic.messages.create({ model: 'claude-3-haiku', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 400 && e.error?.error?.type === 'invalid_request_error');
  await assert.rejects(
    anthropic.messages.create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 404 && e.error?.error?.type === 'not_found_error');
});

test('an error inside the Anthropic stream after the first token ends with an error event', async () => {
  const r = await fetch(`${server.url}/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-3-haiku', max_tokens: 50, stream: true,
      messages: [{ role: 'user', content: 'x [mock: tokens=9 fault=stream-error after=2]' }] }),
  });
  const body = await r.text();
  assert.match(body, /event: error\ndata: \{"type":"error"/);
  assert.ok(!body.includes('message_stop'));
});
