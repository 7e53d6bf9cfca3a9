// Durable STANDARD executions: start executions with Wait states and activity
// Tasks, SIGKILL the server while they wait, restart it on the same data
// folder, and check that every execution completes with no completed state run
// twice. The test is the activity worker, so it counts every Task invocation.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as S from '@aws-sdk/client-sfn';
import { BIN, stopChild, sleep } from './lib.mjs';

const dir = mkdtempSync(join(tmpdir(), 'flowgate-durable-'));
const cfg = join(dir, 'flowgate.yaml');
writeFileSync(cfg, 'sfn:\n  activity_poll_seconds: 1\nlog:\n  access: false\n');
let child;

function serve() {
  return new Promise((resolve, reject) => {
    const c = spawn(BIN, ['serve', '--config', cfg, '--port', '0', '--data', join(dir, 'data')],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`flowgate did not start: ${seen}`)), 15000);
    const on = (d) => {
      seen += d;
      const m = seen.match(/listening on (http:\/\/[0-9.:]+)\//);
      if (m) { clearTimeout(timer); resolve({ child: c, url: m[1], log: () => seen }); }
    };
    c.stdout.on('data', on);
    c.stderr.on('data', on);
    c.on('exit', (code) => { clearTimeout(timer); reject(new Error(`flowgate exited ${code}: ${seen}`)); });
  });
}
const client = (url) => new S.SFNClient({ endpoint: url, region: 'us-east-1', disableHostPrefix: true,
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });

after(async () => {
  if (child) await stopChild(child);
  rmSync(dir, { recursive: true, force: true });
});

// Takes activity tasks until `want` arrived or the deadline; answers each with
// its input plus the step name, and counts them per execution and step.
async function work(sfn, activityArn, counts, want, ms = 15000) {
  const end = Date.now() + ms;
  let got = 0;
  while (got < want && Date.now() < end) {
    const t = await sfn.send(new S.GetActivityTaskCommand({ activityArn }));
    if (!t.taskToken) continue;
    const input = JSON.parse(t.input);
    const key = `${input.run}/${input.step}`;
    counts.set(key, (counts.get(key) || 0) + 1);
    got++;
    await sfn.send(new S.SendTaskSuccessCommand({ taskToken: t.taskToken, output: JSON.stringify({ ...input, did: input.step }) }));
  }
  return got;
}

