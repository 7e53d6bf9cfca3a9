// flowgate crawl against a local test site: depth, robots.txt, patterns,
// skipped extensions, other hosts, page limit on an endless calendar, redirect
// loops, enormous pages, re-crawls that skip unchanged pages, and the address
// policy refusing loopback unless allowed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './lib.mjs';

let server, base, dir;
const requests = [];
const pages = {
  '/index.html': `<html><head><title>Home</title></head><body>
    <a href="a.html">Page A</a> <a href="/b.html#section">B</a>
    <a href="private/p.html">private</a> <a href="doc.pdf">a PDF</a>
    <a href="skip-me.html">skip</a> <a href="http://other.invalid/x.html">other host</a>
    <a href="mailto:someone@example.com">mail</a> <a href="a.html">A again</a></body></html>`,
  '/a.html': '<p>A</p><a href="c.html">C</a><a href="index.html">home</a>',
  '/b.html': '<p>B</p>',
  '/c.html': '<p>C</p><a href="d.html">D</a>',
  '/d.html': '<p>D</p>',
  '/private/p.html': '<p>private</p>',
  '/skip-me.html': '<p>skipped</p>',
};
let bVersion = 1;
let inFlight = 0, maxInFlight = 0;
const arrivals = [];

function handler(req, res) {
  const url = new URL(req.url, 'http://x');
  requests.push(url.pathname + url.search);
  if (req.headers.host.startsWith('localhost') && url.pathname === '/robots.txt') {
    res.writeHead(301, { location: '/policies/robots-moved.txt' }); // followed, as RFC 9309 asks
    return res.end();
  }
  if (url.pathname === '/policies/robots-moved.txt') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('User-agent: flowgate-crawler\nDisallow: /a.html\n');
  }
  if (url.pathname === '/robots.txt') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('User-agent: *\nDisallow: /private/\n');
  }
  if (url.pathname.startsWith('/slow/')) { // concurrency: each answer takes 100 ms
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const links = url.pathname === '/slow/index.html'
      ? Array.from({ length: 8 }, (_, i) => `<a href="/slow/${i}.html">${i}</a>`).join('') : '';
    return setTimeout(() => {
      inFlight--;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<p>slow</p>${links}`);
    }, 100);
  }
  if (url.pathname.startsWith('/paced/')) { // per-site delay
    arrivals.push(Date.now());
    const links = url.pathname === '/paced/index.html' ? '<a href="1.html">1</a><a href="2.html">2</a><a href="3.html">3</a>' : '';
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end(`<p>paced</p>${links}`);
  }
  if (url.pathname === '/cal') { // an endless calendar
    const d = Number(url.searchParams.get('d') || 0);
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end(`<p>day ${d}</p><a href="/cal?d=${d + 1}">next</a>`);
  }
  if (url.pathname === '/to-localhost') { // a redirect to a name that resolves to loopback
    res.writeHead(302, { location: base.replace('127.0.0.1', 'localhost') + '/b.html' });
    return res.end();
  }
  if (url.pathname === '/loop1' || url.pathname === '/loop2') {
    res.writeHead(302, { location: url.pathname === '/loop1' ? '/loop2' : '/loop1' });
    return res.end();
  }
  if (url.pathname === '/big') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end('<p>' + 'x'.repeat(3 * 1024 * 1024) + '</p>');
  }
  if (url.pathname === '/traps.html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end('<a href="/loop1">loop</a><a href="/big">big</a><a href="/image.png">img</a>');
  }
  if (url.pathname === '/image.png') {
    res.writeHead(200, { 'content-type': 'image/png' });
    return res.end('PNG');
  }
  let body = pages[url.pathname];
  if (body === undefined) { res.writeHead(404); return res.end('not found'); }
  if (url.pathname === '/b.html') body = `<p>B version ${bVersion}</p>`;
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
  if (req.headers['if-none-match'] === etag) { res.writeHead(304, { etag }); return res.end(); }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', etag });
  res.end(body);
}

before(async () => {
  server = http.createServer(handler);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
  dir = mkdtempSync(join(tmpdir(), 'flowgate-crawl-'));
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function crawl(options, args = ['--allow-loopback']) {
  const file = join(dir, `crawl-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(options));
  return new Promise((resolve) => {
    execFile(BIN, ['crawl', file, ...args], { timeout: 60000 }, (err, stdout, stderr) => {
      const lines = stdout.trim().split('\n');
      const summary = Object.fromEntries(lines.at(-1).split(' ').map((kv) => kv.split('=')));
      resolve({ code: err ? err.code : 0, stdout, stderr, lines, summary,
        pages: lines.filter((l) => l.startsWith('page ')).map((l) => l.split(' ')),
        errors: lines.filter((l) => l.startsWith('error ')),
        unchanged: lines.filter((l) => l.startsWith('unchanged ')) });
    });
  });
}

test('depth, robots.txt, patterns, extensions and hosts decide what is crawled', async () => {
  requests.length = 0;
  const r = await crawl({ start_urls: [`${base}/index.html`], CRAWLER_DEPTH: 3,
    ROBOTSTXT_OBEY: true, blacklist_patterns: ['skip'], file_extensions: ['.pdf'] });
  assert.equal(r.code, 0, r.stderr);
  const got = r.pages.map((p) => [p[1], p[3].replace(base, '')]).sort();
  assert.deepEqual(got, [['1', '/index.html'], ['2', '/a.html'], ['2', '/b.html'], ['3', '/c.html']]);
  assert.ok(!requests.includes('/private/p.html'), 'robots.txt disallowed /private/');
  assert.ok(!requests.includes('/skip-me.html') && !requests.includes('/doc.pdf'));
  assert.ok(!requests.includes('/d.html'), 'depth 4 is beyond CRAWLER_DEPTH 3');
  assert.equal(requests.filter((p) => p === '/a.html').length, 1, 'a.html fetched once');
  assert.equal(requests.filter((p) => p === '/robots.txt').length, 1);
  assert.equal(r.summary.pages, '4');
});

test('a redirected robots.txt is followed', async () => {
  requests.length = 0;
  const local = base.replace('127.0.0.1', 'localhost');
  const r = await crawl({ start_urls: [`${local}/index.html`], CRAWLER_DEPTH: 2, blacklist_patterns: ['skip'] });
  const got = r.pages.map((p) => p[3].replace(local, '')).sort();
  assert.deepEqual(got, ['/b.html', '/index.html', '/private/p.html']);
  assert.ok(requests.includes('/policies/robots-moved.txt'));
  assert.ok(!requests.includes('/a.html'));
});

test('whitelist patterns must all occur; robots can be ignored', async () => {
  requests.length = 0;
  const r = await crawl({ start_urls: [`${base}/index.html`], CRAWLER_DEPTH: 2,
    ROBOTSTXT_OBEY: false, whitelist_patterns: ['127.0.0.1', 'a.html'] });
  const got = r.pages.map((p) => p[3].replace(base, '')).sort();
  assert.deepEqual(got, ['/a.html', '/index.html']);
  assert.ok(!requests.includes('/robots.txt'));
});

test('the page limit bounds an endless calendar', async () => {
  requests.length = 0;
  const r = await crawl({ start_urls: [`${base}/cal?d=0`], CRAWLER_DEPTH: 100, max_pages: 5 });
  assert.equal(r.pages.length, 5);
  assert.equal(requests.filter((p) => p.startsWith('/cal')).length, 5);
});

test('redirect loops, enormous pages and other content types are per-URL errors', async () => {
  const r = await crawl({ start_urls: [`${base}/traps.html`], CRAWLER_DEPTH: 2,
    max_page_bytes: 1048576 });
  assert.equal(r.code, 0);
  assert.equal(r.pages.length, 1);
  assert.ok(r.errors.some((e) => e.includes('/big') && e.includes('larger than 1048576')), r.stdout);
  assert.ok(r.errors.some((e) => e.includes('/image.png') && e.includes('image/png')), r.stdout);
  assert.ok(!r.pages.some((p) => p[3].includes('loop')));
});

test('a re-crawl reports unchanged pages and crawls changed ones', async () => {
  const out = join(dir, 'out');
  const opts = { start_urls: [`${base}/index.html`], CRAWLER_DEPTH: 2, blacklist_patterns: ['skip'] };
  const first = await crawl(opts, ['--allow-loopback', '--out', out]);
  assert.equal(first.pages.length, 3, first.stdout);
  const index = readFileSync(join(out, 'pages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(index.length, 3);
  const a = index.find((e) => e.url.endsWith('/a.html'));
  assert.equal(a.link_text, 'Page A');
  assert.deepEqual(a.links, [`${base}/c.html`, `${base}/index.html`]);
  assert.match(readFileSync(join(out, a.file), 'utf8'), /<p>A<\/p>/);
  requests.length = 0;
  bVersion++;
  const second = await crawl(opts, ['--allow-loopback', '--out', out]);
  assert.deepEqual(second.pages.map((p) => p[3].replace(base, '')), ['/b.html']);
  assert.equal(second.unchanged.length, 2, second.stdout);
  assert.equal(second.summary.unchanged, '2');
});

test('concurrency bounds the requests in flight', async () => {
  maxInFlight = 0;
  const r = await crawl({ start_urls: [`${base}/slow/index.html`], CRAWLER_DEPTH: 2, ROBOTSTXT_OBEY: false,
    custom_settings: { CONCURRENT_REQUESTS: 2 } });
  assert.equal(r.pages.length, 9);
  assert.equal(maxInFlight, 2);
});

test('requests to one site are spaced by the download delay', async () => {
  arrivals.length = 0;
  const r = await crawl({ start_urls: [`${base}/paced/index.html`], CRAWLER_DEPTH: 2, ROBOTSTXT_OBEY: false,
    concurrency: 4, custom_settings: { DOWNLOAD_DELAY: 0.3 } });
  assert.equal(r.pages.length, 4);
  // The crawler spaces request starts; arrivals at the server jitter with the
  // machine's load, so each gap gets some slack and the whole span less.
  for (let i = 1; i < arrivals.length; i++)
    assert.ok(arrivals[i] - arrivals[i - 1] >= 200, `gap ${arrivals[i] - arrivals[i - 1]} ms`);
  const span = arrivals[arrivals.length - 1] - arrivals[0];
  assert.ok(span >= 0.9 * 300 * (arrivals.length - 1), `span ${span} ms`);
});

test('loopback addresses are refused unless allowed', async () => {
  const r = await crawl({ start_urls: [`${base}/index.html`] }, []);
  assert.equal(r.pages.length, 0);
  assert.ok(r.errors[0].includes('loopback') && r.errors[0].includes('fetch.allow_loopback'), r.stdout);
});

test('a redirect cannot reach an address the policy refuses', async () => {
  const cfg = join(dir, 'allow-one-host.yaml');
  writeFileSync(cfg, 'fetch:\n  allow_hosts: [127.0.0.1]\n');
  requests.length = 0;
  const r = await crawl({ start_urls: [`${base}/to-localhost`], same_host: false, ROBOTSTXT_OBEY: false },
    ['--config', cfg]);
  assert.equal(r.pages.length, 0, r.stdout);
  assert.ok(r.errors.some((e) => e.includes('localhost') && e.includes('loopback')), r.stdout);
  assert.ok(!requests.includes('/b.html'));
});

test('invalid crawler options are refused with the key named', async () => {
  const r = await crawl({ start_urls: ['ftp://example.com/'] });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /start_urls\[0\]/);
});
