// Knowledge bases through the real server: the HTTP API (bases, uploads,
// ingestion jobs from files and URLs of a local site, bad input), search, and
// the official Bedrock Agent Runtime SDK (Retrieve, RetrieveAndGenerate)
// pointed at flowgate unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  BedrockAgentRuntimeClient, RetrieveCommand, RetrieveAndGenerateCommand,
} from '@aws-sdk/client-bedrock-agent-runtime';
import * as S from '@aws-sdk/client-sfn';
import { startServer, sleep } from './lib.mjs';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const CONFIG = `
log:
  level: info
  access: false
server:
  max_body_bytes: 16777216
fetch:
  allow_loopback: true
knowledge:
  max_document_bytes: 2000000
providers:
  - name: inproc
    type: mock
models:
  - name: "${MODEL}"
    deployments: [{ provider: inproc }]
  - name: hash-embed
    deployments: [{ provider: inproc }]
`;

let server, site, siteUrl, client;

const PAGES = {
  '/guide.html': ['text/html', `<!doctype html><html lang="en"><head><title>Rocket guide</title></head><body>
    <nav>Home | About</nav><article><h1>Rocket guide</h1>
    <p>Liquid hydrogen rockets need cryogenic tanks insulated with foam, and the turbopumps spin at
    tens of thousands of revolutions per minute to feed the combustion chamber.</p>
    <h2>Landing</h2><p>Boosters land on drone ships using grid fins and a final landing burn.</p>
    </article><footer>copyright</footer></body></html>`],
  '/notes.md': ['text/markdown', '# Notes\n\nThe observatory opens at dusk on clear nights.\n'],
  '/old': null, // redirect
  '/missing': undefined,
  '/big.txt': ['text/plain', 'x '.repeat(1_500_000)],
  '/site/index.html': ['text/html', `<html><head><title>Lab</title></head><body><article><h1>Lab</h1>
    <p>The lab studies tidal pools and the creatures that live in them, from anemones to crabs.</p>
    <a href="/site/crabs.html">Crabs</a> <a href="/site/gone.html">Gone</a></article></body></html>`],
  '/site/crabs.html': ['text/html', `<html><head><title>Crabs</title></head><body><article><h1>Crabs</h1>
    <p>Hermit crabs borrow empty snail shells and move to a larger one as they grow.</p></article></body></html>`],
};