async function committedTypes(sfn, executionArn) {
  const h = await sfn.send(new S.GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return h.events.map((e) => e.type);
}

test('SIGKILL during Wait states: every execution resumes and no completed Task runs again', async () => {
  const N = 8;
  let srv = await serve();
  child = srv.child;
  let sfn = client(srv.url);
  const act = await sfn.send(new S.CreateActivityCommand({ name: 'steps' }));
  const step = (name, next) => ({ Type: 'Task', Resource: act.activityArn,
    Parameters: { 'run.$': '$$.Execution.Name', step: name }, ResultPath: `$.${name}`, ...next });
  const machine = (await sfn.send(new S.CreateStateMachineCommand({
    name: 'durable', roleArn: 'arn:aws:iam::123456789012:role/x', definition: JSON.stringify({
      StartAt: 'One',
      States: {
        One: step('one', { Next: 'Nap' }),
        Nap: { Type: 'Wait', Seconds: 2, Next: 'Two' },
        Two: step('two', { Next: 'Count' }),
        Count: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.k, 1)', 'one.$': '$.one.did', 'two.$': '$.two.did' }, End: true },
      },
    }),
  }))).stateMachineArn;
  const arns = [];
  for (let i = 0; i < N; i++)
    arns.push((await sfn.send(new S.StartExecutionCommand({ stateMachineArn: machine, name: `run-${i}`, input: JSON.stringify({ k: i }) }))).executionArn);
  const counts = new Map();
  assert.equal(await work(sfn, act.activityArn, counts, N), N);
  // Kill only once every execution's Wait is committed: from then on nothing
  // completed may run again.
  for (const arn of arns) {
    for (let i = 0; i < 1000 && !(await committedTypes(sfn, arn)).includes('WaitStateEntered'); i++) await sleep(20);
    assert.ok((await committedTypes(sfn, arn)).includes('WaitStateEntered'), `${arn} reached its Wait`);
  }
  sfn.destroy();
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  child = null;

  srv = await serve();
  child = srv.child;
  sfn = client(srv.url);
  assert.equal(await work(sfn, act.activityArn, counts, N), N);
  for (let i = 0; i < N; i++) {
    let d;
    for (let k = 0; k < 1200; k++) {
      d = await sfn.send(new S.DescribeExecutionCommand({ executionArn: arns[i] }));
      if (d.status !== 'RUNNING') break;
      await sleep(25);
    }
    assert.equal(d.status, 'SUCCEEDED', `${arns[i]}: ${d.error} ${d.cause}`);
    assert.deepEqual(JSON.parse(d.output), { n: i + 1, one: 'one', two: 'two' });
    assert.equal(counts.get(`run-${i}/one`), 1, `run-${i} step one ran once`);
    assert.equal(counts.get(`run-${i}/two`), 1, `run-${i} step two ran once`);
    const types = await committedTypes(sfn, arns[i]);
    assert.equal(types.filter((t) => t === 'WaitStateEntered').length, 1);
    assert.equal(types.at(-1), 'ExecutionSucceeded');
    const ids = (await sfn.send(new S.GetExecutionHistoryCommand({ executionArn: arns[i] }))).events.map((e) => e.id);
    assert.deepEqual(ids, ids.map((_, k) => k + 1), 'event ids continue after the restart');
  }
  sfn.destroy();
  assert.equal(await stopChild(child), 0);
  child = null;
});

test('a Task waiting for its token keeps the token across a restart', async () => {
  let srv = await serve();
  child = srv.child;
  let sfn = client(srv.url);
  const act = await sfn.send(new S.CreateActivityCommand({ name: 'slow' }));
  const m = (await sfn.send(new S.CreateStateMachineCommand({
    name: 'token-restart', roleArn: 'arn:aws:iam::123456789012:role/x', definition: JSON.stringify({
      StartAt: 'T', States: { T: { Type: 'Task', Resource: act.activityArn, End: true } } }),
  }))).stateMachineArn;
  const s = await sfn.send(new S.StartExecutionCommand({ stateMachineArn: m }));
  const t1 = await sfn.send(new S.GetActivityTaskCommand({ activityArn: act.activityArn }));
  assert.ok(t1.taskToken);
  sfn.destroy();
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  srv = await serve();
  child = srv.child;
  sfn = client(srv.url);
  // The pending Task ran again (it was running at the crash) with the same token.
  const t2 = await sfn.send(new S.GetActivityTaskCommand({ activityArn: act.activityArn }));
  assert.equal(t2.taskToken, t1.taskToken);
  await sfn.send(new S.SendTaskSuccessCommand({ taskToken: t1.taskToken, output: '{"after":"restart"}' }));
  let d;
  for (let k = 0; k < 1200; k++) {
    d = await sfn.send(new S.DescribeExecutionCommand({ executionArn: s.executionArn }));
    if (d.status !== 'RUNNING') break;
    await sleep(25);
  }
  assert.equal(d.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(d.output), { after: 'restart' });
  sfn.destroy();
  assert.equal(await stopChild(child), 0);
  child = null;
});

