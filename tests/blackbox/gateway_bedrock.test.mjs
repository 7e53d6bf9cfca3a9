// The Bedrock runtime surface with the official @aws-sdk/client-bedrock-runtime
// client pointed at flowgate: Converse, ConverseStream (AWS event-stream), and
// InvokeModel / InvokeModelWithResponseStream with native Anthropic, Llama and
// Titan bodies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { startMock, startServer } from './lib.mjs';

let mock, server, client;
const CLAUDE = 'anthropic.claude-3-haiku-20240307-v1:0';
const LLAMA = 'meta.llama3-8b-instruct-v1:0';
const TITAN = 'amazon.titan-text-express-v1';

const CONFIG = `
providers:
  - name: up
    type: openai
    base_url: MOCK_URL/v1
  - name: br
    type: bedrock
    base_url: MOCK_URL
    region: us-west-2
    access_key_id: AKIDEXAMPLE
    secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
    session_token: session-token-example
  - name: sm
    type: sagemaker
    base_url: MOCK_URL
    region: eu-central-1
    access_key_id: AKIDEXAMPLE
    secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
  - name: sm-stream
    type: sagemaker
    stream: true
    base_url: MOCK_URL
    region: eu-central-1
    access_key_id: AKIDEXAMPLE
    secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
models:
  - name: ${CLAUDE}
    deployments: [{ provider: up }]
  - name: ${LLAMA}
    deployments: [{ provider: up }]
  - name: ${TITAN}
    deployments: [{ provider: up }]
  - name: via-bedrock
    deployments: [{ provider: br, model: ${CLAUDE} }]
  - name: via-sagemaker
    deployments: [{ provider: sm, model: my-tgi-endpoint }]
  - name: via-sagemaker-stream
    deployments: [{ provider: sm-stream, model: my-tgi-endpoint }]
`;

before(async () => {
  mock = await startMock();
  server = await startServer(CONFIG, { mockUrl: mock.url });
  // The SDK's default handler: HTTP/2 with prior knowledge over http://.
  client = new BedrockRuntimeClient({
    endpoint: server.url, region: 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  });
});

after(async () => {
  await server?.stop();
  await mock?.stop();
});

const decode = (bytes) => JSON.parse(new TextDecoder().decode(bytes));

test('Converse', async () => {
  const r = await client.send(new ConverseCommand({
    modelId: CLAUDE,
    system: [{ text: 'Be brief.' }],
    messages: [{ role: 'user', content: [{ text: 'Hello [mock: tokens=4]' }] }],
    inferenceConfig: { maxTokens: 100, temperature: 0.5 },
  }));
  assert.equal(r.output.message.role, 'assistant');
  assert.equal(r.output.message.content[0].text.split(' ').length, 4);
  assert.equal(r.stopReason, 'end_turn');
  assert.equal(r.usage.outputTokens, 4);
  assert.equal(r.usage.totalTokens, r.usage.inputTokens + 4);
});

test('the SDK talks to flowgate over HTTP/2 (the access log says so)', async () => {
  await client.send(new ConverseCommand({
    modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: 'Hi [mock: tokens=1]' }] }],
  }));
  let line;
  for (let i = 0; i < 100 && !line; i++) {
    line = server.log().split('\n').find((l) => l.includes('"msg":"access"') && l.includes('/converse'));
    if (!line) await new Promise((res) => setTimeout(res, 10));
  }
  assert.ok(line, 'an access log line for /converse');
  assert.equal(JSON.parse(line).http, '2');
});

test('ConverseStream: event sequence and metadata usage', async () => {
  const r = await client.send(new ConverseStreamCommand({
    modelId: CLAUDE,
    messages: [{ role: 'user', content: [{ text: 'Stream please [mock: tokens=5]' }] }],
  }));
  const kinds = [];
  let text = '';
  let usage;
  for await (const ev of r.stream) {
    const kind = Object.keys(ev)[0];
    kinds.push(kind);
    if (ev.contentBlockDelta) text += ev.contentBlockDelta.delta.text;
    if (ev.metadata) usage = ev.metadata.usage;
  }
  assert.equal(kinds[0], 'messageStart');
  assert.deepEqual(kinds.slice(-3), ['contentBlockStop', 'messageStop', 'metadata']);
  assert.equal(kinds.filter((k) => k === 'contentBlockDelta').length, 5);
  assert.equal(text.split(' ').length, 5);
  assert.equal(usage.outputTokens, 5);
});

test('ConverseStream: an error after the first token arrives as a stream exception', async () => {
  const r = await client.send(new ConverseStreamCommand({
    modelId: CLAUDE,
    messages: [{ role: 'user', content: [{ text: 'x [mock: tokens=9 fault=stream-error after=2]' }] }],
  }));
  await assert.rejects(async () => { for await (const ev of r.stream) void ev; },
    (e) => e.name === 'ModelStreamErrorException');
});