function startSite() {
  return new Promise((resolve) => {
    const srv = http.createServer((req, res) => {
      if (req.url === '/old') { res.writeHead(301, { location: '/guide.html' }); return res.end(); }
      if (req.url.startsWith('/loop')) { res.writeHead(302, { location: `/loop${req.url.length}` }); return res.end(); }
      const p = PAGES[req.url];
      if (!p) { res.writeHead(404); return res.end('no'); }
      res.writeHead(200, { 'content-type': p[0], etag: '"v1"' });
      res.end(p[1]);
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

async function api(method, path, body, headers = {}) {
  const r = await fetch(server.url + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : (typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body)),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, json: text ? JSON.parse(text) : null };
}

async function waitJob(kb, job) {
  for (let i = 0; i < 200; i++) {
    const r = await api('GET', `/knowledgebases/${kb}/ingestionjobs/${job}`);
    assert.equal(r.status, 200);
    if (r.json.status === 'complete' || r.json.status === 'failed') return r.json;
    await sleep(50);
  }
  throw new Error('the ingestion job did not finish');
}

let kbId;

before(async () => {
  site = await startSite();
  siteUrl = `http://127.0.0.1:${site.address().port}`;
  server = await startServer(CONFIG);
  client = new BedrockAgentRuntimeClient({
    endpoint: server.url, region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
  const r = await api('POST', '/knowledgebases', { name: 'space', description: 'space facts' });
  assert.equal(r.status, 201);
  kbId = r.json.knowledgeBaseId;
});

after(async () => {
  await server?.stop();
  site?.close();
});

test('bases: create, conflict, validation, get, list', async () => {
  assert.equal((await api('POST', '/knowledgebases', { name: 'space' })).status, 409);
  assert.equal((await api('POST', '/knowledgebases', { name: '' })).status, 400);
  assert.equal((await api('POST', '/knowledgebases', 'not json')).status, 400);
  assert.equal((await api('POST', '/knowledgebases', { name: 'x', chunking: { maxTokens: 2 } })).status, 400);
  const g = await api('GET', `/knowledgebases/${kbId}`);
  assert.equal(g.status, 200);
  assert.equal(g.json.name, 'space');
  assert.equal(g.json.description, 'space facts');
  const byName = await api('GET', '/knowledgebases/space');
  assert.equal(byName.json.knowledgeBaseId, kbId);
  const l = await api('GET', '/knowledgebases');
  assert.ok(l.json.knowledgeBases.some((b) => b.knowledgeBaseId === kbId));
  assert.equal((await api('GET', '/knowledgebases/NOSUCHBASE')).status, 404);
});

test('uploads and URLs are ingested; bad documents each get an error and nothing else is lost', async () => {
  const deep = '<div>'.repeat(200000) + 'deep' + '</div>'.repeat(10);
  const docs = [
    { name: 'mars.md', content: '# Mars\n\n## Moons\n\nPhobos and Deimos are the two small moons of Mars.\n',
      metadata: { planet: 'mars', year: 2020 } },
    { name: 'venus.txt', content: 'Venus has a thick carbon dioxide atmosphere and sulfuric acid clouds.',
      metadata: { planet: 'venus', year: 2024 } },
    { name: 'blob.bin', contentBase64: Buffer.from([0, 1, 2, 3, 255]).toString('base64') },
    { name: 'latin1.txt', contentBase64: Buffer.from([0x63, 0x61, 0x66, 0xe9]).toString('base64') },
    { name: 'bomb.html', content: `<html><body>${deep}</body></html>` },
    { name: 'fake.pdf', contentBase64: Buffer.from('%PDF-1.7 not really').toString('base64') },
    { name: 'huge.txt', content: 'y '.repeat(1_100_000) },
  ];
  const up = await api('POST', `/knowledgebases/${kbId}/documents`, { documents: docs });
  assert.equal(up.status, 202);
  assert.equal(up.json.total, docs.length);
  const job = await waitJob(kbId, up.json.jobId);
  assert.equal(job.status, 'complete');
  assert.equal(job.done, docs.length);
  assert.equal(job.failed, 5, JSON.stringify(job.errors));
  const bySource = Object.fromEntries(job.errors.map((e) => [e.source, e.message]));
  assert.match(bySource['blob.bin'], /binary/);
  assert.match(bySource['latin1.txt'], /UTF-8/);
  assert.ok(bySource['bomb.html'], 'the HTML bomb is refused');
  assert.match(bySource['fake.pdf'], /PDF/);
  assert.match(bySource['huge.txt'], /limit/);

  // a raw upload with ?name=
  const raw = await fetch(`${server.url}/knowledgebases/${kbId}/documents?name=jupiter.md`, {
    method: 'POST', headers: { 'content-type': 'text/markdown' },
    body: '# Jupiter\n\nJupiter has a great red spot, a storm larger than Earth.\n',
  });
  assert.equal(raw.status, 202);
  assert.equal((await waitJob(kbId, (await raw.json()).jobId)).failed, 0);

  const urls = [`${siteUrl}/guide.html`, `${siteUrl}/notes.md`, `${siteUrl}/old`, `${siteUrl}/missing`,
    `${siteUrl}/big.txt`, 'ftp://example.com/x'];
  const bad = await api('POST', `/knowledgebases/${kbId}/ingestionjobs`, { urls });
  assert.equal(bad.status, 400, 'an ftp URL is refused up front');
  const ok = await api('POST', `/knowledgebases/${kbId}/ingestionjobs`, { urls: [...urls.slice(0, 5), `${siteUrl}/loop`] });
  assert.equal(ok.status, 202);
  const j2 = await waitJob(kbId, ok.json.jobId);
  assert.equal(j2.done, 6);
  assert.equal(j2.failed, 3, JSON.stringify(j2.errors));
  const e2 = Object.fromEntries(j2.errors.map((e) => [e.source, e.message]));
  assert.match(e2[`${siteUrl}/missing`], /404/);
  assert.match(e2[`${siteUrl}/big.txt`], /larger than/);
  assert.match(e2[`${siteUrl}/loop`], /more than 5 redirects/);

  const d = await api('GET', `/knowledgebases/${kbId}/documents`);
  const ready = d.json.documents.filter((x) => x.status === 'ready').map((x) => x.source).sort();
  assert.deepEqual(ready, ['jupiter.md', 'mars.md', `${siteUrl}/guide.html`, `${siteUrl}/notes.md`,
    `${siteUrl}/old`, 'venus.txt'].sort());
  const failed = d.json.documents.filter((x) => x.status === 'failed');
  assert.ok(failed.every((x) => x.error));

  const jobs = await api('GET', `/knowledgebases/${kbId}/ingestionjobs`);
  assert.ok(jobs.json.ingestionJobs.length >= 3);
});

test('loopback and private addresses are refused unless the fetch policy allows them', async () => {
  const strict = await startServer('log:\n  level: info\n  access: false\n');
  try {
    const c = await (await fetch(`${strict.url}/knowledgebases`, { method: 'POST',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'k' }) })).json();
    const r = await fetch(`${strict.url}/knowledgebases/${c.knowledgeBaseId}/ingestionjobs`, { method: 'POST',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ urls: [`${siteUrl}/guide.html`] }) });
    const job = (await r.json()).jobId;
    let j;
    for (let i = 0; i < 100; i++) {
      j = await (await fetch(`${strict.url}/knowledgebases/${c.knowledgeBaseId}/ingestionjobs/${job}`)).json();
      if (j.status !== 'queued' && j.status !== 'running') break;
      await sleep(50);
    }
    assert.equal(j.failed, 1);
    assert.match(j.errors[0].message, /refused by the fetch policy/);
  } finally {
    await strict.stop();
  }
});

test('search finds chunks with their heading path and metadata', async () => {
  const r = await api('POST', `/knowledgebases/${kbId}/search`, { query: 'moons of mars', numberOfResults: 3 });
  assert.equal(r.status, 200);
  const top = r.json.results[0];
  assert.equal(top.source, 'mars.md');
  assert.equal(top.headingPath, 'Mars > Moons');
  assert.equal(top.metadata.planet, 'mars');
  assert.equal((await api('POST', `/knowledgebases/${kbId}/search`, {})).status, 400);
});

test('Retrieve through the Bedrock Agent Runtime SDK', async () => {
  const out = await client.send(new RetrieveCommand({
    knowledgeBaseId: kbId,
    retrievalQuery: { text: 'turbopumps cryogenic rockets' },
    retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 2 } },
  }));
  assert.ok(out.retrievalResults.length >= 1 && out.retrievalResults.length <= 2);
  const r0 = out.retrievalResults[0];
  assert.equal(r0.content.type, 'TEXT');
  assert.match(r0.content.text, /turbopumps/);
  assert.equal(r0.location.type, 'WEB');
  assert.match(r0.location.webLocation.url, /\/guide\.html$/);
  assert.equal(typeof r0.score, 'number');
  assert.match(r0.metadata['x-amz-bedrock-kb-source-uri'], /guide\.html/);

  const uploaded = await client.send(new RetrieveCommand({
    knowledgeBaseId: kbId, retrievalQuery: { text: 'thick atmosphere clouds' },
  }));
  assert.equal(uploaded.retrievalResults[0].location.type, 'CUSTOM');
  assert.equal(uploaded.retrievalResults[0].location.customDocumentLocation.id, 'venus.txt');

  const filtered = await client.send(new RetrieveCommand({
    knowledgeBaseId: kbId,
    retrievalQuery: { text: 'moons atmosphere clouds mars venus' },
    retrievalConfiguration: { vectorSearchConfiguration: {
      numberOfResults: 10, overrideSearchType: 'HYBRID',
      filter: { andAll: [{ greaterThan: { key: 'year', value: 2021 } }, { in: { key: 'planet', value: ['venus', 'mars'] } }] },
    } },
  }));
  assert.equal(filtered.retrievalResults.length, 1);
  assert.equal(filtered.retrievalResults[0].metadata.planet, 'venus');

  await assert.rejects(client.send(new RetrieveCommand({ knowledgeBaseId: 'NOSUCHBASE', retrievalQuery: { text: 'x' } })),
    (e) => e.name === 'ResourceNotFoundException');
  await assert.rejects(client.send(new RetrieveCommand({
    knowledgeBaseId: kbId, retrievalQuery: { text: 'x' },
    retrievalConfiguration: { vectorSearchConfiguration: { filter: { in: { key: 'planet', value: 'not-a-list' } } } },
  })), (e) => e.name === 'ValidationException');
});

