// Evaluations per second of flowgate's JSONata against the jsonata npm package
// (pinned in package-lock.json) on the same expressions and input, in one run.
// Usage: node bench.mjs FLOWGATE_BINARY [ROUNDS]   (build flowgate with the release preset)
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import jsonata from 'jsonata';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.argv[2];
const rounds = Number(process.argv[3] || 5);
const dataPath = path.join(here, 'data.json');
const data = JSON.parse(readFileSync(dataPath, 'utf8'));

const expressions = [
  ['field', 'order.customer.name'],
  ['state-input', 'states.input.retries + 1'],
  ['predicate', 'order.items[price > 5].sku'],
  ['aggregate', '$sum(order.items.(price * qty))'],
  ['object', "{ 'id': order.id, 'total': $sum(order.items.(price * qty)), 'n': $count(order.items) }"],
  ['map-filter', '$map($filter(order.items, function($i){ $i.qty > 1 }), function($i){ $uppercase($i.name) })'],
  ['sort-group', 'order.items^(>price){ $string(qty > 3): $count(sku) }'],
  ['strings', "$join(order.items.name, ', ') & ' for ' & $substringBefore(order.customer.email, '@')"],
  ['condition', "order.customer.tier = 'gold' ? order.shipping.cost * 0.5 : order.shipping.cost"],
  ['eval-body', '$eval(states.result.body).ok'],
];

async function jsRate(expr, ms) {
  const e = jsonata(expr);
  let n = 0;
  const t0 = process.hrtime.bigint();
  const limit = BigInt(ms) * 1000000n;
  while (process.hrtime.bigint() - t0 < limit) {
    for (let i = 0; i < 100; i++) await e.evaluate(data);
    n += 100;
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

function cRate(expr, n) {
  const r = spawnSync(bin, ['jsonata', '--input', dataPath, '--repeat', String(n), expr], { encoding: 'utf8' });
  const m = /: (\d+)\/s/.exec(r.stderr || '');
  if (r.status !== 0 || !m) throw new Error(`${expr}: ${r.stderr}`);
  return Number(m[1]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows = [];
for (const [name, expr] of expressions) {
  const want = JSON.stringify(await jsonata(expr).evaluate(data));
  const got = execFileSync(bin, ['jsonata', '--input', dataPath, expr], { encoding: 'utf8' }).trim();
  if (JSON.stringify(JSON.parse(got)) !== want) console.error(`warning: ${name}: flowgate ${got}, jsonata ${want}`);
  const js = [], c = [];
  for (let r = 0; r < rounds; r++) {
    js.push(await jsRate(expr, 300));
    c.push(cRate(expr, 50000));
  }
  const spread = (xs) => ((Math.max(...xs) - Math.min(...xs)) / median(xs) * 100).toFixed(0);
  rows.push({ name, js: median(js), c: median(c), jss: spread(js), cs: spread(c) });
}
console.log('| expression | jsonata-js evals/s (spread) | flowgate evals/s (spread) | ratio |');
console.log('|---|---:|---:|---:|');
for (const r of rows)
  console.log(`| ${r.name} | ${r.js.toFixed(0)} (${r.jss}%) | ${r.c.toFixed(0)} (${r.cs}%) | ${(r.c / r.js).toFixed(1)}x |`);
const ratios = rows.map((r) => r.c / r.js);
console.log(`\nmedian ratio ${median(ratios).toFixed(1)}x, lowest ${Math.min(...ratios).toFixed(1)}x`);
