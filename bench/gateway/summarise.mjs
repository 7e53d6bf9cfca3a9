// Reads the benchmark's JSON lines and prints the medians as a Markdown table:
// latency and time to first byte per target, and flowgate's and Portkey's
// added latency over calling the mock directly in the same run.
import { readFileSync } from 'node:fs';

const rows = readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const pick = (kind, rate, target, field) =>
  median(rows.filter((r) => r.kind === kind && r.rate === rate && r.target === target).map((r) => r[field]));
const us = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');

console.log('| workload | rate | direct p50/p99 µs | flowgate p50/p99 µs | portkey p50/p99 µs | flowgate added p50/p99 µs | portkey added p50/p99 µs | added TTFB p50 µs (flowgate) | p99 added ratio portkey/flowgate |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const kind of ['small', 'stream']) {
  for (const rate of [500, 1000, 2000]) {
    const d50 = pick(kind, rate, 'direct', 'lat_p50_us'), d99 = pick(kind, rate, 'direct', 'lat_p99_us');
    const f50 = pick(kind, rate, 'flowgate', 'lat_p50_us'), f99 = pick(kind, rate, 'flowgate', 'lat_p99_us');
    const p50 = pick(kind, rate, 'portkey', 'lat_p50_us'), p99 = pick(kind, rate, 'portkey', 'lat_p99_us');
    const ttfb = pick(kind, rate, 'flowgate', 'ttfb_p50_us') - pick(kind, rate, 'direct', 'ttfb_p50_us');
    const ratio = (p99 - d99) / Math.max(1, f99 - d99);
    console.log(`| ${kind} | ${rate} | ${us(d50)}/${us(d99)} | ${us(f50)}/${us(f99)} | ${us(p50)}/${us(p99)} | ` +
      `${us(f50 - d50)}/${us(f99 - d99)} | ${us(p50 - d50)}/${us(p99 - d99)} | ${us(ttfb)} | ${ratio.toFixed(1)}× |`);
  }
}
for (const r of rows.filter((x) => x.kind === 'hold'))
  console.log(`\n${r.held} slow streams held open through flowgate: RSS ${r.rss_before_kib} → ${r.rss_after_kib} KiB, ` +
    `${r.kib_per_stream.toFixed(1)} KiB per open stream (${r.errors} errors).`);
