// The seed 001 RAG state machine with a real knowledge base answering its
// Retrieve task (no test double): the definition's ${KnowledgeBaseId} is
// substituted from the configuration, the base is created and filled over the
// HTTP API, and the passages reach the final system prompt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock, startServer, sleep } from './lib.mjs';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'assist');
const shared = process.env.FG_SHARED_DIR || join(process.env.FG_SOURCE_DIR || '.', '..', 'shared');
const ASL_001 = join(shared, 'seed-artifacts', 'asl', 'aws-samples__serverless-genai-assistant__serverless_assistant_rag__RagGenAI.asl.json');
const skip = !existsSync(ASL_001) && 'seed artifacts not found in ../shared (set FG_SHARED_DIR)';

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
  default_workflow: rag-kb
  workflows:
    - name: rag-kb
      file: ${ASL_001}
      substitutions:
        KnowledgeBaseId: seed-docs
`;

let mock, server;

before(async () => {
  if (skip) return;
  mock = await startMock(['--script', join(fixtures, 'mock-script.json')]);
  server = await startServer(CONFIG, { mockUrl: mock.url });
});

after(async () => {
  if (server) assert.equal(await server.stop(), 0);
  if (mock) await mock.stop();
});

const json = (r) => r.json();
const postJson = (path, body) => fetch(`${server.url}${path}`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
});

test('the seed machine\'s Retrieve answers from the ingested knowledge base', { skip }, async () => {
  const base = await postJson('/knowledgebases', { name: 'seed-docs' }).then(json);
  const id = base.knowledgeBaseId;
  assert.ok(id, JSON.stringify(base));
  const job = await postJson(`/knowledgebases/${id}/documents`, { documents: [
    { name: 'aws.md', contentType: 'text/markdown', content: '# AWS\n\nAWS is a cloud computing platform with compute, storage and databases.' },
    { name: 'cats.md', contentType: 'text/markdown', content: '# Cats\n\nCats are small domesticated carnivorous mammals.' },
  ] }).then(json);
  let status;
  for (let i = 0; i < 200; i++) {
    status = await fetch(`${server.url}/knowledgebases/${id}/ingestionjobs/${job.jobId}`).then(json);
    if (status.status === 'complete' || status.status === 'failed') break;
    await sleep(50);
  }
  assert.equal(status.status, 'complete', JSON.stringify(status));
  await fetch(`${mock.url}/mock/requests`, { method: 'DELETE' });
  const res = await postJson('/bedrock_claude_messages_api', {
    bedrock_parameters: { messages: [{ role: 'user', content: 'What is AWS?' }], system: 'Answer from the documents.' },
    assistant_parameters: { content_tag: 'document' },
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(await res.text(), 'According to the documents AWS is a cloud. Score: 0.9');
  const sent = (await fetch(`${mock.url}/mock/requests`).then(json)).requests;
  const system = sent[sent.length - 1].body.messages[0].content;
  assert.ok(system.startsWith('Answer from the documents.\n\n<document>'), system.slice(0, 200));
  const ctx = JSON.parse(system.slice(system.lastIndexOf('<document>') + 10, system.lastIndexOf('</document>')));
  assert.ok(ctx.length >= 1, JSON.stringify(ctx));
  assert.match(JSON.stringify(ctx[0]), /storage and databases/);
});
