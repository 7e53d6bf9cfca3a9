// The HTTP task integrations inside state machines run with `flowgate run`:
// http:invoke (headers, query, JSON and form bodies, connections, status
// errors, the address policy) and lambda:invoke / function ARNs backed by an
// HTTP endpoint or a local executable (results, function errors, timeouts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './lib.mjs';

let server, base, dir, config, strictConfig;
const seen = [];

function handler(req, res) {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    const url = new URL(req.url, 'http://x');
    seen.push({ method: req.method, path: url.pathname, search: url.search, headers: req.headers, body });
    if (url.pathname === '/token') { // an OAuth client-credentials token endpoint
      const ok = req.headers.authorization === `Basic ${Buffer.from('client-1:s3cret').toString('base64')}`
        && body.includes('grant_type=client_credentials') && body.includes('scope=items%3Aread');
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      return res.end(ok ? '{"access_token":"tok-123","token_type":"Bearer","expires_in":3600}' : '{"error":"invalid_client"}');
    }
    if (url.pathname === '/secure') {
      const ok = req.headers.authorization === 'Bearer tok-123';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ ok }));
    }
    if (url.pathname === '/fail') {
      res.writeHead(500, { 'content-type': 'application/json' });
      return res.end('{"message":"broken"}');
    }
    if (url.pathname === '/fn') { // a function behind an HTTP endpoint
      const p = JSON.parse(body || 'null');
      if (p && p.fail) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
        return res.end('{"errorType":"ValidationError","errorMessage":"bad input"}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ doubled: (p.n || 0) * 2 }));
    }
    res.writeHead(201, { 'content-type': 'application/json', 'x-test': 'yes' });
    res.end(JSON.stringify({ ok: true, method: req.method }));
  });
}

function script(name, text) {
  const file = join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, 0o755);
  return file;
}

