// The question-answer cache and chat history behind seed 003's chat API, with
// a real WebSocket client (`ws`): a cache hit is one frame with cached "true";
// invalidate_cache; the exact key is case-sensitive; only a chat's first turn
// reads the cache; REST hits carry x-flowgate-cache: hit; the history window;
// GET/DELETE /chats; semantic hits and misses around the threshold; TTL
// expiry; metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startMock, startServer, sleep, BIN } from './lib.mjs';

let mock, exact, semantic, normalised, imported, importRun;

// The seed's bulk format, with two bad items among good ones.
const SEED_FILE = JSON.stringify([
  { id: 'node-42What is an outage?', responses: JSON.stringify({ completion: 'An outage is ...', chat_id: 'seed', cached: 'false' }) },
  { id: 'node-42Broken', responses: 'not json' },
  { pk: 'node-42What is an outage?' },
  { id: 'node-7Second', responses: JSON.stringify({ completion: 'Imported too' }) },
]);

const BASE = `
providers:
  - { name: up, type: openai, base_url: MOCK_URL/v1 }
  - { name: local-mock, type: mock }
models:
  - { name: anthropic.claude-v2, deployments: [{ provider: up }] }
  - { name: embed, deployments: [{ provider: local-mock }] }
chat:
  default_model: anthropic.claude-v2
  history_turns: 1
`;

before(async () => {
  mock = await startMock();
  exact = await startServer(BASE + 'cache:\n  mode: exact\n  ttl_seconds: 1\n', { mockUrl: mock.url });
  semantic = await startServer(BASE + 'cache:\n  mode: semantic\n  embedding_model: embed\n  semantic_threshold: 0.9\n',
    { mockUrl: mock.url });
  normalised = await startServer(BASE + 'cache:\n  mode: normalised\n', { mockUrl: mock.url });
  imported = await startServer(BASE, {
    mockUrl: mock.url,
    prepare: (dataDir) => {
      mkdirSync(dataDir, { recursive: true });
      const file = join(dataDir, 'seed-cache.json');
      writeFileSync(file, SEED_FILE);
      importRun = spawnSync(BIN, ['cache', 'import', file, '--data', dataDir], { encoding: 'utf8' });
    },
  });
});

after(async () => {
  await exact?.stop();
  await semantic?.stop();
  await normalised?.stop();
  await imported?.stop();
  await mock?.stop();
});

