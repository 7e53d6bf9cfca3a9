// The seed assistants' endpoints end to end: both seed RAG state machines run
// unchanged through POST /bedrock_claude_messages_api (seed 001) and
// POST /bedrock_converse_api (seed 000) with the scripted mock model and the
// Retrieve test double; each path (retrieve, bypass, retrieve error) is checked
// on the final system prompt the model received and on the streamed answer.
// Also: the seed's own curl call, a chunk-by-chunk reader, every LLM task
// integration, and the error statuses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock, startServer, sleep } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'assist');
const shared = process.env.FG_SHARED_DIR || join(process.env.FG_SOURCE_DIR || '.', '..', 'shared');
const seeds = join(shared, 'seed-artifacts');
const haveSeeds = existsSync(join(seeds, 'asl'));
const skip = !haveSeeds && 'seed artifacts not found in ../shared (set FG_SHARED_DIR)';
const ASL_001 = join(seeds, 'asl', 'aws-samples__serverless-genai-assistant__serverless_assistant_rag__RagGenAI.asl.json');
const ASL_000 = join(seeds, 'asl', 'aws-samples__serverless-genai-assistant__sample_web_application__RagGenAI.asl.json');
const TEST_JSON = join(seeds, 'requests', 'aws-samples__serverless-genai-assistant__serverless_assistant_rag__test.json');
const RAG_SYSTEM = join(seeds, 'requests', 'aws-samples__serverless-genai-assistant__serverless_assistant_rag__rag_system_prompt.txt');

const DEFAULT_ANSWER = 'According to the documents AWS is a cloud. Score: 0.9';
const ERROR_ANSWER = 'I am an error handler task: the knowledge base failed.';
const BYPASS_PROMPT = 'No Data generated this time, this is likely due to a greeting, repeated user\'s query or the answer is already provided in the conversation history. Check carefully and do not invent any information. You can answer user greetings in a friendly way.';
const ERROR_PROMPT_001 = 'You are an error handler task. Your rules are: 1. Inform that you are a error handler task. 2. Inform the user you can\'t answer any question. 3. explain the bedrock error in the document tag.';
const ERROR_PROMPT_000 = 'You are an error handler task. Your rules are: 1. Inform that you are a error handler task. 2. Inform the user you can\'t answer any question. 3. explain the bedrock error content bellow: Error: BedrockAgentRuntime.ResourceNotFoundException Cause: Knowledge base kb-missing not found.';
const RETRIEVED = JSON.parse(readFileSync(join(fixtures, 'retrieve.json'), 'utf8')).RetrievalResults;

const CONFIG = `
providers:
  - name: up
    type: openai
    base_url: MOCK_URL/v1
models:
  - name: "*"
    deployments: [{ provider: up }]
router:
  retries: 0
assistants:
  default_workflow: rag
  workflow_timeout_ms: 2500
  test_retrieve_file: ${join(fixtures, 'retrieve.json')}
  workflows:
    - name: rag
      file: ${ASL_001}
    - name: "workflow#details#1"
      file: ${ASL_000}
    - name: plain
      file: ${join(fixtures, 'plain.asl.json')}
    - name: failing
      file: ${join(fixtures, 'failing.asl.json')}
    - name: no-details
      file: ${join(fixtures, 'no-details.asl.json')}
    - name: tasks
      file: ${join(fixtures, 'tasks.asl.json')}
    - name: task-errors
      file: ${join(fixtures, 'task-errors.asl.json')}
`;

let mock, server;

before(async () => {
  if (!haveSeeds) return;
  mock = await startMock(['--script', join(fixtures, 'mock-script.json')]);
  server = await startServer(CONFIG, { mockUrl: mock.url });
});

after(async () => {
  if (server) assert.equal(await server.stop(), 0);
  if (mock) await mock.stop();
});

async function mockRequests() {
  const r = await fetch(`${mock.url}/mock/requests`);
  return (await r.json()).requests;
}

async function clearMock() {
  await fetch(`${mock.url}/mock/requests`, { method: 'DELETE' });
}

