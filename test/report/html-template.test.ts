import { describe, expect, it } from 'vitest';
import { html, htmlList, joinHtml, renderHtmlTable, renderPage, trustedHtml } from '../../src/report/html.js';
import { renderReport } from '../../src/query/render.js';

const hostile = `<img src=x onerror="alert('x')">&`;
const escaped = '&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;';

describe('html tagged template', () => {
  it('escapes every interpolated value unless it is markup already', () => {
    expect(html`<p title="${hostile}">${hostile}</p>`.markup).toBe(`<p title="${escaped}">${escaped}</p>`);
    expect(html`<div>${html`<b>${hostile}</b>`}</div>`.markup).toBe(`<div><b>${escaped}</b></div>`);
    expect(html`<i>${trustedHtml('<svg/>')}</i>`.markup).toBe('<i><svg/></i>');
  });
  it('joins arrays, drops nullish and false, prints numbers and zero', () => {
    expect(html`${['<a>', html`<br>`, null, undefined, false, 0, 1.5]}`.markup).toBe('&lt;a&gt;<br>01.5');
    expect(joinHtml([html`<code>a</code>`, '<b>'], ', ').markup).toBe('<code>a</code>, &lt;b&gt;');
    expect(htmlList(['x<y'], 'bad').markup).toBe('<ul class="bad"><li>x&lt;y</li></ul>');
  });
  it('escapes table cells and page fields, keeps Html cells', () => {
    const table = renderHtmlTable(['h<'], [[hostile], [html`<span class="ok">ok</span>`]], [0]).markup;
    expect(table).toContain(`<td class="num">${escaped}</td>`);
    expect(table).toContain('<td class="num"><span class="ok">ok</span></td>');
    const page = renderPage({
      title: hostile,
      verdict: { status: 'info', text: hostile },
      stats: [[hostile, hostile]],
      sections: [{ title: hostile, id: hostile, html: html`${hostile}` }],
      scripts: ['var a = "</script><b>";'],
    });
    expect(page).not.toContain('<img');
    expect(page).toContain('var a = "<\\/script><b>";');
  });
  it('keeps a SQL text from a query report inert', () => {
    const page = renderReport(
      {
        dialect: 'postgres',
        statementKind: 'select',
        findings: [],
        indexSuggestions: [],
        nPlusOne: [],
        lint: [],
        warnings: [hostile],
        plan: { compact: hostile },
        artifacts: {},
      } as never,
      undefined,
      `SELECT '${hostile}'`,
      { status: 'info', headline: hostile } as never,
    );
    expect(page).not.toMatch(/<img/);
    expect(page).toContain(escaped);
  });
});
