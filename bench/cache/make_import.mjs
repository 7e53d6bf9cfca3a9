// Writes a flowgate cache file with N exact and N semantic entries (vectors
// of DIM floats clustered around 1,000 topics), plus the semantic entry for one real prompt
// whose embedding is given on the command line (from /v1/embeddings), so
// lookups of that prompt hit among N others.
//   node make_import.mjs N DIM EMBEDDING_JSON_FILE > file.json
import { readFileSync } from 'node:fs';

const n = Number(process.argv[2] || 100000);
const dim = Number(process.argv[3] || 256);
const real = JSON.parse(readFileSync(process.argv[4], 'utf8')).data[0].embedding;
let seed = 42;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
// clustered like real embeddings: one of 1,000 topic centroids plus noise
const centroids = Array.from({ length: 1000 }, () => Array.from({ length: dim }, rnd));
const out = process.stdout;
out.write('{"flowgate_cache": 1, "entries": [\n');
const answer = 'An answer of a realistic length, a sentence or two that the model produced once.';
for (let i = 0; i < n; i++) {
  out.write(JSON.stringify({ mode: 'exact', node_id: `node-${i % 100}`, prompt: `What is the answer to question ${i}?`,
    completion: answer, model: 'mock', gen_ms: 800 }) + ',\n');
  const c = centroids[Math.floor((rnd() + 0.5) * 1000) % 1000];
  const v = c.map((x) => Number((x + 0.5 * rnd()).toFixed(4)));
  out.write(JSON.stringify({ mode: 'semantic', node_id: 'geo', prompt: `random question ${i}`,
    embedding: v, completion: answer, gen_ms: 800 }) + ',\n');
}
out.write(JSON.stringify({ mode: 'semantic', node_id: 'geo', prompt: 'what is the capital city of france',
  embedding: real, completion: 'Paris.', gen_ms: 800 }) + '\n]}\n');
