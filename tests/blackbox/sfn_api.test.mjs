// The Step Functions API with the official @aws-sdk/client-sfn client pointed at
// flowgate: every operation, AWS's error shapes, STANDARD and EXPRESS
// executions, history paging, task tokens, activities and nested executions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as S from '@aws-sdk/client-sfn';
import { startServer, sleep } from './lib.mjs';

let server, sfn;
const ROLE = 'arn:aws:iam::123456789012:role/test';
const CONFIG = `
sfn:
  region: eu-west-1
  account_id: '210987654321'
  activity_poll_seconds: 2
`;

before(async () => {
  server = await startServer(CONFIG);
  sfn = new S.SFNClient({
    endpoint: server.url, region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    disableHostPrefix: true, // StartSyncExecution would go to sync-<host>
  });
});
after(async () => { sfn?.destroy(); if (server) assert.equal(await server.stop(), 0); });

const send = (Cmd, input) => sfn.send(new Cmd(input));
async function rejects(promise, name) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    assert.equal(e.$metadata.httpStatusCode, 400);
    return e;
  }
  assert.fail(`expected ${name}`);
}
async function create(name, definition, type = 'STANDARD', extra = {}) {
  const r = await send(S.CreateStateMachineCommand, {
    name, type, roleArn: ROLE, definition: JSON.stringify(definition), ...extra,
  });
  return r.stateMachineArn;
}
async function waitDone(executionArn, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const d = await send(S.DescribeExecutionCommand, { executionArn });
    if (d.status !== 'RUNNING' || Date.now() > end) return d;
    await sleep(20);
  }
}
const pass = (result) => ({ StartAt: 'P', States: { P: { Type: 'Pass', Result: result, End: true } } });

test('state machines: create, describe, update, list, delete, with AWS ARNs', async () => {
  const arn = await create('sm-crud', pass(1));
  assert.equal(arn, 'arn:aws:states:eu-west-1:210987654321:stateMachine:sm-crud');
  const d = await send(S.DescribeStateMachineCommand, { stateMachineArn: arn });
  assert.equal(d.name, 'sm-crud');
  assert.equal(d.type, 'STANDARD');
  assert.equal(d.status, 'ACTIVE');
  assert.equal(d.roleArn, ROLE);
  assert.deepEqual(JSON.parse(d.definition), pass(1));
  assert.ok(d.creationDate instanceof Date);
  // the same create again is idempotent; a different definition is not
  assert.equal(await create('sm-crud', pass(1)), arn);
  await rejects(create('sm-crud', pass(2)), 'StateMachineAlreadyExists');
  const u = await send(S.UpdateStateMachineCommand, { stateMachineArn: arn, definition: JSON.stringify(pass(3)) });
  assert.ok(u.updateDate instanceof Date);
  assert.ok(u.revisionId);
  const d2 = await send(S.DescribeStateMachineCommand, { stateMachineArn: arn });
  assert.deepEqual(JSON.parse(d2.definition), pass(3));
  await rejects(send(S.UpdateStateMachineCommand, { stateMachineArn: arn }), 'MissingRequiredParameter');
  await create('sm-crud-2', pass(1), 'EXPRESS');
  const l = await send(S.ListStateMachinesCommand, { maxResults: 1 });
  assert.equal(l.stateMachines.length, 1);
  assert.ok(l.nextToken);
  const l2 = await send(S.ListStateMachinesCommand, { maxResults: 1000 });
  assert.ok(l2.stateMachines.some((m) => m.name === 'sm-crud-2' && m.type === 'EXPRESS'));
  await send(S.DeleteStateMachineCommand, { stateMachineArn: arn });
  await rejects(send(S.DescribeStateMachineCommand, { stateMachineArn: arn }), 'StateMachineDoesNotExist');
});