// The last request the mock received: the final answer's.
async function finalRequest() {
  const all = await mockRequests();
  return all[all.length - 1].body;
}

function post(path, body) {
  return fetch(`${server.url}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function claudeBody(question, { system = '', workflow, tag = 'document', history = [] } = {}) {
  const ap = { messages_to_sample: 5, content_tag: tag, state_machine_custom_params: { hello: 'test' } };
  if (workflow) ap.workflow_params = { workflow_id: workflow };
  return {
    bedrock_parameters: {
      messages: [...history, { role: 'user', content: question }], max_tokens: 300, temperature: 0.5,
      system, modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    },
    assistant_parameters: ap,
  };
}

function converseBody(question, { system, workflow }) {
  return {
    bedrock_converse_parameters: {
      model_id: 'anthropic.claude-3-sonnet-20240229-v1:0',
      inference_config: { temperature: 0.7, topP: 0.9, maxTokens: 400 },
      additional_model_fields: { top_k: 200 },
      system_prompts: [{ text: system }],
      messages: [{ role: 'user', content: [{ text: question }] }],
    },
    assistant_parameters: { messages_to_sample: 5, workflow_params: { workflow_id: workflow }, state_machine_custom_params: {} },
  };
}

const QUESTIONS = {
  retrieve: 'What is AWS?',
  bypass: 'Thank you, that answers my question.',
  error: 'What is Amazon Timestream?',
};

function replaceTag(system, tag, prompt) {
  return system.split(`<${tag}></${tag}>`).join(`<${tag}>${prompt}</${tag}>`);
}

// The text inside the last open…close pair.
function between(text, open, close) {
  const a = text.lastIndexOf(open);
  const b = text.indexOf(close, a + open.length);
  assert.ok(a >= 0 && b > a, `${open}…${close} in ${text.slice(0, 300)}`);
  return text.slice(a + open.length, b);
}

// The final system prompt each (endpoint, machine, path) must produce, per
// contracts.md §1.4 and §2.
function checkSystem(endpoint, machine, path, system, got) {
  const doc = (ctx) => `\n\n<document>${JSON.stringify(ctx)}</document>`;
  if (endpoint === 'claude') {
    if (machine === '001' && path === 'retrieve') return assert.deepEqual(JSON.parse(between(got, '<document>', '</document>')), RETRIEVED);
    if (path === 'bypass') return assert.equal(got, replaceTag(system, 'chain-information', BYPASS_PROMPT) + doc([]));
    if (machine === '001' && path === 'error') {
      assert.ok(got.startsWith(ERROR_PROMPT_001 + '\n\n<document>'), got.slice(0, 300));
      const ctx = JSON.parse(between(got, '<document>', '</document>'));
      assert.equal(ctx[0].Error, 'BedrockAgentRuntime.ResourceNotFoundException');
      assert.equal(ctx[0].Cause, 'Knowledge base kb-missing not found');
      return;
    }
    if (machine === '000' && path === 'retrieve') {
      assert.ok(got.endsWith(doc([])), got.slice(-200));
      return assert.deepEqual(JSON.parse(between(got, '<chain-information>', '</chain-information>')), RETRIEVED);
    }
    if (machine === '000' && path === 'error') return assert.equal(got, ERROR_PROMPT_000 + doc([]));
  }
  // converse: no content-tag block
  if (machine === '001' && path === 'retrieve') return assert.equal(got, system);
  if (path === 'bypass') return assert.equal(got, replaceTag(system, 'chain-information', BYPASS_PROMPT));
  if (path === 'error') return assert.equal(got, machine === '001' ? ERROR_PROMPT_001 : ERROR_PROMPT_000);
  if (machine === '000' && path === 'retrieve') {
    assert.ok(!got.endsWith('</document>'));
    return assert.deepEqual(JSON.parse(between(got, '<chain-information>', '</chain-information>')), RETRIEVED);
  }
  assert.fail(`no expectation for ${endpoint} ${machine} ${path}`);
}

for (const endpoint of ['claude', 'converse']) {
  for (const machine of ['001', '000']) {
    for (const path of ['retrieve', 'bypass', 'error']) {
      test(`${endpoint} endpoint, seed ${machine} machine: the ${path} path`, { skip }, async () => {
        const system = readFileSync(RAG_SYSTEM, 'utf8');
        const workflow = machine === '001' ? 'rag' : 'workflow#details#1';
        await clearMock();
        const res = endpoint === 'claude'
          ? await post('/bedrock_claude_messages_api', claudeBody(QUESTIONS[path], { system, workflow }))
          : await post('/bedrock_converse_api', converseBody(QUESTIONS[path], { system, workflow }));
        const text = await res.text();
        assert.equal(res.status, 200, text);
        assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
        assert.equal(text, path === 'error' ? ERROR_ANSWER : DEFAULT_ANSWER);
        const all = await mockRequests();
        // two workflow model calls (keywords, bypass policy) and the answer
        assert.equal(all.length, 3, JSON.stringify(all.map((r) => r.body.model)));
        const final = all[2].body;
        assert.equal(final.messages[0].role, 'system');
        checkSystem(endpoint, machine, path, system, final.messages[0].content);
        if (endpoint === 'converse' && machine === '000' && path === 'retrieve') {
          const last = final.messages[final.messages.length - 1];
          assert.equal(last.role, 'assistant');
          assert.match(JSON.stringify(last.content), /I will follow the instructions/);
        }
        if (endpoint === 'claude') assert.equal(final.max_tokens, 300);
        else assert.equal(final.max_tokens, 400);
        // the keyword task received the sampled messages and the prefill
        const kw = all.find((r) => JSON.stringify(r.body.messages).includes('<keywords>')).body;
        assert.equal(kw.messages.at(-2).content, QUESTIONS[path]);
      });
    }
  }
}

test('the seed\'s curl call with test.json streams the answer (retrieve path, content tag "document")', { skip }, async () => {
  await clearMock();
  const out = await new Promise((resolve, reject) => {
    execFile('curl', ['-s', '--no-buffer', '-H', 'Content-Type: application/json', '-X', 'POST',
      '-d', `@${TEST_JSON}`, `${server.url}/bedrock_claude_messages_api`],
    (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  assert.equal(out, DEFAULT_ANSWER);
  const seed = JSON.parse(readFileSync(TEST_JSON, 'utf8'));
  const final = await finalRequest();
  assert.equal(final.messages[0].content.slice(0, seed.bedrock_parameters.system.length), seed.bedrock_parameters.system);
  assert.deepEqual(JSON.parse(between(final.messages[0].content, '\n\n<document>', '</document>')), RETRIEVED);
  assert.equal(final.temperature, 0.9);
  assert.equal(final.max_tokens, 650);
  assert.deepEqual(final.stop, ['\n\nHuman:']);
});

test('a streaming reader gets the answer chunk by chunk', { skip }, async () => {
  const res = await post('/bedrock_claude_messages_api', claudeBody('Stream this slowly [mock: delay=40]', { workflow: 'plain' }));
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const chunks = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(decoder.decode(value, { stream: true }));
  }
  assert.ok(chunks.length >= 3, `chunks: ${JSON.stringify(chunks)}`);
  assert.equal(chunks.join(''), DEFAULT_ANSWER);
});

test('messages_to_sample: the workflow sees the last N messages, the model the whole conversation', { skip }, async () => {
  await clearMock();
  const history = [];
  for (let i = 0; i < 6; i++) history.push({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i}` });
  const body = claudeBody('What is AWS?', { workflow: 'rag', history });
  body.assistant_parameters.messages_to_sample = 2;
  const res = await post('/bedrock_claude_messages_api', body);
  assert.equal(res.status, 200, await res.text());
  const all = await mockRequests();
  const kw = all.find((r) => JSON.stringify(r.body.messages).includes('<keywords>')).body;
  assert.deepEqual(kw.messages.filter((m) => m.role !== 'system').map((m) => m.content), ['turn 5', 'What is AWS?', '<keywords>']);
  const final = all[all.length - 1].body;
  assert.equal(final.messages.length, 1 + 7);
});