test('a retry interval survives a restart: the failed attempt is not repeated, the retry runs once', async () => {
  let srv = await serve();
  child = srv.child;
  let sfn = client(srv.url);
  const act = await sfn.send(new S.CreateActivityCommand({ name: 'flaky' }));
  const m = (await sfn.send(new S.CreateStateMachineCommand({
    name: 'retry-restart', roleArn: 'arn:aws:iam::123456789012:role/x', definition: JSON.stringify({
      StartAt: 'T', States: { T: { Type: 'Task', Resource: act.activityArn,
        Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 2, MaxAttempts: 2 }], End: true } } }),
  }))).stateMachineArn;
  const s = await sfn.send(new S.StartExecutionCommand({ stateMachineArn: m, input: '{"n":1}' }));
  const first = await sfn.send(new S.GetActivityTaskCommand({ activityArn: act.activityArn }));
  await sfn.send(new S.SendTaskFailureCommand({ taskToken: first.taskToken, error: 'Flaky', cause: 'try again' }));
  // Kill once the failure (and so the retry's wake time) is committed.
  for (let i = 0; i < 1000; i++) {
    if ((await committedTypes(sfn, s.executionArn)).includes('TaskFailed')) break;
    await sleep(10);
  }
  sfn.destroy();
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  srv = await serve();
  child = srv.child;
  sfn = client(srv.url);
  const t0 = Date.now();
  let second = {};
  while (!second.taskToken && Date.now() - t0 < 10000) // the retry is due 2 s after the failure
    second = await sfn.send(new S.GetActivityTaskCommand({ activityArn: act.activityArn }));
  assert.ok(second.taskToken, 'the retry ran after the restart');
  assert.notEqual(second.taskToken, first.taskToken);
  await sfn.send(new S.SendTaskSuccessCommand({ taskToken: second.taskToken, output: '{"ok":true}' }));
  let d;
  for (let k = 0; k < 1200; k++) {
    d = await sfn.send(new S.DescribeExecutionCommand({ executionArn: s.executionArn }));
    if (d.status !== 'RUNNING') break;
    await sleep(25);
  }
  assert.equal(d.status, 'SUCCEEDED');
  const types = await committedTypes(sfn, s.executionArn);
  assert.equal(types.filter((t) => t === 'TaskScheduled').length, 2, 'one failed attempt and one retry');
  assert.ok(Date.now() - t0 < 10000);
  // nothing else is queued for the activity
  const none = await sfn.send(new S.GetActivityTaskCommand({ activityArn: act.activityArn }));
  assert.equal(none.taskToken, undefined);
  sfn.destroy();
  assert.equal(await stopChild(child), 0);
  child = null;
});

// Each step of a Pass chain commits only what changed in the position (a
// delta over the snapshot written at the first step); a SIGKILL in the middle
// of the chains must resume every execution at its last committed state, with
// no state run twice and the history's ids unbroken.
test('SIGKILL in the middle of long Pass chains: every execution resumes where it stopped', async () => {
  const N = 30, CHAIN = 300;
  let srv = await serve();
  child = srv.child;
  let sfn = client(srv.url);
  const States = {};
  for (let i = 0; i < CHAIN; i++)
    States[`S${i}`] = { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)', 'tag.$': '$.tag' },
      ...(i + 1 < CHAIN ? { Next: `S${i + 1}` } : { End: true }) };
  const m = (await sfn.send(new S.CreateStateMachineCommand({
    name: 'chain-restart', roleArn: 'arn:aws:iam::123456789012:role/x',
    definition: JSON.stringify({ StartAt: 'S0', States }) }))).stateMachineArn;
  const arns = await Promise.all(Array.from({ length: N }, (_, i) =>
    sfn.send(new S.StartExecutionCommand({ stateMachineArn: m, name: `chain-${i}`, input: JSON.stringify({ n: 0, tag: `t${i}` }) }))
      .then((r) => r.executionArn)));
  // Kill once the first execution has committed some of its chain.
  for (let i = 0; i < 2000 && (await committedTypes(sfn, arns[0])).length < 60; i++) await sleep(2);
  sfn.destroy();
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  child = null;

  srv = await serve();
  child = srv.child;
  sfn = client(srv.url);
  for (let i = 0; i < 400 && !/resuming \d+ running executions/.test(srv.log()); i++) await sleep(25);
  const resumed = Number((srv.log().match(/resuming (\d+) running executions/) || [0, 0])[1]);
  assert.ok(resumed > 0, 'some executions were still running at the kill');
  for (let i = 0; i < N; i++) {
    let d;
    for (let k = 0; k < 2400; k++) {
      d = await sfn.send(new S.DescribeExecutionCommand({ executionArn: arns[i] }));
      if (d.status !== 'RUNNING') break;
      await sleep(25);
    }
    assert.equal(d.status, 'SUCCEEDED', `${arns[i]}: ${d.error} ${d.cause}`);
    assert.deepEqual(JSON.parse(d.output), { n: CHAIN, tag: `t${i}` });
    const events = [];
    let nextToken;
    do {
      const h = await sfn.send(new S.GetExecutionHistoryCommand({ executionArn: arns[i], maxResults: 1000, nextToken }));
      events.push(...h.events);
      nextToken = h.nextToken;
    } while (nextToken);
    const entered = events.filter((e) => e.type === 'PassStateEntered').map((e) => e.stateEnteredEventDetails.name);
    assert.equal(entered.length, CHAIN, `${arns[i]}: every state entered once`);
    assert.equal(new Set(entered).size, CHAIN, `${arns[i]}: no state ran twice`);
    assert.deepEqual(events.map((e) => e.id), events.map((_, k) => k + 1), 'event ids continue after the restart');
    assert.equal(events.at(-1).type, 'ExecutionSucceeded');
  }
  sfn.destroy();
  assert.equal(await stopChild(child), 0);
  child = null;
});

