// The Step Functions service under load, through its HTTP API:
//  - durable: STANDARD executions of a Pass chain, started concurrently; every
//    transition is committed to SQLite before the next one runs; the figure is
//    transitions per second from the first start to the last end;
//  - express: StartSyncExecution of a 100-state Pass/Choice chain with
//    intrinsics from C concurrent clients; transitions per second;
//  - peer: aws-local-stepfunctions (bench/flow/peer, pinned) runs the same
//    express chain in-process (no HTTP, no durability), after checking it gives
//    the same output as flowgate.
//  - express at fixed rates: with FG_LOADGEN (bench/gateway/loadgen.c, an
//    open-loop C client) StartSyncExecution is sent at fixed rates, so the
//    figure is the server's, not the node client's.
// Usage: node bench/sfn/bench.mjs FLOWGATE_BIN [RUNS]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createRequire } from 'node:module';

const bin = process.argv[2];
const runs = Number(process.argv[3] || 3);
// FG_BENCH_DURABLE_ONLY=1: only the durable measure (for iterating on the journal).
const durableOnly = process.env.FG_BENCH_DURABLE_ONLY === '1';
const EXECS = Number(process.env.FG_BENCH_EXECS || 400), CHAIN = Number(process.env.FG_BENCH_CHAIN || 200), EXPRESS_SECONDS = 3, CLIENTS = 16;