test('RetrieveAndGenerate through the SDK, with citations and a session', async () => {
  const cfg = {
    type: 'KNOWLEDGE_BASE',
    knowledgeBaseConfiguration: {
      knowledgeBaseId: kbId,
      modelArn: `arn:aws:bedrock:us-east-1::foundation-model/${MODEL}`,
    },
  };
  const first = await client.send(new RetrieveAndGenerateCommand({
    input: { text: 'How do boosters land? [mock-reply]They land on drone ships.[/mock-reply]' },
    retrieveAndGenerateConfiguration: cfg,
  }));
  assert.equal(first.output.text, 'They land on drone ships.');
  assert.ok(first.sessionId);
  assert.equal(first.citations.length, 1);
  const refs = first.citations[0].retrievedReferences;
  assert.ok(refs.length >= 1);
  assert.ok(refs.some((r) => /drone ships/.test(r.content.text)));
  assert.equal(first.citations[0].generatedResponsePart.textResponsePart.text, 'They land on drone ships.');

  const second = await client.send(new RetrieveAndGenerateCommand({
    sessionId: first.sessionId,
    input: { text: 'And the moons of Mars? [mock-reply]Phobos and Deimos.[/mock-reply]' },
    retrieveAndGenerateConfiguration: cfg,
  }));
  assert.equal(second.sessionId, first.sessionId);
  assert.equal(second.output.text, 'Phobos and Deimos.');

  await assert.rejects(client.send(new RetrieveAndGenerateCommand({
    sessionId: 'no-such-session', input: { text: 'x' }, retrieveAndGenerateConfiguration: cfg,
  })), (e) => e.name === 'ResourceNotFoundException');
  await assert.rejects(client.send(new RetrieveAndGenerateCommand({
    input: { text: 'x' }, retrieveAndGenerateConfiguration: { type: 'EXTERNAL_SOURCES' },
  })), (e) => e.name === 'ValidationException');
});