test('every LLM task integration answers in its own shape', { skip }, async () => {
  await clearMock();
  const res = await post('/bedrock_claude_messages_api', claudeBody('run the tasks', { workflow: 'tasks', tag: 'results' }));
  assert.equal(res.status, 200, await res.text());
  const final = await finalRequest();
  const [claude, llama, titan, mistral, cohere, tgi, openai] = JSON.parse(between(final.messages[0].content, '<results>', '</results>'));
  assert.equal(claude.Body.content[0].text, 'claude-answer');
  assert.equal(claude.Body.model, 'anthropic.claude-3-haiku-20240307-v1:0');
  assert.equal(claude.Body.role, 'assistant');
  assert.ok(claude.Body.usage.input_tokens > 0);
  assert.equal(llama.Body.generation, 'llama-answer');
  assert.equal(typeof llama.Body.prompt_token_count, 'number');
  assert.equal(titan.Body.results[0].outputText, 'titan-answer');
  assert.equal(titan.Body.results[0].completionReason, 'FINISH');
  assert.equal(mistral.Body.outputs[0].text, 'mistral-answer');
  assert.equal(cohere.Body.generations[0].text, 'cohere-answer');
  assert.equal(tgi, 'sagemaker-answer');
  assert.equal(openai.choices[0].message.content, 'openai-answer');
  assert.equal(openai.object, 'chat.completion');
  // what the model received from each native body
  const sent = (await mockRequests()).map((r) => r.body);
  const llamaReq = sent.find((b) => JSON.stringify(b).includes('task llama please'));
  assert.equal(llamaReq.model, 'meta.llama3-8b-instruct-v1:0');
  assert.equal(llamaReq.max_tokens, 40);
  const tgiReq = sent.find((b) => JSON.stringify(b).includes('task sagemaker please'));
  assert.equal(tgiReq.model, 'my-tgi-endpoint');
  assert.equal(tgiReq.max_tokens, 30);
});

