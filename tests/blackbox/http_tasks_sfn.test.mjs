// The HTTP task integrations through the Step Functions API, driven by the
// official @aws-sdk/client-sfn client: http:invoke and a function in an
// EXPRESS synchronous execution, and a STANDARD execution whose stop kills the
// function's process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as S from '@aws-sdk/client-sfn';
import { startServer, sleep } from './lib.mjs';

let site, siteUrl, dir, server, sfn;
const ROLE = 'arn:aws:iam::123456789012:role/test';

before(async () => {
  site = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, method: req.method }));
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  siteUrl = `http://127.0.0.1:${site.address().port}`;
  dir = mkdtempSync(join(tmpdir(), 'flowgate-sfn-tasks-'));
  const add = join(dir, 'add.sh');
  writeFileSync(add, '#!/bin/sh\nread -r p\nprintf \'{"in":%s}\' "$p"\n');
  chmodSync(add, 0o755);
  const slow = join(dir, 'slow.sh');
  writeFileSync(slow, `#!/bin/sh\necho $$ > ${join(dir, 'slow.pid')}\nexec sleep 120\n`);
  chmodSync(slow, 0o755);
  server = await startServer(`
fetch:
  allow_loopback: true
functions:
  - name: add
    command: [${add}]
  - name: slow
    command: [${slow}]
    timeout_ms: 600000
`);
  sfn = new S.SFNClient({ endpoint: server.url, region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, disableHostPrefix: true });
});

after(async () => {
  sfn?.destroy();
  if (server) assert.equal(await server.stop(), 0);
  site.close();
  rmSync(dir, { recursive: true, force: true });
});

const send = (Cmd, input) => sfn.send(new Cmd(input));

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

test('http:invoke and a function in a synchronous EXPRESS execution', async () => {
  const { stateMachineArn } = await send(S.CreateStateMachineCommand, {
    name: 'http-tasks', type: 'EXPRESS', roleArn: ROLE,
    definition: JSON.stringify({ StartAt: 'Get', States: {
      Get: { Type: 'Task', Resource: 'arn:aws:states:::http:invoke',
        Parameters: { 'ApiEndpoint.$': '$.url', Method: 'DELETE' },
        ResultSelector: { 'body.$': '$.ResponseBody', 'status.$': '$.StatusCode' }, Next: 'Fn' },
      Fn: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:add', End: true } } }),
  });
  const r = await send(S.StartSyncExecutionCommand, { stateMachineArn, input: JSON.stringify({ url: `${siteUrl}/things/1` }) });
  assert.equal(r.status, 'SUCCEEDED', r.cause);
  assert.deepEqual(JSON.parse(r.output), { in: { body: { path: '/things/1', method: 'DELETE' }, status: 200 } });
});

test('stopping a STANDARD execution kills its function', async () => {
  const { stateMachineArn } = await send(S.CreateStateMachineCommand, {
    name: 'slow-fn', roleArn: ROLE,
    definition: JSON.stringify({ StartAt: 'Slow', States: { Slow: { Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'slow' }, End: true } } }),
  });
  const { executionArn } = await send(S.StartExecutionCommand, { stateMachineArn, input: '{}' });
  const pidFile = join(dir, 'slow.pid');
  for (let i = 0; i < 200 && !existsSync(pidFile); i++) await sleep(50);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(alive(pid));
  await send(S.StopExecutionCommand, { executionArn, error: 'Stopped', cause: 'by the test' });
  const d = await send(S.DescribeExecutionCommand, { executionArn });
  assert.equal(d.status, 'ABORTED');
  for (let i = 0; i < 200 && alive(pid); i++) await sleep(50);
  assert.ok(!alive(pid), 'the function process was killed');
});