function connect(server) {
  const ws = new WebSocket(server.url.replace('http', 'ws') + '/ws');
  const frames = [];
  const waiters = [];
  ws.on('message', (d) => {
    frames.push(JSON.parse(d.toString()));
    for (const w of waiters.splice(0)) w();
  });
  const next = (pred) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout; frames: ${JSON.stringify(frames).slice(0, 500)}`)), 5000);
    const check = () => {
      const f = frames.find(pred);
      if (f) { clearTimeout(t); resolve(f); } else waiters.push(check);
    };
    check();
  });
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve({ ws, frames, next }));
    ws.on('error', reject);
  });
}

// Sends one message and reads frames the seed's way: until has_more_messages is "false".
async function ask(server, { prompt, chat_id, node_id, invalidate = 'false' }) {
  const { ws, frames, next } = await connect(server);
  ws.send(JSON.stringify({ action: 'sendmessage', prompt, model: 'anthropic.claude-v2', chat_id,
    parameters: { node_id, temperature: 0, max_tokens_to_sample: 100, stop_sequences: [] },
    invalidate_cache: invalidate }));
  await next((f) => f.chat_id === chat_id && f.has_more_messages === 'false');
  ws.close();
  const mine = frames.filter((f) => f.chat_id === chat_id);
  assert.ok(!mine.some((f) => f.error), JSON.stringify(mine));
  return { frames: mine, text: mine.map((f) => f.completion).join(''), cached: mine[0].cached };
}

const requests = async () => (await mock.stats()).requests;

test('a repeated question with the same node_id is one frame with cached "true"', async () => {
  const fresh = await ask(exact, { prompt: 'What is flowgate? [mock: tokens=6]', chat_id: 'h1', node_id: 'n1' });
  assert.equal(fresh.cached, 'false');
  assert.ok(fresh.frames.length > 1);
  const before = await requests();
  const hit = await ask(exact, { prompt: 'What is flowgate? [mock: tokens=6]', chat_id: 'h2', node_id: 'n1' });
  assert.equal(hit.frames.length, 1);
  assert.deepEqual(Object.keys(hit.frames[0]).sort(), ['cached', 'chat_id', 'completion', 'has_more_messages']);
  assert.equal(hit.frames[0].cached, 'true');
  assert.equal(hit.frames[0].has_more_messages, 'false');
  assert.equal(hit.text, fresh.text);
  assert.equal(await requests(), before, 'the upstream was not asked');
  // case-sensitive key, another namespace, invalidate_cache: all go upstream
  const other = await ask(exact, { prompt: 'what is flowgate? [mock: tokens=6]', chat_id: 'h3', node_id: 'n1' });
  assert.equal(other.cached, 'false');
  const ns2 = await ask(exact, { prompt: 'What is flowgate? [mock: tokens=6]', chat_id: 'h4', node_id: 'n2' });
  assert.equal(ns2.cached, 'false');
  const inv = await ask(exact, { prompt: 'What is flowgate? [mock: tokens=6]', chat_id: 'h5', node_id: 'n1', invalidate: 'true' });
  assert.equal(inv.cached, 'false');
  assert.equal(await requests(), before + 3);
  const again = await ask(exact, { prompt: 'What is flowgate? [mock: tokens=6]', chat_id: 'h6', node_id: 'n1' });
  assert.equal(again.cached, 'true');
});

test('without a node_id, or after the first turn, the cache is not read', async () => {
  await ask(exact, { prompt: 'No node [mock: tokens=3]', chat_id: 'nn1' });
  const second = await ask(exact, { prompt: 'No node [mock: tokens=3]', chat_id: 'nn2' });
  assert.equal(second.cached, 'false');
  await ask(exact, { prompt: 'Turn one [mock: tokens=3]', chat_id: 't1', node_id: 'n9' });
  // the same question as a later turn of another chat that already has history
  await ask(exact, { prompt: 'Opening [mock: tokens=3]', chat_id: 't2', node_id: 'n9' });
  const later = await ask(exact, { prompt: 'Turn one [mock: tokens=3]', chat_id: 't2', node_id: 'n9' });
  assert.equal(later.cached, 'false');
});

test('a cancelled answer is not cached', async () => {
  const { ws, next } = await connect(exact);
  ws.send(JSON.stringify({ action: 'sendmessage', prompt: 'Long one [mock: tokens=300 delay=10]', chat_id: 'cx',
    parameters: { node_id: 'nc' } }));
  await next((f) => f.chat_id === 'cx' && f.completion);
  ws.send(JSON.stringify({ action: 'cancel', chat_id: 'cx' }));
  await next((f) => f.chat_id === 'cx' && f.has_more_messages === 'false');
  ws.close();
  const retry = await ask(exact, { prompt: 'Long one [mock: tokens=3]', chat_id: 'cy', node_id: 'nc' });
  assert.equal(retry.cached, 'false');
});

test('REST: a hit answers at once with x-flowgate-cache: hit', async () => {
  const post = () => fetch(`${exact.url}/RestLambda`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'REST question [mock: tokens=4]', model: 'anthropic.claude-v2',
      parameters: { node_id: 'rest', temperature: 0, stop_sequences: [], max_tokens_to_sample: 10 } }) });
  const first = await post();
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-flowgate-cache'), 'miss');
  const a = await first.json();
  const second = await post();
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-flowgate-cache'), 'hit');
  const b = await second.json();
  assert.equal(b.completion, a.completion);
  assert.equal(b.model, 'anthropic.claude-v2');
});

test('entries expire after cache.ttl_seconds', async () => {
  await ask(exact, { prompt: 'Short lived [mock: tokens=3]', chat_id: 'ttl1', node_id: 'nt' });
  const hit = await ask(exact, { prompt: 'Short lived [mock: tokens=3]', chat_id: 'ttl2', node_id: 'nt' });
  assert.equal(hit.cached, 'true');
  await sleep(1200);
  const expired = await ask(exact, { prompt: 'Short lived [mock: tokens=3]', chat_id: 'ttl3', node_id: 'nt' });
  assert.equal(expired.cached, 'false');
});

const words = (s) => s.split(/\s+/).filter(Boolean).length;

test('history: every turn is kept, the window of past turns goes upstream, list and delete', async () => {
  const prompts = ['first [mock: tokens=2]', 'second [mock: tokens=3]', 'third [mock: tokens=4]'];
  for (const p of prompts) await ask(exact, { prompt: p, chat_id: 'hist' });
  const r = await fetch(`${exact.url}/chats/hist`);
  assert.equal(r.status, 200);
  const chat = await r.json();
  assert.equal(chat.chat_id, 'hist');
  assert.deepEqual(chat.messages.map((m) => m.role), ['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
  assert.deepEqual(chat.messages.filter((m) => m.role === 'user').map((m) => m.content), prompts);
  assert.equal(chat.messages[1].model, 'anthropic.claude-v2');
  assert.equal(words(chat.messages[5].content), 4);
  assert.equal(chat.messages[5].usage.output_tokens, 4);
  // history_turns: 1 — the third question went with the second turn only
  const [u1, a1, u2, a2, u3] = chat.messages;
  assert.equal(u1.usage.input_tokens, words(u1.content));
  assert.equal(u2.usage.input_tokens, words(u1.content) + words(a1.content) + words(u2.content));
  assert.equal(u3.usage.input_tokens, words(u2.content) + words(a2.content) + words(u3.content));
  const list = await (await fetch(`${exact.url}/chats`)).json();
  const entry = list.chats.find((c) => c.chat_id === 'hist');
  assert.equal(entry.messages, 6);
  assert.equal((await fetch(`${exact.url}/chats/hist`, { method: 'DELETE' })).status, 204);
  assert.equal((await fetch(`${exact.url}/chats/hist`)).status, 404);
  assert.equal((await fetch(`${exact.url}/chats/hist`, { method: 'DELETE' })).status, 404);
  assert.equal((await fetch(`${exact.url}/chats/never-seen`)).status, 404);
});

test('semantic: a similar question hits, a different one misses', async () => {
  const fresh = await ask(semantic, { prompt: 'what is the capital city of france', chat_id: 's1', node_id: 'geo' });
  assert.equal(fresh.cached, 'false');
  // 7 of 8 words shared: cosine 0.935 >= 0.9
  const near = await ask(semantic, { prompt: 'what is the capital city of france today', chat_id: 's2', node_id: 'geo' });
  assert.equal(near.cached, 'true');
  assert.equal(near.text, fresh.text);
  // 5 of 7 words shared: cosine 0.71 < 0.9
  const far = await ask(semantic, { prompt: 'what is the largest city of spain', chat_id: 's3', node_id: 'geo' });
  assert.equal(far.cached, 'false');
  // another namespace never sees it
  const other = await ask(semantic, { prompt: 'what is the capital city of france', chat_id: 's4', node_id: 'geo2' });
  assert.equal(other.cached, 'false');
});

test('semantic mode: exact entries answer first, from memory without embedding the prompt', async () => {
  const metric = async (re) => {
    const m = (await (await fetch(`${semantic.url}/metrics`)).text()).match(re);
    return m ? Number(m[1]) : 0;
  };
  const embedTokens = () => metric(/flowgate_tokens_total\{model="embed",direction="input"\} ([0-9.e+]+)/);
  const exactHits = () => metric(/flowgate_cache_hits_total\{mode="exact"\} ([0-9.e+]+)/);
  // a seed item imported while the server runs: only in the store at first
  const file = join(semantic.dataDir, 'live-exact.json');
  writeFileSync(file, JSON.stringify([{ id: 'rivers' + 'Which river runs through Paris?',
    responses: JSON.stringify({ completion: 'The Seine.' }) }]));
  const run = spawnSync(BIN, ['cache', 'import', file, '--data', join(semantic.dataDir, 'data')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const post = async () => {
    const r = await fetch(`${semantic.url}/RestLambda`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Which river runs through Paris?', model: 'anthropic.claude-v2',
        parameters: { node_id: 'rivers' } }) });
    return { cache: r.headers.get('x-flowgate-cache'), body: await r.json() };
  };
  const hits0 = await exactHits();
  const first = await post(); // memory misses, the prompt is embedded, the store has it
  assert.equal(first.cache, 'hit');
  assert.equal(first.body.completion, 'The Seine.');
  const tokens = await embedTokens();
  assert.ok(tokens > 0, 'the first lookup embedded the prompt');
  const second = await post(); // now in memory: answered before any embedding
  assert.equal(second.cache, 'hit');
  assert.equal(second.body.completion, 'The Seine.');
  assert.equal(await embedTokens(), tokens);
  assert.equal(await exactHits(), hits0 + 2);
});

test('metrics count hits and misses per mode and the time saved', async () => {
  const text = await (await fetch(`${semantic.url}/metrics`)).text();
  assert.match(text, /flowgate_cache_hits_total\{mode="semantic"\} [1-9]/);
  assert.match(text, /flowgate_cache_misses_total\{mode="semantic"\} [1-9]/);
  assert.match(text, /flowgate_cache_saved_seconds_total\{mode="semantic"\} [0-9.e-]+/);
  const ex = await (await fetch(`${exact.url}/metrics`)).text();
  assert.match(ex, /flowgate_cache_hits_total\{mode="exact"\} [1-9]/);
});

test('normalised: white space and case do not matter, parameters do', async () => {
  const fresh = await ask(normalised, { prompt: 'Hello   World, how are you? [mock: tokens=4]', chat_id: 'z1', node_id: 'nz' });
  assert.equal(fresh.cached, 'false');
  const hit = await ask(normalised, { prompt: '  hello world,\nHOW are you? [mock: tokens=4]', chat_id: 'z2', node_id: 'nz' });
  assert.equal(hit.cached, 'true');
  assert.equal(hit.text, fresh.text);
  const other = await ask(normalised, { prompt: 'Hello World, how are they? [mock: tokens=4]', chat_id: 'z3', node_id: 'nz' });
  assert.equal(other.cached, 'false');
});

test('cache import: the seed bulk format, invalid items listed by index, valid ones served', async () => {
  assert.equal(importRun.status, 1, importRun.stderr);
  assert.match(importRun.stderr, /item 1: responses: not valid JSON/);
  assert.match(importRun.stderr, /item 2: id: required/);
  assert.match(importRun.stdout, /imported 2 of 4 items \(seed format\) into account default; 2 invalid/);
  const hit = await ask(imported, { prompt: 'What is an outage?', chat_id: 'i1', node_id: 'node-42' });
  assert.equal(hit.cached, 'true');
  assert.equal(hit.text, 'An outage is ...');
  const second = await ask(imported, { prompt: 'Second', chat_id: 'i2', node_id: 'node-7' });
  assert.equal(second.text, 'Imported too');
  const stats = spawnSync(BIN, ['cache', 'stats', '--json', '--data', join(imported.dataDir, 'data')], { encoding: 'utf8' });
  assert.equal(stats.status, 0, stats.stderr);
  assert.equal(JSON.parse(stats.stdout).exact, 2);
});

test('cache import into a running server: its entries are found in the store on the first miss', async () => {
  const file = join(exact.dataDir, 'live-import.json');
  writeFileSync(file, JSON.stringify({ flowgate_cache: 1, entries: [
    { mode: 'exact', node_id: 'live', prompt: 'Imported while running', completion: 'Found in the store' }] }));
  const run = spawnSync(BIN, ['cache', 'import', file, '--data', join(exact.dataDir, 'data')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const hit = await ask(exact, { prompt: 'Imported while running', chat_id: 'live1', node_id: 'live' });
  assert.equal(hit.cached, 'true');
  assert.equal(hit.text, 'Found in the store');
});
