// Runs the benchmark definitions dumped by bench_flow (--dump DIR) on
// aws-local-stepfunctions, checks it produces the same output as flowgate, and
// prints transitions per second (median of runs). Usage: node bench.mjs DIR [RUNS]
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { StateMachine } from 'aws-local-stepfunctions';

const dir = process.argv[2];
const runs = Number(process.argv[3] || 5);
const plan = { chain: 200, map: 1, parallel: 500, jsonata: 100 };

const load = (f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));

for (const [name, execs] of Object.entries(plan)) {
  const def = load(`${name}.asl.json`);
  const input = load(`${name}.input.json`);
  const { output: want, transitions } = load(`${name}.output.json`);
  let sm, got;
  try {
    sm = new StateMachine(def, { validationOptions: { checkPaths: false } });
    got = await sm.run(input).result;
  } catch (err) {
    console.log(`${name.padEnd(9)} not run by this engine: ${String(err.message || err).slice(0, 120)}`);
    continue;
  }
  const same = isDeepStrictEqual(got, want);
  const rates = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < execs; i++) await sm.run(input).result;
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push((transitions * execs) / dt);
  }
  rates.sort((a, b) => a - b);
  console.log(`${name.padEnd(9)} same output: ${same ? 'yes' : 'NO'}  median ${Math.round(rates[runs >> 1])} transitions/s` +
    `  (min ${Math.round(rates[0])}, max ${Math.round(rates[runs - 1])}, ${runs} runs)`);
}