test('a step the store refuses is kept and tried again: the execution waits, then completes with its whole history', async () => {
  const srv = await serve();
  child = srv.child;
  const sfn = client(srv.url);
  const machine = (await sfn.send(new S.CreateStateMachineCommand({
    name: 'refused', roleArn: 'arn:aws:iam::123456789012:role/x', definition: JSON.stringify({
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Result: 1, ResultPath: '$.a', Next: 'Nap' },
        Nap: { Type: 'Wait', Seconds: 2, Next: 'B' },
        B: { Type: 'Pass', Result: 2, ResultPath: '$.b', End: true },
      },
    }),
  }))).stateMachineArn;
  const { executionArn } = await sfn.send(new S.StartExecutionCommand({ stateMachineArn: machine, input: '{}' }));
  for (let i = 0; i < 500 && !(await committedTypes(sfn, executionArn)).includes('WaitStateEntered'); i++) await sleep(10);
  // While it waits, the store starts refusing history events (as a full disk would).
  const db = join(dir, 'data', 'flowgate.db');
  const sql = (q) => execFileSync('sqlite3', ['-cmd', '.timeout 10000', db, q]);
  sql("CREATE TRIGGER refuse BEFORE INSERT ON sfn_events BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
  await sleep(3000); // the Wait ended; its next step is refused again and again
  const d = await sfn.send(new S.DescribeExecutionCommand({ executionArn }));
  assert.equal(d.status, 'RUNNING', JSON.stringify(d) + srv.log().slice(-2000));
  assert.match(srv.log(), /not saved yet/);
  sql('DROP TRIGGER refuse;');
  let status;
  for (let i = 0; i < 200 && (status = (await sfn.send(new S.DescribeExecutionCommand({ executionArn }))).status) === 'RUNNING'; i++) await sleep(50);
  assert.equal(status, 'SUCCEEDED');
  const h = await sfn.send(new S.GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  assert.deepEqual(h.events.map((e) => e.id), h.events.map((_, i) => i + 1), 'no event missing');
  const types = h.events.map((e) => e.type);
  for (const t of ['WaitStateExited', 'PassStateEntered', 'ExecutionSucceeded']) assert.ok(types.includes(t), t);
  assert.equal(types.filter((t) => t === 'WaitStateExited').length, 1);
  sfn.destroy();
  await stopChild(child);
  child = null;
});