test('error shapes: InvalidDefinition, InvalidName, InvalidArn, ValidationException', async () => {
  const e = await rejects(create('bad-def', { StartAt: 'X', States: {} }), 'InvalidDefinition');
  assert.match(e.message, /Invalid State Machine Definition/);
  await rejects(create('bad-json', 1).catch(() => send(S.CreateStateMachineCommand, {
    name: 'bad-json', roleArn: ROLE, definition: '{not json' })), 'InvalidDefinition');
  await rejects(create('bad name', pass(1)), 'InvalidName');
  await rejects(create('unhandled', {
    StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::nothing:handles', End: true } },
  }), 'InvalidDefinition');
  await rejects(send(S.DescribeStateMachineCommand, { stateMachineArn: 'nope' }), 'InvalidArn');
  await rejects(send(S.DescribeExecutionCommand, {
    executionArn: 'arn:aws:states:eu-west-1:210987654321:execution:x:y' }), 'ExecutionDoesNotExist');
  await rejects(send(S.CreateStateMachineCommand, { name: 'x', roleArn: ROLE }), 'ValidationException');
  await rejects(send(S.CreateStateMachineCommand, { name: 'x', roleArn: ROLE, type: 'OTHER',
    definition: JSON.stringify(pass(1)) }), 'ValidationException');
  const raw = await fetch(server.url + '/', { method: 'POST', body: '{}',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.Nope' } });
  assert.equal(raw.status, 400);
  assert.equal((await raw.json()).__type, 'UnknownOperationException');
  const bad = await fetch(server.url + '/', { method: 'POST', body: '[1',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.ListActivities' } });
  assert.equal((await bad.json()).__type, 'SerializationException');
});

test('ValidateStateMachineDefinition reports every problem', async () => {
  const ok = await send(S.ValidateStateMachineDefinitionCommand, { definition: JSON.stringify(pass(1)) });
  assert.equal(ok.result, 'OK');
  assert.deepEqual(ok.diagnostics, []);
  const bad = await send(S.ValidateStateMachineDefinitionCommand, {
    definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Z' }, B: { Type: 'Nope' } } }),
  });
  assert.equal(bad.result, 'FAIL');
  assert.ok(bad.diagnostics.length >= 2);
  assert.ok(bad.diagnostics.every((d) => d.severity === 'ERROR' && d.code && d.message));
});

test('STANDARD execution: start, describe, list, history with paging and reverse order', async () => {
  const arn = await create('std-run', {
    StartAt: 'A',
    States: {
      A: { Type: 'Pass', Parameters: { 'sum.$': 'States.MathAdd($.x, 1)' }, Next: 'B' },
      B: { Type: 'Choice', Choices: [{ Variable: '$.sum', NumericGreaterThan: 1, Next: 'Big' }], Default: 'Small' },
      Big: { Type: 'Pass', Result: 'big', ResultPath: '$.size', End: true },
      Small: { Type: 'Fail', Error: 'Small', Cause: 'too small' },
    },
  });
  const s = await send(S.StartExecutionCommand, { stateMachineArn: arn, name: 'run-1', input: '{"x":5}' });
  assert.equal(s.executionArn, 'arn:aws:states:eu-west-1:210987654321:execution:std-run:run-1');
  assert.ok(s.startDate instanceof Date);
  const d = await waitDone(s.executionArn);
  assert.equal(d.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(d.output), { sum: 6, size: 'big' });
  assert.equal(d.input, '{"x":5}');
  assert.ok(d.stopDate instanceof Date);
  // the same name: idempotent only while running with the same input
  await rejects(send(S.StartExecutionCommand, { stateMachineArn: arn, name: 'run-1', input: '{"x":5}' }),
    'ExecutionAlreadyExists');
  const f = await send(S.StartExecutionCommand, { stateMachineArn: arn, name: 'run-2', input: '{"x":0}' });
  const fd = await waitDone(f.executionArn);
  assert.equal(fd.status, 'FAILED');
  assert.equal(fd.error, 'Small');
  assert.equal(fd.cause, 'too small');
  const l = await send(S.ListExecutionsCommand, { stateMachineArn: arn });
  assert.equal(l.executions.length, 2);
  const lf = await send(S.ListExecutionsCommand, { stateMachineArn: arn, statusFilter: 'FAILED' });
  assert.deepEqual(lf.executions.map((e) => e.name), ['run-2']);
  const h = await send(S.GetExecutionHistoryCommand, { executionArn: s.executionArn });
  const types = h.events.map((e) => e.type);
  assert.deepEqual(types, ['ExecutionStarted', 'PassStateEntered', 'PassStateExited', 'ChoiceStateEntered',
    'ChoiceStateExited', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
  assert.deepEqual(h.events.map((e) => e.id), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(h.events[1].previousEventId, 1);
  assert.ok(h.events[0].timestamp instanceof Date);
  assert.equal(h.events[0].executionStartedEventDetails.input, '{"x":5}');
  assert.equal(typeof h.events[2].stateExitedEventDetails.output, 'string');
  const p1 = await send(S.GetExecutionHistoryCommand, { executionArn: s.executionArn, maxResults: 3 });
  assert.equal(p1.events.length, 3);
  const p2 = await send(S.GetExecutionHistoryCommand, { executionArn: s.executionArn, maxResults: 3, nextToken: p1.nextToken });
  assert.deepEqual(p2.events.map((e) => e.id), [4, 5, 6]);
  const rev = await send(S.GetExecutionHistoryCommand, { executionArn: s.executionArn, reverseOrder: true, maxResults: 2 });
  assert.deepEqual(rev.events.map((e) => e.id), [8, 7]);
  const dm = await send(S.DescribeStateMachineForExecutionCommand, { executionArn: s.executionArn });
  assert.equal(dm.stateMachineArn, arn);
  assert.equal(JSON.parse(dm.definition).StartAt, 'A');
  await rejects(send(S.StartExecutionCommand, { stateMachineArn: arn, input: '{bad' }), 'InvalidExecutionInput');
  await rejects(send(S.StartExecutionCommand, { stateMachineArn: arn, name: 'a b' }), 'InvalidName');
  await rejects(send(S.StartExecutionCommand, {
    stateMachineArn: 'arn:aws:states:eu-west-1:210987654321:stateMachine:none' }), 'StateMachineDoesNotExist');
  await rejects(send(S.StartSyncExecutionCommand, { stateMachineArn: arn }), 'StateMachineTypeNotSupported');
});

test('StopExecution aborts a waiting execution; TimeoutSeconds times one out', async () => {
  const arn = await create('std-wait', { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 60, End: true } } });
  const s = await send(S.StartExecutionCommand, { stateMachineArn: arn });
  await sleep(100);
  assert.equal((await send(S.DescribeExecutionCommand, { executionArn: s.executionArn })).status, 'RUNNING');
  const st = await send(S.StopExecutionCommand, { executionArn: s.executionArn, error: 'Halt', cause: 'test' });
  assert.ok(st.stopDate instanceof Date);
  const d = await waitDone(s.executionArn);
  assert.equal(d.status, 'ABORTED');
  assert.equal(d.error, 'Halt');
  const h = await send(S.GetExecutionHistoryCommand, { executionArn: s.executionArn, reverseOrder: true });
  assert.equal(h.events[0].type, 'ExecutionAborted');
  const t = await create('std-timeout', { TimeoutSeconds: 1, StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 30, End: true } } });
  const ts = await send(S.StartExecutionCommand, { stateMachineArn: t });
  const td = await waitDone(ts.executionArn, 15000);
  assert.equal(td.status, 'TIMED_OUT');
});

test('EXPRESS: StartSyncExecution answers with the result; async runs too', async () => {
  const arn = await create('exp', {
    StartAt: 'A', States: { A: { Type: 'Pass', Parameters: { 'v.$': 'States.Format(\'hi {}\', $.n)' }, End: true } },
  }, 'EXPRESS');
  const r = await send(S.StartSyncExecutionCommand, { stateMachineArn: arn, input: '{"n":"bob"}', name: 'e1' });
  assert.equal(r.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(r.output), { v: 'hi bob' });
  assert.match(r.executionArn, /^arn:aws:states:eu-west-1:210987654321:express:exp:e1:[0-9a-f-]{36}$/);
  assert.ok(r.startDate instanceof Date && r.stopDate instanceof Date);
  const failing = await create('exp-fail', { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'E', Cause: 'C' } } }, 'EXPRESS');
  const rf = await send(S.StartSyncExecutionCommand, { stateMachineArn: failing });
  assert.equal(rf.status, 'FAILED');
  assert.equal(rf.error, 'E');
  assert.equal(rf.cause, 'C');
  const a = await send(S.StartExecutionCommand, { stateMachineArn: arn, input: '{"n":1}' });
  assert.match(a.executionArn, /:express:exp:/);
  // history only when asked: logging level ALL records the execution at its end
  const logged = await create('exp-logged', pass({ ok: true }), 'EXPRESS', {
    loggingConfiguration: { level: 'ALL', includeExecutionData: true } });
  const lr = await send(S.StartSyncExecutionCommand, { stateMachineArn: logged });
  let h;
  for (let i = 0; i < 50; i++) {
    try { h = await send(S.GetExecutionHistoryCommand, { executionArn: lr.executionArn }); break; } catch { await sleep(20); }
  }
  assert.deepEqual(h.events.map((e) => e.type), ['ExecutionStarted', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
  await rejects(send(S.DescribeExecutionCommand, { executionArn: r.executionArn }), 'ExecutionDoesNotExist');
});

test('waitForTaskToken: SendTaskSuccess, SendTaskFailure, heartbeat, bad tokens', async () => {
  // The parent hands its task token to a child execution; the child's activity
  // worker (this test) answers the parent with SendTask*, as AWS callers do.
  const act = await send(S.CreateActivityCommand, { name: 'token-out' });
  const child = await create('tok-child', {
    StartAt: 'Work', States: { Work: { Type: 'Task', Resource: act.activityArn, End: true } },
  });
  const parent = await create('tok-parent', {
    StartAt: 'Ask',
    States: {
      Ask: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.waitForTaskToken',
        Parameters: { StateMachineArn: child, Input: { 'token.$': '$$.Task.Token', 'v.$': '$.v' } },
        HeartbeatSeconds: 30, End: true },
    },
  });
  const s = await send(S.StartExecutionCommand, { stateMachineArn: parent, input: '{"v":1}' });
  const task = await send(S.GetActivityTaskCommand, { activityArn: act.activityArn, workerName: 'w1' });
  const { token, v } = JSON.parse(task.input);
  assert.equal(v, 1);
  assert.ok(token.length > 40);
  await rejects(send(S.SendTaskSuccessCommand, { taskToken: token, output: '{bad' }), 'InvalidOutput');
  await send(S.SendTaskHeartbeatCommand, { taskToken: token });
  await send(S.SendTaskSuccessCommand, { taskToken: token, output: '{"done":true}' });
  const d = await waitDone(s.executionArn);
  assert.equal(d.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(d.output), { done: true });
  const h = await send(S.GetExecutionHistoryCommand, { executionArn: s.executionArn });
  assert.ok(h.events.some((e) => e.type === 'TaskSubmitted' || e.type === 'TaskStarted'));
  await rejects(send(S.SendTaskSuccessCommand, { taskToken: token, output: '{}' }), 'TaskTimedOut');
  await rejects(send(S.SendTaskSuccessCommand, { taskToken: 'garbage', output: '{}' }), 'InvalidToken');
  await rejects(send(S.SendTaskFailureCommand, { taskToken: token, error: 'e'.repeat(300) }), 'ValidationException');
  await rejects(send(S.SendTaskSuccessCommand, { taskToken: token, output: JSON.stringify('x'.repeat(300000)) }), 'InvalidOutput');
  // the activity task itself: SendTaskFailure fails the child
  await send(S.SendTaskSuccessCommand, { taskToken: task.taskToken, output: '{}' });
  const s2 = await send(S.StartExecutionCommand, { stateMachineArn: child });
  const t2 = await send(S.GetActivityTaskCommand, { activityArn: act.activityArn });
  await send(S.SendTaskHeartbeatCommand, { taskToken: t2.taskToken });
  await send(S.SendTaskFailureCommand, { taskToken: t2.taskToken, error: 'Worker.Broke', cause: 'because' });
  const d2 = await waitDone(s2.executionArn);
  assert.equal(d2.status, 'FAILED');
  assert.equal(d2.error, 'Worker.Broke');
  assert.equal(d2.cause, 'because');
});

test('activities: create, describe, list, delete, long poll, heartbeat timeout', async () => {
  const a = await send(S.CreateActivityCommand, { name: 'act-1' });
  assert.equal(a.activityArn, 'arn:aws:states:eu-west-1:210987654321:activity:act-1');
  assert.equal((await send(S.CreateActivityCommand, { name: 'act-1' })).activityArn, a.activityArn);
  const d = await send(S.DescribeActivityCommand, { activityArn: a.activityArn });
  assert.equal(d.name, 'act-1');
  const l = await send(S.ListActivitiesCommand, {});
  assert.ok(l.activities.some((x) => x.name === 'act-1'));
  // a poll with nothing queued waits (activity_poll_seconds: 2), then answers empty
  const t0 = Date.now();
  const empty = await send(S.GetActivityTaskCommand, { activityArn: a.activityArn });
  assert.ok(Date.now() - t0 >= 1500);
  assert.equal(empty.taskToken, undefined);
  // a poll that waits gets a task started meanwhile
  const m = await create('act-hb', {
    StartAt: 'T',
    States: { T: { Type: 'Task', Resource: a.activityArn, HeartbeatSeconds: 1, End: true } },
  });
  const polled = send(S.GetActivityTaskCommand, { activityArn: a.activityArn });
  await sleep(200);
  const s = await send(S.StartExecutionCommand, { stateMachineArn: m });
  const task = await polled;
  assert.ok(task.taskToken);
  const dd = await waitDone(s.executionArn, 15000); // no heartbeat: States.HeartbeatTimeout
  assert.equal(dd.status, 'FAILED');
  assert.equal(dd.error, 'States.HeartbeatTimeout');
  await send(S.DeleteActivityCommand, { activityArn: a.activityArn });
  await rejects(send(S.DescribeActivityCommand, { activityArn: a.activityArn }), 'ActivityDoesNotExist');
  await rejects(send(S.GetActivityTaskCommand, { activityArn: a.activityArn }), 'ActivityDoesNotExist');
});

test('states:startExecution: request-response, .sync and .sync:2', async () => {
  const child = await create('child', {
    StartAt: 'C', States: { C: { Type: 'Pass', Parameters: { 'doubled.$': 'States.MathAdd($.n, $.n)' }, End: true } },
  });
  const failing = await create('child-fail', { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'Nope', Cause: 'no' } } });
  const parent = await create('parent', {
    StartAt: 'Fire',
    States: {
      Fire: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution',
        Parameters: { StateMachineArn: child, Input: { n: 1 } }, ResultPath: '$.fired', Next: 'Sync' },
      Sync: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync',
        Parameters: { StateMachineArn: child, Input: { n: 2 } }, ResultPath: '$.sync', Next: 'Sync2' },
      Sync2: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2',
        Parameters: { StateMachineArn: child, 'Input.$': '$.in' }, ResultPath: '$.sync2', Next: 'Bad' },
      Bad: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync',
        Parameters: { StateMachineArn: failing }, Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.caught', Next: 'Done' }],
        End: true },
      Done: { Type: 'Succeed' },
    },
  });
  const s = await send(S.StartExecutionCommand, { stateMachineArn: parent, input: '{"in":{"n":21}}' });
  const d = await waitDone(s.executionArn);
  assert.equal(d.status, 'SUCCEEDED', d.cause);
  const out = JSON.parse(d.output);
  assert.match(out.fired.ExecutionArn, /:execution:child:/);
  assert.equal(typeof out.fired.StartDate, 'number');
  assert.equal(out.sync.Status, 'SUCCEEDED');
  assert.equal(typeof out.sync.Output, 'string');
  assert.deepEqual(JSON.parse(out.sync.Output), { doubled: 4 });
  assert.deepEqual(out.sync2.Output, { doubled: 42 });
  assert.equal(out.caught.Error, 'States.TaskFailed');
  assert.equal(JSON.parse(out.caught.Cause).Status, 'FAILED');
  const kids = await send(S.ListExecutionsCommand, { stateMachineArn: child });
  assert.equal(kids.executions.length, 3);
});