test('deleting a document and a base', async () => {
  const before = await api('POST', `/knowledgebases/${kbId}/search`, { query: 'great red spot' });
  assert.equal(before.json.results[0].source, 'jupiter.md');
  const del = await api('DELETE', `/knowledgebases/${kbId}/documents/${before.json.results[0].documentId}`);
  assert.equal(del.status, 204);
  const afterDel = await api('POST', `/knowledgebases/${kbId}/search`, { query: 'great red spot' });
  assert.ok(afterDel.json.results.every((r) => r.source !== 'jupiter.md'));
  const tmp = await api('POST', '/knowledgebases', { name: 'scratch' });
  assert.equal((await api('DELETE', `/knowledgebases/${tmp.json.knowledgeBaseId}`)).status, 204);
  assert.equal((await api('GET', `/knowledgebases/${tmp.json.knowledgeBaseId}`)).status, 404);
});

test('a base with an embedding model: chunks embedded through the gateway, semantic and hybrid search', async () => {
  assert.equal((await api('POST', '/knowledgebases', { name: 'p', embeddingModel: 'hash-embed',
    embeddingPrefixes: { query: 7 } })).status, 400);
  const c = await api('POST', '/knowledgebases', { name: 'semantic', embeddingModel: 'hash-embed',
    embeddingPrefixes: { query: 'query: ', document: 'passage: ' } });
  assert.equal(c.status, 201);
  const id = c.json.knowledgeBaseId;
  assert.equal(c.json.embeddingModel, 'hash-embed');
  assert.deepEqual(c.json.embeddingPrefixes, { query: 'query: ', document: 'passage: ' });
  const up = await api('POST', `/knowledgebases/${id}/documents`, { documents: [
    { name: 'cats.md', content: '# Cats\n\nFelines purr and nap in sunny spots.\n' },
    { name: 'dogs.md', content: '# Dogs\n\nCanines bark and fetch balls in the park.\n' },
  ] });
  const job = await waitJob(id, up.json.jobId);
  assert.equal(job.failed, 0, JSON.stringify(job.errors));
  for (const overrideSearchType of ['SEMANTIC', 'HYBRID']) {
    const out = await client.send(new RetrieveCommand({
      knowledgeBaseId: id, retrievalQuery: { text: 'felines nap' },
      retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 2, overrideSearchType } },
    }));
    assert.equal(out.retrievalResults[0].location.customDocumentLocation.id, 'cats.md', overrideSearchType);
  }
  const vec = await api('POST', `/knowledgebases/${id}/search`, { query: 'canines park', mode: 'vector' });
  assert.equal(vec.json.results[0].source, 'dogs.md');
  assert.equal((await api('POST', `/knowledgebases/${id}/search`, { query: 'x', mode: 'fuzzy' })).status, 400);

  // a model the gateway does not have: each document fails with the reason
  const bad = await api('POST', '/knowledgebases', { name: 'badmodel', embeddingModel: 'no-such-model' });
  const up2 = await api('POST', `/knowledgebases/${bad.json.knowledgeBaseId}/documents`,
    { documents: [{ name: 'a.txt', content: 'some text here' }] });
  const j2 = await waitJob(bad.json.knowledgeBaseId, up2.json.jobId);
  assert.equal(j2.status, 'failed');
  assert.match(j2.errors[0].message, /no-such-model/);
});