before(async () => {
  server = http.createServer(handler);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
  dir = mkdtempSync(join(tmpdir(), 'flowgate-tasks-'));
  const node = process.execPath;
  const echo = script('echo.mjs', `#!${node}
let s = ''; process.stdin.on('data', (d) => { s += d; });
process.stdin.on('end', () => { const p = JSON.parse(s); process.stdout.write(JSON.stringify({ echoed: p, sum: (p.a || 0) + (p.b || 0) })); });\n`);
  const fail = script('fail.mjs', `#!${node}
process.stdin.resume(); process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify({ errorType: 'CustomError', errorMessage: 'it broke' })); process.exit(2); });\n`);
  const crash = script('crash.sh', '#!/bin/sh\necho "something went wrong" >&2\nexit 7\n');
  const slow = script('slow.sh', '#!/bin/sh\nsleep 30\n');
  const tokenfn = script('token.sh', `#!/bin/sh\ncat > ${join(dir, 'token.json')}\necho '{"ignored":true}'\n`);
  const envfn = script('env.sh', '#!/bin/sh\ncat >/dev/null\nprintf \'{"who":"%s","secret":"%s","path":%s}\' "$WHO" "$SECRET_TOKEN" "${PATH:+true}"\n');
  const yaml = (loopback) => `fetch:
  allow_loopback: ${loopback}
connections:
  - name: test-api
    authorization_type: api_key
    api_key_name: x-api-key
    api_key_value: secret-key
    headers: { x-from-connection: conn }
  - name: oauth-api
    authorization_type: oauth_client_credentials
    oauth_endpoint: ${base}/token
    client_id: client-1
    client_secret: s3cret
    oauth_scope: items:read
  - name: oauth-bad
    authorization_type: oauth_client_credentials
    oauth_endpoint: ${base}/token
    client_id: client-1
    client_secret: wrong
functions:
  - name: echo
    command: [${echo}]
  - name: fail
    command: [${fail}]
  - name: crash
    command: [${crash}]
  - name: slow
    command: [${slow}]
    timeout_ms: 300
  - name: doubler
    url: ${base}/fn
  - name: token
    command: [${tokenfn}]
  - name: env
    command: [${envfn}]
    env: { WHO: tester }
`;
  config = join(dir, 'flowgate.yaml');
  writeFileSync(config, yaml(true));
  strictConfig = join(dir, 'strict.yaml');
  writeFileSync(strictConfig, yaml(false));
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(machine, input = {}, cfg = config, env = process.env) {
  const file = join(dir, `m-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(machine));
  return new Promise((resolve) => {
    execFile(BIN, ['run', file, '--input', JSON.stringify(input), '--config', cfg], { timeout: 60000, env },
      (err, stdout, stderr) => {
        const code = err ? err.code : 0;
        const m = stderr.match(/error: (.*)\ncause: (.*)/);
        resolve({ code, stdout, stderr, output: code === 0 ? JSON.parse(stdout) : null,
          error: m && m[1], cause: m && m[2] });
      });
  });
}

const task = (Resource, Parameters, extra = {}) => ({
  StartAt: 'T', States: { T: { Type: 'Task', Resource, ...(Parameters ? { Parameters } : {}), End: true, ...extra } },
});

test('http:invoke sends method, headers, query, JSON body and connection credentials', async () => {
  seen.length = 0;
  const r = await run(task('arn:aws:states:::http:invoke', {
    ApiEndpoint: `${base}/items`, Method: 'POST',
    Headers: { 'x-custom': 'v1' }, QueryParameters: { q: 'a b', list: ['x', 'y'] },
    'RequestBody.$': '$.body',
    Authentication: { ConnectionArn: 'arn:aws:events:us-east-1:123456789012:connection/test-api/0a1b' },
  }), { body: { name: 'widget' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.output.StatusCode, 201);
  assert.equal(r.output.StatusText, 'Created');
  assert.deepEqual(r.output.ResponseBody, { ok: true, method: 'POST' });
  assert.deepEqual(r.output.Headers['x-test'], ['yes']);
  const req = seen[0];
  assert.equal(req.method, 'POST');
  assert.equal(req.search, '?q=a%20b&list%5B0%5D=x&list%5B1%5D=y');
  assert.equal(req.headers['x-custom'], 'v1');
  assert.equal(req.headers['x-api-key'], 'secret-key');
  assert.equal(req.headers['x-from-connection'], 'conn');
  assert.equal(req.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(req.body), { name: 'widget' });
});

test('http:invoke URL-encodes a body on request', async () => {
  seen.length = 0;
  const r = await run(task('arn:aws:states:::http:invoke', {
    ApiEndpoint: `${base}/form`, Method: 'PUT', RequestBody: { a: 1, tags: ['p', 'q'] },
    Transform: { RequestBodyEncoding: 'URL_ENCODED', RequestEncodingOptions: { ArrayFormat: 'REPEAT' } },
  }));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(seen[0].method, 'PUT');
  assert.equal(seen[0].headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(seen[0].body, 'a=1&tags=p&tags=q');
});

test('http:invoke fails on a non-2xx status with AWS error names, catchable', async () => {
  const r = await run(task('arn:aws:states:::http:invoke', { ApiEndpoint: `${base}/fail`, Method: 'GET' }));
  assert.equal(r.code, 1);
  assert.equal(r.error, 'States.Http.StatusCode.500');
  assert.equal(JSON.parse(r.cause).ResponseBody.message, 'broken');
  const caught = await run({
    StartAt: 'T', States: {
      T: { Type: 'Task', Resource: 'arn:aws:states:::http:invoke', Parameters: { ApiEndpoint: `${base}/fail`, Method: 'GET' },
        Catch: [{ ErrorEquals: ['States.Http.StatusCode.500'], Next: 'Handled' }], End: true },
      Handled: { Type: 'Pass', Result: 'handled', End: true },
    },
  });
  assert.equal(caught.output, 'handled');
});

test('http:invoke refuses loopback addresses unless the configuration allows them', async () => {
  seen.length = 0;
  const r = await run(task('arn:aws:states:::http:invoke', { ApiEndpoint: `${base}/items`, Method: 'GET' }), {}, strictConfig);
  assert.equal(r.error, 'States.Http.Socket');
  assert.match(r.cause, /loopback/);
  assert.equal(seen.length, 0);
  const meta = await run(task('arn:aws:states:::http:invoke', { ApiEndpoint: 'http://169.254.169.254/latest/meta-data/', Method: 'GET' }), {}, config);
  assert.equal(meta.error, 'States.Http.Socket');
  assert.match(meta.cause, /link-local/);
});

test('http:invoke rejects bad parameters', async () => {
  const r = await run(task('arn:aws:states:::http:invoke', { ApiEndpoint: 'file:///etc/passwd', Method: 'GET' }));
  assert.equal(r.error, 'States.Runtime');
  assert.match(r.cause, /ApiEndpoint/);
  const h = await run(task('arn:aws:states:::http:invoke', { ApiEndpoint: `${base}/x`, Method: 'GET', Headers: { Host: 'evil' } }));
  assert.match(h.cause, /Host may not be set/);
});

test('lambda:invoke runs an executable function and wraps its result', async () => {
  const r = await run(task('arn:aws:states:::lambda:invoke', { FunctionName: 'echo', 'Payload.$': '$' }), { a: 2, b: 3 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.output.StatusCode, 200);
  assert.equal(r.output.ExecutedVersion, '$LATEST');
  assert.deepEqual(r.output.Payload, { echoed: { a: 2, b: 3 }, sum: 5 });
});

test('a function ARN passes the input and returns the result itself', async () => {
  const r = await run(task('arn:aws:lambda:us-east-1:123456789012:function:echo', null, { ResultPath: '$.r' }), { a: 1, b: 1 });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.output, { a: 1, b: 1, r: { echoed: { a: 1, b: 1 }, sum: 2 } });
});

test('lambda:invoke calls a function behind an HTTP endpoint', async () => {
  const r = await run(task('arn:aws:states:::lambda:invoke', { FunctionName: 'arn:aws:lambda:us-east-1:1:function:doubler:prod', Payload: { n: 21 } }));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.output.Payload, { doubled: 42 });
  const f = await run(task('arn:aws:states:::lambda:invoke', { FunctionName: 'doubler', Payload: { fail: true } }));
  assert.equal(f.error, 'ValidationError');
});

test('function errors, crashes, timeouts and unknown functions fail as Lambda reports them', async () => {
  const fail = await run(task('arn:aws:states:::lambda:invoke', { FunctionName: 'fail' }));
  assert.equal(fail.error, 'CustomError');
  assert.equal(JSON.parse(fail.cause).errorMessage, 'it broke');
  const crash = await run(task('arn:aws:states:::lambda:invoke', { FunctionName: 'crash' }));
  assert.equal(crash.error, 'Runtime.ExitError');
  assert.match(crash.cause, /exit status 7: something went wrong/);
  const t0 = Date.now();
  const slow = await run(task('arn:aws:states:::lambda:invoke', { FunctionName: 'slow' }));
  assert.equal(slow.error, 'Sandbox.Timedout');
  assert.ok(Date.now() - t0 < 10000, 'the slow function was killed');
  const none = await run(task('arn:aws:states:::lambda:invoke', { FunctionName: 'nope' }));
  assert.equal(none.error, 'Lambda.ResourceNotFoundException');
  const retried = await run({
    StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'fail' },
      Retry: [{ ErrorEquals: ['CustomError'], MaxAttempts: 1, IntervalSeconds: 1 }],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'C' }], End: true },
    C: { Type: 'Pass', Result: 'caught', End: true } },
  });
  assert.equal(retried.output, 'caught');
});

test('an executable gets its configured environment, not the secrets of flowgate', async () => {
  const r = await run(task('arn:aws:lambda:us-east-1:1:function:env', null), {}, config,
    { ...process.env, SECRET_TOKEN: 'do-not-leak' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.output, { who: 'tester', secret: '', path: true });
});

test('lambda:invoke.waitForTaskToken hands the token over and waits for it', async () => {
  const r = await run(task('arn:aws:states:::lambda:invoke.waitForTaskToken',
    { FunctionName: 'token', Payload: { 'token.$': '$$.Task.Token' } }, { TimeoutSeconds: 1 }));
  assert.equal(r.error, 'States.Timeout', r.stderr);
  const sent = JSON.parse(readFileSync(join(dir, 'token.json'), 'utf8'));
  assert.ok(typeof sent.token === 'string' && sent.token.length > 10);
});

test('http:invoke gets and caches an OAuth client-credentials token for a connection', async () => {
  seen.length = 0;
  const call = (next) => ({ Type: 'Task', Resource: 'arn:aws:states:::http:invoke',
    Parameters: { ApiEndpoint: `${base}/secure`, Method: 'GET', Authentication: { ConnectionArn: 'oauth-api' } },
    ResultSelector: { 'ok.$': '$.ResponseBody.ok' }, ...(next ? { ResultPath: '$.first', Next: next } : { End: true }) });
  const r = await run({ StartAt: 'One', States: { One: call('Two'), Two: call() } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.output, { ok: true });
  assert.equal(seen.filter((s) => s.path === '/token').length, 1, 'one token for both requests');
  assert.equal(seen.filter((s) => s.path === '/secure').length, 2);
  const bad = await run(task('arn:aws:states:::http:invoke', { ApiEndpoint: `${base}/secure`, Method: 'GET',
    Authentication: { ConnectionArn: 'arn:aws:events:us-east-1:1:connection/oauth-bad/x' } }));
  assert.equal(bad.error, 'States.Http.Socket');
  assert.match(bad.cause, /token endpoint answered HTTP 401/);
});