test('InvokeModel with the Anthropic-on-Bedrock body', async () => {
  const r = await client.send(new InvokeModelCommand({
    modelId: CLAUDE, contentType: 'application/json', accept: 'application/json',
    body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 50,
      messages: [{ role: 'user', content: 'Hi [mock: tokens=3]' }] }),
  }));
  const body = decode(r.body);
  assert.equal(body.type, 'message');
  assert.equal(body.content[0].text.split(' ').length, 3);
  assert.equal(body.usage.output_tokens, 3);
});

test('InvokeModelWithResponseStream with the Anthropic body: native chunks with metrics', async () => {
  const r = await client.send(new InvokeModelWithResponseStreamCommand({
    modelId: CLAUDE, contentType: 'application/json',
    body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 50,
      messages: [{ role: 'user', content: 'Hi [mock: tokens=4]' }] }),
  }));
  const events = [];
  for await (const ev of r.body) events.push(decode(ev.chunk.bytes));
  assert.equal(events[0].type, 'message_start');
  const text = events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text).join('');
  assert.equal(text.split(' ').length, 4);
  const stop = events[events.length - 1];
  assert.equal(stop.type, 'message_stop');
  assert.equal(stop['amazon-bedrock-invocationMetrics'].outputTokenCount, 4);
});

test('InvokeModel with a Llama body (chat template read back into messages)', async () => {
  const prompt = '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou answer.<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nQuestion [mock: tokens=6]<|eot_id|>' +
    '<|start_header_id|>assistant<|end_header_id|>\n\n';
  const r = await client.send(new InvokeModelCommand({
    modelId: LLAMA, body: JSON.stringify({ prompt, max_gen_len: 100, temperature: 0 }),
  }));
  const body = decode(r.body);
  assert.equal(body.generation.split(' ').length, 6);
  assert.equal(body.generation_token_count, 6);
  assert.equal(body.stop_reason, 'stop');
});

test('InvokeModelWithResponseStream with a Titan body', async () => {
  const r = await client.send(new InvokeModelWithResponseStreamCommand({
    modelId: TITAN,
    body: JSON.stringify({ inputText: 'Tell me [mock: tokens=3]', textGenerationConfig: { maxTokenCount: 2 } }),
  }));
  const chunks = [];
  for await (const ev of r.body) chunks.push(decode(ev.chunk.bytes));
  const text = chunks.map((c) => c.outputText).join('');
  assert.equal(text.split(' ').length, 2);
  assert.equal(chunks[chunks.length - 1].completionReason, 'LENGTH');
});

test('Bedrock-shaped errors: unknown model and a bad body', async () => {
  await assert.rejects(client.send(new ConverseCommand({
    modelId: 'anthropic.nope-v1:0', messages: [{ role: 'user', content: [{ text: 'x' }] }],
  })), (e) => e.name === 'ResourceNotFoundException' && e.$metadata.httpStatusCode === 404);
  await assert.rejects(client.send(new ConverseCommand({ modelId: CLAUDE, messages: [] })),
    (e) => e.name === 'ValidationException' && /messages/.test(e.message));
});

test('the bedrock provider: ConverseStream upstream, signed, decoded into an OpenAI answer', async () => {
  const r = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'via-bedrock', stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'Hello [mock: tokens=5]' }] }),
  });
  assert.equal(r.status, 200);
  const body = await r.text();
  const chunks = body.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)));
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.equal(text.split(' ').length, 5);
  assert.equal(chunks[chunks.length - 1].usage.completion_tokens, 5);
});

test('the bedrock provider reports an upstream exception before the first token as an error', async () => {
  const r = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'via-bedrock',
      messages: [{ role: 'user', content: 'x [mock: fault=stream-error after=0]' }] }),
  });
  assert.equal(r.status, 502);
});

test('the sagemaker provider: TGI inputs/parameters to generated_text', async () => {
  const r = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'via-sagemaker', max_tokens: 3,
      messages: [{ role: 'user', content: 'Write a story [mock: tokens=8]' }] }),
  });
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.choices[0].message.content.split(' ').length, 3);
  assert.equal(body.choices[0].finish_reason, 'length');
  assert.equal(body.usage.completion_tokens, 3);
});

test('the sagemaker provider with the response stream: TGI tokens streamed', async () => {
  const r = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'via-sagemaker-stream', stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Write a story [mock: tokens=6]' }] }),
  });
  assert.equal(r.status, 200);
  const chunks = (await r.text()).split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)));
  const deltas = chunks.map((c) => c.choices[0]?.delta?.content).filter(Boolean);
  assert.equal(deltas.length, 6);
  assert.equal(chunks[chunks.length - 1].usage.completion_tokens, 6);
});