test('bad bodies get 422 with the field\'s path', { skip }, async () => {
  const cases = [
    ['/bedrock_claude_messages_api', '{not json', '(body)'],
    ['/bedrock_claude_messages_api', '[]', '(body)'],
    ['/bedrock_claude_messages_api', { assistant_parameters: {} }, 'bedrock_parameters'],
    ['/bedrock_claude_messages_api', { bedrock_parameters: { messages: [{ role: 'user', content: 'x' }] } }, 'assistant_parameters'],
    ['/bedrock_claude_messages_api', { bedrock_parameters: { messages: [] }, assistant_parameters: {} }, 'bedrock_parameters.messages'],
    ['/bedrock_claude_messages_api', { bedrock_parameters: { messages: [{ role: 'user', content: 5 }] }, assistant_parameters: {} }, 'bedrock_parameters.messages[0].content'],
    ['/bedrock_claude_messages_api', { bedrock_parameters: { messages: [{ role: 'robot', content: 'x' }] }, assistant_parameters: {} }, 'bedrock_parameters.messages[0]'],
    ['/bedrock_claude_messages_api', { bedrock_parameters: { temperature: 3, messages: [{ role: 'user', content: 'x' }] }, assistant_parameters: {} }, 'bedrock_parameters.temperature'],
    ['/bedrock_claude_messages_api', { bedrock_parameters: { max_tokens: 'many', messages: [{ role: 'user', content: 'x' }] }, assistant_parameters: {} }, 'bedrock_parameters.max_tokens'],
    ['/bedrock_claude_messages_api', { bedrock_parameters: { messages: [{ role: 'user', content: 'x' }] }, assistant_parameters: { messages_to_sample: -1 } }, 'assistant_parameters.messages_to_sample'],
    ['/bedrock_claude_messages_api', { bedrock_parameters: { messages: [{ role: 'user', content: 'x' }] }, assistant_parameters: { content_tag: 'a b' } }, 'assistant_parameters.content_tag'],
    ['/bedrock_claude_messages_api', { bedrock_parameters: { messages: [{ role: 'user', content: 'x' }] }, assistant_parameters: { state_machine_custom_params: [] } }, 'assistant_parameters.state_machine_custom_params'],
    ['/bedrock_converse_api', { bedrock_converse_parameters: { model_id: 'm', messages: [{ role: 'user', content: [{ text: 'x' }] }] }, assistant_parameters: {} }, 'assistant_parameters.workflow_params'],
    ['/bedrock_converse_api', { bedrock_converse_parameters: { messages: [{ role: 'user', content: [{ text: 'x' }] }] }, assistant_parameters: { workflow_params: { workflow_id: 'rag' } } }, 'bedrock_converse_parameters.model_id'],
    ['/bedrock_converse_api', { bedrock_converse_parameters: { model_id: 'm', messages: [{ role: 'user', content: 'x' }] }, assistant_parameters: { workflow_params: { workflow_id: 'rag' } } }, 'bedrock_converse_parameters.messages[0].content'],
    ['/bedrock_converse_api', { bedrock_converse_parameters: { model_id: 'm', inference_config: { maxTokens: 0 }, messages: [{ role: 'user', content: [{ text: 'x' }] }] }, assistant_parameters: { workflow_params: { workflow_id: 'rag' } } }, 'bedrock_converse_parameters.inference_config.maxTokens'],
    ['/bedrock_converse_api', { bedrock_converse_parameters: { model_id: 'm', system_prompts: [{}], messages: [{ role: 'user', content: [{ text: 'x' }] }] }, assistant_parameters: { workflow_params: { workflow_id: 'rag' } } }, 'bedrock_converse_parameters.system_prompts[0].text'],
  ];
  for (const [path, body, field] of cases) {
    const res = await post(path, body);
    const j = await res.json();
    assert.equal(res.status, 422, `${JSON.stringify(body)}: ${JSON.stringify(j)}`);
    assert.equal(j.error.type, 'validation_error');
    assert.equal(j.error.path, field, JSON.stringify(j));
  }
});

