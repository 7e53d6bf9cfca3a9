// A synthetic site for the fetch benchmarks: PAGES pages of about 4 KiB, each
// linking to the next five (so a breadth-first crawl reaches all of them), a
// robots.txt, and /json answering {"ok":true} for http:invoke.
// Usage: node site.mjs PAGES   (prints "listening PORT")
import http from 'node:http';

const pages = Number(process.argv[2] || 2000);
const filler = '<p>' + 'lorem ipsum dolor sit amet '.repeat(140) + '</p>';
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/robots.txt') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('User-agent: *\nDisallow: /nowhere/\n');
  }
  if (url.pathname === '/json') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end('{"ok":true}');
  }
  const m = url.pathname.match(/^\/p\/(\d+)\.html$/);
  const n = m ? Number(m[1]) : -1;
  if (n < 0 || n >= pages) { res.writeHead(404); return res.end(); }
  let links = '';
  for (let k = 1; k <= 5; k++) if (n * 5 + k < pages) links += `<a href="/p/${n * 5 + k}.html">page ${n * 5 + k}</a> `;
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(`<html><head><title>Page ${n}</title></head><body><h1>Page ${n}</h1>${filler}${links}</body></html>`);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
