// The HTTP task integrations inside flowgate serve: a workflow of the seed
// assistant endpoint (POST /bedrock_claude_messages_api) runs http:invoke,
// an executable function and an endpoint function on the server's worker loop,
// and their results reach the model as context data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock, startServer } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
let site, siteUrl, dir, mock, server;
const seen = [];

before(async () => {
  site = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      seen.push({ path: req.url, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/fn') return res.end(JSON.stringify({ doubled: JSON.parse(body).n * 2 }));
      res.end(JSON.stringify({ echo: JSON.parse(body || 'null') }));
    });
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  siteUrl = `http://127.0.0.1:${site.address().port}`;
  dir = mkdtempSync(join(tmpdir(), 'flowgate-serve-tasks-'));
  const echo = join(dir, 'echo.mjs');
  writeFileSync(echo, `#!${process.execPath}
let s = ''; process.stdin.on('data', (d) => { s += d; });
process.stdin.on('end', () => { const p = JSON.parse(s); process.stdout.write(JSON.stringify({ sum: p.a + p.b })); });\n`);
  chmodSync(echo, 0o755);
  mock = await startMock();
  server = await startServer(`
providers:
  - { name: up, type: openai, base_url: MOCK_URL/v1 }
models:
  - name: "*"
    deployments: [{ provider: up }]
fetch:
  allow_loopback: true
functions:
  - name: echo
    command: [${echo}]
  - name: doubler
    url: ${siteUrl}/fn
assistants:
  default_workflow: http
  workflow_timeout_ms: 20000
  workflows:
    - name: http
      file: ${join(here, 'http_tasks', 'serve.asl.json')}
`, { mockUrl: mock.url });
});

after(async () => {
  if (server) assert.equal(await server.stop(), 0);
  if (mock) await mock.stop();
  site.close();
  rmSync(dir, { recursive: true, force: true });
});

test('http:invoke and functions run inside a served workflow', async () => {
  const res = await fetch(`${server.url}/bedrock_claude_messages_api`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      bedrock_parameters: { messages: [{ role: 'user', content: 'hello' }], max_tokens: 50,
        system: '', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
      assistant_parameters: { content_tag: 'results', state_machine_custom_params: { api: `${siteUrl}/api` } },
    }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const { requests } = await (await fetch(`${mock.url}/mock/requests`)).json();
  const system = requests.at(-1).body.messages[0].content;
  const a = system.lastIndexOf('<results>'), b = system.indexOf('</results>', a);
  assert.ok(a >= 0 && b > a, system.slice(0, 300));
  const [httpResult, exec, endpoint] = JSON.parse(system.slice(a + 9, b));
  assert.deepEqual(httpResult, { status: 200, body: { echo: { q: 'from the workflow' } } });
  assert.deepEqual(exec, { sum: 42 });
  assert.deepEqual(endpoint, { doubled: 42 });
  assert.ok(seen.some((s) => s.path === '/api'));
});