test('a crawl source: pages become documents, a re-crawl skips unchanged pages', async () => {
  const c = await api('POST', '/knowledgebases', { name: 'crawled' });
  const id = c.json.knowledgeBaseId;
  const crawl = { start_urls: [`${siteUrl}/site/index.html`], CRAWLER_DEPTH: 2, ROBOTSTXT_OBEY: false };
  const first = await api('POST', `/knowledgebases/${id}/ingestionjobs`, { crawl });
  assert.equal(first.status, 202);
  const j1 = await waitJob(id, first.json.jobId);
  assert.equal(j1.done, 3, JSON.stringify(j1));
  assert.equal(j1.failed, 1, JSON.stringify(j1.errors)); // gone.html is a 404
  const hit = await api('POST', `/knowledgebases/${id}/search`, { query: 'hermit crabs shells' });
  assert.equal(hit.json.results[0].source, `${siteUrl}/site/crabs.html`);
  assert.equal(hit.json.results[0].location.type, 'WEB');
  const docs1 = await api('GET', `/knowledgebases/${id}/documents`);
  const second = await api('POST', `/knowledgebases/${id}/ingestionjobs`, { crawl });
  const j2 = await waitJob(id, second.json.jobId);
  assert.equal(j2.done, 3);
  const docs2 = await api('GET', `/knowledgebases/${id}/documents`);
  const ready = (d) => d.json.documents.filter((x) => x.status === 'ready').map((x) => [x.source, x.updatedMs]).sort();
  assert.deepEqual(ready(docs2), ready(docs1), 'unchanged pages were not re-ingested');
});

test('the Retrieve task in a state machine run through the Step Functions API', async () => {
  const sfn = new S.SFNClient({
    endpoint: server.url, region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, disableHostPrefix: true,
  });
  try {
    const definition = {
      StartAt: 'Retrieve',
      States: {
        Retrieve: {
          Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:bedrockagentruntime:retrieve',
          Parameters: {
            'KnowledgeBaseId.$': '$.kb',
            RetrievalQuery: { 'Text.$': '$.question' },
            RetrievalConfiguration: { VectorSearchConfiguration: { NumberOfResults: 2 } },
          },
          ResultSelector: { 'RetrievalResults.$': '$.RetrievalResults' },
          ResultPath: '$.KnowledgeBaseData',
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
          Next: 'Found',
        },
        Found: { Type: 'Pass', Parameters: { 'context_data.$': '$.KnowledgeBaseData.RetrievalResults' }, End: true },
        Failed: { Type: 'Pass', Parameters: { 'error.$': '$.error.Error' }, End: true },
      },
    };
    const { stateMachineArn } = await sfn.send(new S.CreateStateMachineCommand({
      name: 'rag-retrieve', type: 'EXPRESS', roleArn: 'arn:aws:iam::123456789012:role/flowgate',
      definition: JSON.stringify(definition),
    }));
    const ok = await sfn.send(new S.StartSyncExecutionCommand({
      stateMachineArn, input: JSON.stringify({ kb: 'space', question: 'how do boosters land' }),
    }));
    assert.equal(ok.status, 'SUCCEEDED', ok.cause);
    const out = JSON.parse(ok.output);
    assert.ok(out.context_data.length >= 1 && out.context_data.length <= 2);
    assert.match(out.context_data[0].Content.Text, /drone ships/);
    assert.equal(out.context_data[0].Location.Type, 'WEB');
    const missing = await sfn.send(new S.StartSyncExecutionCommand({
      stateMachineArn, input: JSON.stringify({ kb: 'NOSUCHBASE', question: 'x' }),
    }));
    assert.equal(JSON.parse(missing.output).error, 'BedrockAgentRuntime.ResourceNotFoundException');
  } finally {
    sfn.destroy();
  }
});