function serve(dir) {
  writeFileSync(join(dir, 'c.yaml'), `log:\n  access: false\n  level: ${process.env.FG_BENCH_LOG || 'info'}\nserver:\n  workers: 2\n`);
  return new Promise((resolve, reject) => {
    const c = spawn(bin, ['serve', '--config', join(dir, 'c.yaml'), '--port', '0', '--data', join(dir, 'data')],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    if (process.env.FG_BENCH_LOG) c.stderr.pipe(process.stderr);
    const on = (d) => { seen += d; const m = seen.match(/listening on (http:\/\/[0-9.:]+)\//); if (m) resolve({ c, url: m[1] }); };
    c.stdout.on('data', on); c.stderr.on('data', on);
    c.on('exit', (code) => reject(new Error(`flowgate exited ${code}: ${seen}`)));
  });
}

let url;
async function call(op, body) {
  const r = await fetch(url + '/', { method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${op}` } });
  const j = await r.json();
  if (r.status !== 200) throw new Error(`${op}: ${JSON.stringify(j)}`);
  return j;
}

function passChain(n) {
  const States = {};
  for (let i = 0; i < n; i++) States[`S${i}`] = { Type: 'Pass', ...(i + 1 < n ? { Next: `S${i + 1}` } : { End: true }) };
  return { StartAt: 'S0', States };
}

// 50 Pass states with Parameters and intrinsics, each followed by a Choice: 100 transitions.
function expressChain() {
  const States = {};
  for (let i = 0; i < 50; i++) {
    States[`P${i}`] = { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)', 'label.$': "States.Format('step {}', $.n)", 'keep.$': '$.keep' }, Next: `C${i}` };
    States[`C${i}`] = { Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThanEquals: 0, Next: i + 1 < 50 ? `P${i + 1}` : 'Done' }], Default: 'Done' };
  }
  States.Done = { Type: 'Succeed' };
  return { StartAt: 'P0', States };
}
const expressInput = { n: 0, keep: { a: [1, 2, 3], b: 'text' } };

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// Start to end as the server recorded it: the first startDate to the last
// stopDate (the client polls rarely so that it does not compete for the store).
async function durable(arn) {
  const inflight = [];
  for (let i = 0; i < EXECS; i++) {
    inflight.push(call('StartExecution', { stateMachineArn: arn, input: '{"x":1}' }));
    if (inflight.length >= 32) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  for (;;) {
    const r = await call('ListExecutions', { stateMachineArn: arn, statusFilter: 'RUNNING', maxResults: 1 });
    if (r.executions.length === 0) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  let first = Infinity, last = 0, n = 0, nextToken;
  do {
    const r = await call('ListExecutions', { stateMachineArn: arn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) });
    for (const e of r.executions) {
      if (e.status !== 'SUCCEEDED') throw new Error(`a durable execution ended ${e.status}`);
      first = Math.min(first, e.startDate);
      last = Math.max(last, e.stopDate);
      n++;
    }
    nextToken = r.nextToken;
  } while (nextToken);
  return (n * CHAIN) / (last - first);
}

async function express(arn) {
  let done = 0;
  const end = Date.now() + EXPRESS_SECONDS * 1000;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < end) {
      const r = await call('StartSyncExecution', { stateMachineArn: arn, input: JSON.stringify(expressInput) });
      if (r.status !== 'SUCCEEDED') throw new Error(JSON.stringify(r));
      done++;
    }
  }));
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  return (done * 100) / dt;
}

async function peer(def, want) {
  const require = createRequire(new URL('../flow/peer/', import.meta.url));
  const { StateMachine } = await import(require.resolve('aws-local-stepfunctions'));
  const sm = new StateMachine(def, { validationOptions: { checkPaths: false } });
  const got = await sm.run(expressInput).result;
  const same = isDeepStrictEqual(got, want);
  const rates = [];
  for (let r = 0; r < runs; r++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    const end = Date.now() + EXPRESS_SECONDS * 1000;
    while (Date.now() < end) { await sm.run(expressInput).result; n++; }
    rates.push((n * 100) / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  return { same, rate: median(rates), rates };
}

const dir = mkdtempSync(join(tmpdir(), 'flowgate-bench-sfn-'));
const srv = await serve(dir);
url = srv.url;
try { await main(); } finally {
  srv.c.kill('SIGTERM');
  await new Promise((r) => srv.c.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

async function main() {
  const role = 'arn:aws:iam::123456789012:role/bench';
  const std = async (r) => (await call('CreateStateMachine', { name: `pass-chain-${r}`, roleArn: role, definition: JSON.stringify(passChain(CHAIN)) })).stateMachineArn;
  const exp = (await call('CreateStateMachine', { name: 'express-chain', type: 'EXPRESS', roleArn: role, definition: JSON.stringify(expressChain()) })).stateMachineArn;
  const first = await call('StartSyncExecution', { stateMachineArn: exp, input: JSON.stringify(expressInput) });
  const want = JSON.parse(first.output);
  const d = [], e = [];
  for (let r = 0; r < runs; r++) {
    d.push(await durable(await std(r)));
    if (!durableOnly) e.push(await express(exp));
  }
  if (durableOnly) {
    console.log(`durable STANDARD: median ${Math.round(median(d))} transitions/s (${d.map(Math.round).join(', ')})`);
    return;
  }
  const p = await peer(expressChain(), want);
  const fixed = [];
  if (process.env.FG_LOADGEN) {
    const bodyFile = join(dir, 'sync.json');
    writeFileSync(bodyFile, JSON.stringify({ stateMachineArn: exp, input: JSON.stringify(expressInput) }));
    for (const rate of [1000, 2000, 4000, 8000]) {
      const out = execFileSync(process.env.FG_LOADGEN, ['--url', `${url}/`, '--body', bodyFile, '--rate', String(rate),
        '--duration', String(EXPRESS_SECONDS), '--header', 'x-amz-target: AWSStepFunctions.StartSyncExecution',
        '--header', 'content-type: application/x-amz-json-1.0', '--max-conns', '256'], { encoding: 'utf8' });
      const r = JSON.parse(out.trim().split('\n').at(-1));
      fixed.push({ rate, done: r.done, errors: r.errors + r.non2xx, tps: (r.done * 100) / EXPRESS_SECONDS, p50: r.lat_p50_us, p99: r.lat_p99_us });
    }
  }
  const fmt = (x) => Math.round(x).toLocaleString('en-US');
  const range = (xs) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
  console.log(`durable STANDARD (${EXECS} executions × ${CHAIN} Pass states, commit per transition; first start to last end as recorded): median ${fmt(median(d))} transitions/s (${range(d)})`);
  console.log(`express StartSyncExecution (${CLIENTS} clients, 100-state chain): median ${fmt(median(e))} transitions/s (${range(e)})`);
  console.log(`aws-local-stepfunctions in-process, same chain: median ${fmt(p.rate)} transitions/s (${range(p.rates)}); same output: ${p.same ? 'yes' : 'NO'}`);
  console.log(`express through the API ÷ peer in-process: ${(median(e) / p.rate).toFixed(1)}×`);
  for (const f of fixed)
    console.log(`express at ${f.rate} req/s (loadgen): ${f.done} done, ${f.errors} errors, ${fmt(f.tps)} transitions/s, ` +
      `p50 ${fmt(f.p50)} µs, p99 ${fmt(f.p99)} µs, ÷ peer ${(f.tps / p.rate).toFixed(1)}×`);
}