test('workflow problems answer before the first byte: 404, 502', { skip }, async () => {
  let res = await post('/bedrock_converse_api', converseBody('x', { system: '', workflow: 'workflow#details#99' }));
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.type, 'workflow_not_found');
  res = await post('/bedrock_claude_messages_api', claudeBody('x', { workflow: 'failing' }));
  assert.equal(res.status, 502);
  const j = await res.json();
  assert.equal(j.error.type, 'workflow_failed');
  assert.match(j.error.message, /FAILED: Custom\.Boom: the workflow failed on purpose/);
  res = await post('/bedrock_claude_messages_api', claudeBody('x', { workflow: 'no-details' }));
  assert.equal(res.status, 502);
  assert.match((await res.json()).error.message, /bedrock_details/);
});

test('upstream failures: 502 before the first byte, a marked error after it', { skip }, async () => {
  let res = await post('/bedrock_claude_messages_api', claudeBody('x [mock: fault=http-500]', { workflow: 'plain' }));
  assert.equal(res.status, 502);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.ok((await res.json()).error.message);
  res = await post('/bedrock_claude_messages_api', claudeBody('x [mock: fault=stream-error after=2]', { workflow: 'plain' }));
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /^According to\n\n\[error\] .+/s);
});

test('a client that goes away during the workflow cancels its upstream model call', { skip }, async () => {
  const before = await mock.stats();
  const ctl = new AbortController();
  const p = post('/bedrock_claude_messages_api', claudeBody('slow [mock: ttft=3000]', { workflow: 'rag' }));
  const res = fetch(`${server.url}/bedrock_claude_messages_api`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, signal: ctl.signal,
    body: JSON.stringify(claudeBody('slow too [mock: ttft=3000]', { workflow: 'rag' })),
  }).catch(() => null);
  await sleep(400);
  ctl.abort();
  await res;
  let after;
  for (let i = 0; i < 40; i++) {
    await sleep(50);
    after = await mock.stats();
    if (after.disconnects > before.disconnects) break;
  }
  assert.ok(after.disconnects > before.disconnects, JSON.stringify({ before, after }));
  await p.then((r) => r.text()).catch(() => {});
});

