import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript, writeFiles } from './k6-helpers.js';
import { startServer, type TestServer } from './servers.js';

const PAGE = `<!doctype html><html lang="en"><head><title>Sign in</title></head><body>
<form action="/login" method="post"><input type="hidden" name="csrf" value="tok-{N}"><input name="user" value="ann">
<input type="checkbox" name="opt" value="a" checked><input type="checkbox" name="opt" value="b" checked><input type="checkbox" name="opt" value="c">
<select name="size"><option value="s">S</option><option value="m" selected>M</option></select><textarea name="note">hi</textarea></form>
<dl><dt id="t1">term 1</dt><dd>d 1-a</dd><dd>d 1-b</dd><!-- c --><dt id="t2" class="x y">term 2</dt><dd>d <b>2-a</b></dd></dl>
<a href="/next?p=2">next</a><div data-id="42" data-cfg='{"a":1}'>data</div></body></html>`;

// The login flow k6's docs show (a CSRF token scraped from the form, then posted back) and the
// Selection/Element API a k6 user reaches for, against a real server, through our engine.
describe('k6/html: res.html() and parseHTML', () => {
  let dir: string;
  let server: TestServer;
  let issued = 0;
  const accepted = new Set<string>();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perfeng-k6-html-'));
    server = await startServer((req, res) => {
      if (req.method === 'POST') {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const token = new URLSearchParams(body).get('csrf') ?? '';
          res.statusCode = token.startsWith('tok-') ? 200 : 403;
          if (token.startsWith('tok-')) accepted.add(token);
          res.end(res.statusCode === 200 ? 'welcome' : 'denied');
        });
        return;
      }
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(PAGE.replace('{N}', String(++issued)));
    });
    await writeFiles(dir, {
      'login.js': `import http from 'k6/http';
import { parseHTML } from 'k6/html';
import { check } from 'k6';
export const options = { vus: 2, iterations: 6, thresholds: { checks: ['rate==1'] } };
export default function () {
  const page = http.get('${server.url}');
  const csrf = page.html().find('input[name=csrf]').attr('value');
  const res = http.post('${server.url}/login', { csrf, user: page.html('form').serializeObject().user });
  check(res, { 'signed in': (r) => r.status === 200 && r.body === 'welcome' });
  if (__ITER === 0 && __VU === 1) {
    const doc = page.html();
    const names = [];
    doc.find('dl').children().each((i, el) => names.push(el.nodeName() + (el.id() ? '#' + el.id() : '') + ':' + el.textContent()));
    const t2 = doc.find('#t2').get(0);
    console.log(JSON.stringify({
      title: doc.find('title').text(),
      lang: doc.find('html').attr('lang'),
      form: page.html('form').serializeObject(),
      serialized: doc.find('form').serialize(),
      terms: doc.find('dt').map((i, s) => s.text()),
      names,
      size: doc.find('select').val(),
      note: doc.find('textarea').val(),
      data: doc.find('div').data(),
      href: doc.find('a').attr('href'),
      fallback: doc.find('nope').attr('x', 'none'),
      count: doc.find('dd').size(),
      inner: doc.find('dd').last().html(),
      after: doc.find('dt').eq(1).nextAll('dd').text(),
      filtered: doc.find('dd').filter((i, s) => s.text().includes('1-')).size(),
      is: [doc.find('#t1').is('dt'), doc.find('#t1').is('dd')],
      t2: [t2.className(), t2.classList(), t2.previousElementSibling().textContent(), t2.parentElement().nodeName(), t2.getAttribute('id'), t2.hasAttribute('title')],
      comment: doc.find('dl').contents().filter((i, s) => s.get(0).nodeType() === 8).size(),
      parsed: parseHTML('<ul><li>a</li><li>b</li></ul>').find('li').toArray().map((s) => s.text()),
    }));
  }
}
`,
      'submits.js': `import http from 'k6/http';
export default function () {
  const res = http.get('${server.url}');
  res.submitForm({ formSelector: 'form' });
}
`,
    });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('scrapes the CSRF token per iteration and posts it back; the Selection and Element API answers as k6 does', async () => {
    const { structured } = await runScript(dir, { script: 'login.js' });
    expect(structured.passed, JSON.stringify(structured.warnings)).toBe(true);
    expect(structured.checks).toEqual([{ name: 'signed in', passes: 6, fails: 0 }]);
    expect(accepted.size).toBe(6); // a fresh token read from each page
    const log = await readFile(join(structured.artifacts.dir, 'console.log'), 'utf8');
    const seen = JSON.parse(log.slice(log.indexOf('{')));
    expect(seen).toEqual({
      title: 'Sign in',
      lang: 'en',
      form: { csrf: expect.stringMatching(/^tok-\d+$/), user: 'ann', opt: ['a', 'b'], size: 'm', note: 'hi' },
      serialized: expect.stringMatching(/^csrf=tok-\d+&user=ann&opt=a&opt=b&size=m&note=hi$/),
      terms: ['term 1', 'term 2'],
      names: ['dt#t1:term 1', 'dd:d 1-a', 'dd:d 1-b', 'dt#t2:term 2', 'dd:d 2-a'],
      size: 'm',
      note: 'hi',
      data: { id: 42, cfg: { a: 1 } },
      href: '/next?p=2',
      fallback: 'none',
      count: 3,
      inner: 'd <b>2-a</b>',
      after: 'd 2-a',
      filtered: 2,
      is: [true, false],
      t2: ['x y', ['x', 'y'], 'd 1-b', 'dl', 't2', false],
      comment: 1,
      parsed: ['a', 'b'],
    });
  });

  it('refuses res.submitForm() before the run, naming the line and the way round it', async () => {
    const before = server.requests;
    await expect(runScript(dir, { script: 'submits.js' })).rejects.toThrow(/submits\.js:4: res\.submitForm\(\) is not supported here/);
    expect(server.requests).toBe(before);
  });
});