test('TestState: one state on its own (output, next state, failure, caught error)', async () => {
  const p = await send(S.TestStateCommand, { roleArn: ROLE, input: '{"a":2}', definition: JSON.stringify({
    Type: 'Pass', Parameters: { 'b.$': 'States.MathAdd($.a, 1)' }, Next: 'After' }) });
  assert.equal(p.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(p.output), { b: 3 });
  assert.equal(p.nextState, 'After');
  const ch = await send(S.TestStateCommand, { roleArn: ROLE, input: '{"n":5}', definition: JSON.stringify({
    Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThan: 3, Next: 'Big' }], Default: 'Small' }) });
  assert.equal(ch.nextState, 'Big');
  const f = await send(S.TestStateCommand, { roleArn: ROLE, definition: JSON.stringify({ Type: 'Fail', Error: 'E', Cause: 'C' }) });
  assert.equal(f.status, 'FAILED');
  assert.equal(f.error, 'E');
  assert.equal(f.cause, 'C');
  const w = await send(S.TestStateCommand, { roleArn: ROLE, definition: JSON.stringify({ Type: 'Wait', Seconds: 3600, End: true }) });
  assert.equal(w.status, 'SUCCEEDED');
  const t = await send(S.TestStateCommand, { roleArn: ROLE, definition: JSON.stringify({
    Type: 'Task', Resource: 'arn:aws:states:::http:invoke', Parameters: {},
    Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handle', ResultPath: '$.err' }], End: true }) });
  assert.equal(t.status, 'CAUGHT_ERROR');
  assert.equal(t.nextState, 'Handle');
  assert.ok(t.error);
  await rejects(send(S.TestStateCommand, { roleArn: ROLE, definition: '{"Type":"Pass","Bogus":1,"End":true}' }), 'InvalidDefinition');
});

test('seed state machines: run where no external task is needed', async (t) => {
  const shared = process.env.FG_SHARED_DIR || join(process.env.FG_SOURCE_DIR || process.cwd(), '..', 'shared');
  const where = join(shared, 'seed-artifacts', 'asl');
  if (!existsSync(where)) { t.skip(`seed machines absent (${where}; set FG_SHARED_DIR)`); return; }
  let ran = 0;
  for (const f of readdirSync(where).filter((n) => n.endsWith('.json'))) {
    const def = readFileSync(join(where, f), 'utf8');
    const v = await send(S.ValidateStateMachineDefinitionCommand, { definition: def });
    if (v.result !== 'OK') {
      // Tasks whose integrations are not registered here (LLM, translation, speech)
      assert.ok(v.diagnostics.every((x) => /resource|Resource|integration/.test(x.message)), JSON.stringify(v.diagnostics));
      t.diagnostic(`${f}: needs task integrations this server does not register`);
      continue;
    }
    const name = f.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 60);
    const arn = (await send(S.CreateStateMachineCommand, { name, roleArn: ROLE, definition: def, type: 'EXPRESS' })).stateMachineArn;
    const r = await send(S.StartSyncExecutionCommand, { stateMachineArn: arn, input: '{}' });
    assert.ok(['SUCCEEDED', 'FAILED'].includes(r.status));
    ran++;
  }
  t.diagnostic(`seed machines run: ${ran}`);
});

test('versions and aliases: publish, describe, start through an alias, routing, delete', async () => {
  const created = await send(S.CreateStateMachineCommand, { name: 'versioned', roleArn: ROLE,
    definition: JSON.stringify(pass('one')), publish: true, versionDescription: 'first' });
  const base = created.stateMachineArn;
  assert.equal(created.stateMachineVersionArn, `${base}:1`);
  // publishing the same revision again gives the same version
  assert.equal((await send(S.PublishStateMachineVersionCommand, { stateMachineArn: base })).stateMachineVersionArn, `${base}:1`);
  const up = await send(S.UpdateStateMachineCommand, { stateMachineArn: base, definition: JSON.stringify(pass('two')), publish: true });
  assert.equal(up.stateMachineVersionArn, `${base}:2`);
  await rejects(send(S.PublishStateMachineVersionCommand, { stateMachineArn: base, revisionId: 'stale' }), 'ConflictException');
  const v1 = await send(S.DescribeStateMachineCommand, { stateMachineArn: `${base}:1` });
  assert.deepEqual(JSON.parse(v1.definition), pass('one'));
  assert.equal(v1.description, 'first');
  const versions = await send(S.ListStateMachineVersionsCommand, { stateMachineArn: base });
  assert.deepEqual(versions.stateMachineVersions.map((v) => v.stateMachineVersionArn), [`${base}:2`, `${base}:1`]);
  // an execution of version 1 runs version 1's definition
  const e1 = await send(S.StartExecutionCommand, { stateMachineArn: `${base}:1` });
  assert.equal(JSON.parse((await waitDone(e1.executionArn)).output), 'one');
  assert.match(e1.executionArn, /:execution:versioned:/);
  const alias = await send(S.CreateStateMachineAliasCommand, { name: 'prod', description: 'live',
    routingConfiguration: [{ stateMachineVersionArn: `${base}:2`, weight: 100 }] });
  assert.equal(alias.stateMachineAliasArn, `${base}:prod`);
  const ea = await send(S.StartExecutionCommand, { stateMachineArn: alias.stateMachineAliasArn });
  const dea = await waitDone(ea.executionArn);
  assert.equal(JSON.parse(dea.output), 'two');
  assert.equal(dea.stateMachineArn, base);
  assert.equal(dea.stateMachineVersionArn, `${base}:2`);
  assert.equal(dea.stateMachineAliasArn, `${base}:prod`);
  assert.equal((await waitDone(e1.executionArn)).stateMachineVersionArn, `${base}:1`);
  const da = await send(S.DescribeStateMachineAliasCommand, { stateMachineAliasArn: alias.stateMachineAliasArn });
  assert.equal(da.name, 'prod');
  assert.equal(da.description, 'live');
  assert.deepEqual(da.routingConfiguration, [{ stateMachineVersionArn: `${base}:2`, weight: 100 }]);
  await rejects(send(S.UpdateStateMachineAliasCommand, { stateMachineAliasArn: alias.stateMachineAliasArn,
    routingConfiguration: [{ stateMachineVersionArn: `${base}:1`, weight: 50 }] }), 'ValidationException');
  await send(S.UpdateStateMachineAliasCommand, { stateMachineAliasArn: alias.stateMachineAliasArn,
    routingConfiguration: [{ stateMachineVersionArn: `${base}:1`, weight: 100 }] });
  const eb = await send(S.StartExecutionCommand, { stateMachineArn: alias.stateMachineAliasArn });
  assert.equal(JSON.parse((await waitDone(eb.executionArn)).output), 'one');
  // a version an alias routes to cannot be deleted
  await rejects(send(S.DeleteStateMachineVersionCommand, { stateMachineVersionArn: `${base}:1` }), 'ConflictException');
  await send(S.DeleteStateMachineVersionCommand, { stateMachineVersionArn: `${base}:2` });
  const l = await send(S.ListStateMachineAliasesCommand, { stateMachineArn: base });
  assert.deepEqual(l.stateMachineAliases.map((a) => a.stateMachineAliasArn), [`${base}:prod`]);
  await send(S.DeleteStateMachineAliasCommand, { stateMachineAliasArn: alias.stateMachineAliasArn });
  await rejects(send(S.DescribeStateMachineAliasCommand, { stateMachineAliasArn: alias.stateMachineAliasArn }), 'ResourceNotFound');
  await rejects(send(S.StartExecutionCommand, { stateMachineArn: `${base}:2` }), 'ResourceNotFound');
  await rejects(send(S.CreateStateMachineAliasCommand, { name: '7',
    routingConfiguration: [{ stateMachineVersionArn: `${base}:1`, weight: 100 }] }), 'InvalidName');
});

test('sfn.max_running_executions bounds the executions running at once', async () => {
  const small = await startServer('sfn:\n  max_running_executions: 2\n');
  const c = new S.SFNClient({ endpoint: small.url, region: 'us-east-1', disableHostPrefix: true,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  try {
    const arn = (await c.send(new S.CreateStateMachineCommand({ name: 'waits', roleArn: ROLE,
      definition: JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 30, End: true } } }) }))).stateMachineArn;
    const a = await c.send(new S.StartExecutionCommand({ stateMachineArn: arn }));
    await c.send(new S.StartExecutionCommand({ stateMachineArn: arn }));
    const e = await c.send(new S.StartExecutionCommand({ stateMachineArn: arn })).catch((err) => err);
    assert.equal(e.name, 'ExecutionLimitExceeded');
    await c.send(new S.StopExecutionCommand({ executionArn: a.executionArn }));
    for (let i = 0; i < 100; i++) {
      const r = await c.send(new S.StartExecutionCommand({ stateMachineArn: arn })).catch((err) => err);
      if (r.executionArn) return;
      await sleep(20);
    }
    assert.fail('a stopped execution did not free its place');
  } finally {
    c.destroy();
    assert.equal(await small.stop(), 0);
  }
});