function usageRows() {
  return new Promise((resolve, reject) => {
    execFile(process.env.FLOWGATE_BIN || 'build/debug/flowgate',
      ['usage', '--data', join(server.dataDir, 'data'), '--json', '--limit', '50'],
      (err, stdout) => (err ? reject(err) : resolve(stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)))));
  });
}

test('usage is recorded for the caller\'s account: the workflow\'s model calls and the answer', { skip }, async () => {
  const t0 = Date.now() - 5;
  const res = await post('/bedrock_claude_messages_api', claudeBody('What is AWS? usage check', { workflow: 'rag' }));
  assert.equal(res.status, 200);
  await res.text();
  let rows = [];
  for (let i = 0; i < 40; i++) {
    await sleep(50);
    rows = (await usageRows()).filter((r) => r.created_ms >= t0 && r.outcome === 'ok');
    if (rows.filter((r) => r.route === 'task:bedrock:invokeModel').length >= 2 &&
        rows.some((r) => r.route === '/bedrock_claude_messages_api')) break;
  }
  const tasks = rows.filter((r) => r.route === 'task:bedrock:invokeModel');
  const answer = rows.find((r) => r.route === '/bedrock_claude_messages_api');
  assert.ok(tasks.length >= 2, JSON.stringify(rows.slice(0, 5)));
  assert.ok(answer, JSON.stringify(rows.slice(0, 5)));
  for (const r of [...tasks, answer]) {
    assert.equal(r.account_id, 'default');
    assert.ok(r.input_tokens > 0 && r.output_tokens > 0, JSON.stringify(r));
  }
});

test('a workflow that runs too long is stopped: 504, and its model calls are aborted', { skip }, async () => {
  const before = await mock.stats();
  const t0 = Date.now();
  const res = await post('/bedrock_claude_messages_api', claudeBody('very slow [mock: ttft=8000]', { workflow: 'rag' }));
  assert.equal(res.status, 504);
  assert.equal((await res.json()).error.type, 'workflow_timeout');
  assert.ok(Date.now() - t0 < 6000);
  let after;
  for (let i = 0; i < 40; i++) {
    after = await mock.stats();
    if (after.disconnects >= before.disconnects + 2) break;
    await sleep(50);
  }
  assert.ok(after.disconnects >= before.disconnects + 2, JSON.stringify({ before, after }));
});

test('a task with a bad native body fails with Bedrock.ValidationException naming the field', { skip }, async () => {
  await clearMock();
  const res = await post('/bedrock_claude_messages_api', claudeBody('check the task error', { workflow: 'task-errors', tag: 'e' }));
  assert.equal(res.status, 200, await res.text());
  const final = await finalRequest();
  const [err] = JSON.parse(between(final.messages[0].content, '<e>', '</e>'));
  assert.equal(err.Error, 'Bedrock.ValidationException');
  assert.match(err.Cause, /^Body\.prompt: required/);
  assert.equal((await mockRequests()).length, 1); // only the answer reached the model
});

// (bodies over server.max_body_bytes get 413 from the server: server_limits.test.mjs)
test('oversized messages and too many messages get 422', { skip }, async () => {
  let res = await post('/bedrock_claude_messages_api', claudeBody('x'.repeat(300 * 1024), { workflow: 'plain' }));
  assert.equal(res.status, 422);
  assert.equal((await res.json()).error.path, 'bedrock_parameters.messages[0].content');
  const many = [];
  for (let i = 0; i < 1001; i++) many.push({ role: 'user', content: 'x' });
  const body = claudeBody('x', { workflow: 'plain' });
  body.bedrock_parameters.messages = many;
  res = await post('/bedrock_claude_messages_api', body);
  assert.equal(res.status, 422);
  assert.match((await res.json()).error.message, /more than 1000 messages/);
});
