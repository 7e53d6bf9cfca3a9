// The LLM task integrations inside the Step Functions API (the official
// @aws-sdk/client-sfn client): an EXPRESS StartSyncExecution and a STANDARD
// execution calling the scripted mock model through the gateway, and
// StopExecution aborting a model call in flight.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as S from '@aws-sdk/client-sfn';
import { startMock, startServer, sleep } from './lib.mjs';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'assist');
const ROLE = 'arn:aws:iam::123456789012:role/test';
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
sfn:
  region: eu-west-1
  account_id: '210987654321'
`;

let mock, server, sfn;

before(async () => {
  mock = await startMock(['--script', join(fixtures, 'mock-script.json')]);
  server = await startServer(CONFIG, { mockUrl: mock.url });
  sfn = new S.SFNClient({
    endpoint: server.url, region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    disableHostPrefix: true,
  });
});

after(async () => {
  sfn?.destroy();
  if (server) assert.equal(await server.stop(), 0);
  if (mock) await mock.stop();
});

const send = (Cmd, input) => sfn.send(new Cmd(input));

async function create(name, definition, type) {
  const r = await send(S.CreateStateMachineCommand, { name, type, roleArn: ROLE, definition: JSON.stringify(definition) });
  return r.stateMachineArn;
}

async function waitDone(executionArn, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const d = await send(S.DescribeExecutionCommand, { executionArn });
    if (d.status !== 'RUNNING' || Date.now() > end) return d;
    await sleep(20);
  }
}

const llama = {
  Type: 'Task', Resource: 'arn:aws:states:::bedrock:invokeModel',
  Parameters: { ModelId: 'meta.llama3-8b-instruct-v1:0', Body: { 'prompt.$': "States.Format('task {} please', $.who)", max_gen_len: 20 } },
  ResultSelector: { 'text.$': '$.Body.generation' },
};

test('EXPRESS StartSyncExecution: invokeModel then llm:invoke', async () => {
  const arn = await create('llm-express', {
    StartAt: 'Llama',
    States: {
      Llama: { ...llama, ResultPath: '$.llama', Next: 'Native' },
      Native: {
        Type: 'Task', Resource: 'arn:flowgate:states:::llm:invoke', End: true,
        Parameters: { model: 'any', messages: [{ role: 'user', content: 'task openai please' }] },
        ResultSelector: { 'llama.$': '$$.Execution.Input.who', 'answer.$': '$.choices[0].message.content' },
      },
    },
  }, 'EXPRESS');
  const r = await send(S.StartSyncExecutionCommand, { stateMachineArn: arn, input: JSON.stringify({ who: 'llama' }) });
  assert.equal(r.status, 'SUCCEEDED', r.error + ' ' + r.cause);
  assert.deepEqual(JSON.parse(r.output), { llama: 'llama', answer: 'openai-answer' });
});

test('STANDARD execution: sagemaker:invokeEndpoint with the seed stories pattern', async () => {
  const arn = await create('llm-standard', {
    StartAt: 'Generate',
    States: {
      Generate: {
        Type: 'Task', Resource: 'arn:aws:states:::sagemaker:invokeEndpoint', End: true,
        Parameters: { EndpointName: 'tgi', Body: { 'inputs.$': "States.Format('task {} please', $.what)", parameters: { max_new_tokens: 300 } } },
        ResultSelector: { 'body.$': 'States.StringToJson($.Body)' },
        OutputPath: '$.body[0].generated_text',
      },
    },
  }, 'STANDARD');
  const { executionArn } = await send(S.StartExecutionCommand, { stateMachineArn: arn, input: JSON.stringify({ what: 'sagemaker' }) });
  const d = await waitDone(executionArn);
  assert.equal(d.status, 'SUCCEEDED', d.error + ' ' + d.cause);
  assert.equal(JSON.parse(d.output), 'sagemaker-answer');
});

test('StopExecution aborts the model call in flight', async () => {
  const arn = await create('llm-stop', {
    StartAt: 'Slow',
    States: {
      Slow: {
        Type: 'Task', Resource: 'arn:flowgate:states:::llm:invoke', End: true,
        Parameters: { model: 'any', messages: [{ role: 'user', content: 'slow [mock: ttft=10000]' }] },
      },
    },
  }, 'STANDARD');
  const before = await mock.stats();
  const { executionArn } = await send(S.StartExecutionCommand, { stateMachineArn: arn, input: '{}' });
  for (let i = 0; i < 100 && (await mock.stats()).in_flight === before.in_flight; i++) await sleep(20);
  await send(S.StopExecutionCommand, { executionArn, error: 'Test.Stop', cause: 'stopped by the test' });
  let after;
  for (let i = 0; i < 60; i++) {
    after = await mock.stats();
    if (after.disconnects > before.disconnects) break;
    await sleep(50);
  }
  assert.ok(after.disconnects > before.disconnects, JSON.stringify({ before, after }));
  const d = await waitDone(executionArn);
  assert.equal(d.status, 'ABORTED');
});
