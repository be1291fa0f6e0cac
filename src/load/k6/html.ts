import { createRequire } from 'node:module';
import type * as CheerioModule from 'cheerio';
import type { Cheerio, CheerioAPI } from 'cheerio';
import { type AnyNode, type Element as DomElement, hasChildren, isComment, isDocument, isTag, isText } from 'domhandler';

/**
 * k6/html on cheerio: `parseHTML(src)` and `res.html([selector])` give k6's Selection (a
 * read-only, jQuery-like API); `each` hands its callback k6's Element (DOM-like methods), `map`,
 * `filter` and `is` hand theirs a Selection, as k6 does. k6 parses with goquery (a spec HTML
 * parser); cheerio's default parser (parse5) is one too, so the same markup gives the same tree.
 * Element names follow goquery: lower-case tag names, `#text`, `#comment`, `#document`.
 */

let cheerio: typeof CheerioModule | undefined;

/**
 * cheerio takes ~140 ms to import: the runner loads it before the run when a script uses HTML,
 * so no VU waits on it mid-run (which would show as a latency spike in every other VU).
 */
export async function preloadHtml(): Promise<void> {
  cheerio ??= await import('cheerio');
}

/** Whether a script's source may need k6/html (a preload hint only: a miss loads it on first use). */
export function mayUseHtml(source: string): boolean {
  return /\bk6\/html\b|\.html\s*\(/.test(source);
}

function cheerioNow(): typeof CheerioModule {
  cheerio ??= createRequire(import.meta.url)('cheerio') as typeof CheerioModule;
  return cheerio;
}

export function parseHTML(src: unknown): Selection {
  const $ = cheerioNow().load(typeof src === 'string' ? src : String(src ?? ''));
  return new Selection($, $.root());
}

type Filter = string | Selection | ((index: number, selection: Selection) => unknown);

export class Selection {
  constructor(
    private readonly $: CheerioAPI,
    private readonly sel: Cheerio<AnyNode>,
  ) {}

  private wrap(sel: Cheerio<AnyNode>): Selection {
    return new Selection(this.$, sel);
  }

  private filterFunction(filter: Filter): string | Cheerio<AnyNode> | ((index: number, node: AnyNode) => boolean) {
    if (typeof filter === 'string') return filter;
    if (filter instanceof Selection) return filter.sel;
    return (index, node) => Boolean(filter(index, this.wrap(this.$(node))));
  }

  attr(name: string, fallback?: unknown): unknown {
    return this.sel.attr(name) ?? fallback;
  }
  children(selector?: string): Selection {
    return this.wrap(this.sel.children(selector));
  }
  closest(selector: string): Selection {
    return this.wrap(this.sel.closest(selector));
  }
  contents(): Selection {
    return this.wrap(this.sel.contents());
  }
  data(key?: string): unknown {
    return key === undefined ? this.sel.data() : this.sel.data(key);
  }
  each(fn: (index: number, element: Element) => unknown): Selection {
    this.sel.each((index, node) => {
      fn(index, new Element(this.$, node));
    });
    return this;
  }
  eq(index: number): Selection {
    return this.wrap(this.sel.eq(index));
  }
  filter(filter: Filter): Selection {
    return this.wrap(this.sel.filter(this.filterFunction(filter)));
  }
  find(selector: string): Selection {
    return this.wrap(this.sel.find(selector));
  }
  first(): Selection {
    return this.wrap(this.sel.first());
  }
  get(index: number): Element | undefined {
    const node = this.sel.get(index);
    return node ? new Element(this.$, node) : undefined;
  }
  has(selector: string): Selection {
    return this.wrap(this.sel.has(selector));
  }
  html(): string | undefined {
    return this.sel.html() ?? undefined;
  }
  is(filter: Filter): boolean {
    return this.sel.is(this.filterFunction(filter));
  }
  last(): Selection {
    return this.wrap(this.sel.last());
  }
  map(fn: (index: number, selection: Selection) => unknown): unknown[] {
    return this.sel.toArray().map((node, index) => fn(index, this.wrap(this.$(node))));
  }
  next(selector?: string): Selection {
    return this.wrap(this.sel.next(selector));
  }
  nextAll(selector?: string): Selection {
    return this.wrap(this.sel.nextAll(selector));
  }
  nextUntil(selector?: string, filter?: string): Selection {
    return this.wrap(this.sel.nextUntil(selector, filter));
  }
  not(filter: Filter): Selection {
    return this.wrap(this.sel.not(this.filterFunction(filter)));
  }
  parent(selector?: string): Selection {
    return this.wrap(this.sel.parent(selector));
  }
  parents(selector?: string): Selection {
    return this.wrap(this.sel.parents(selector));
  }
  parentsUntil(selector?: string, filter?: string): Selection {
    return this.wrap(this.sel.parentsUntil(selector, filter));
  }
  prev(selector?: string): Selection {
    return this.wrap(this.sel.prev(selector));
  }
  prevAll(selector?: string): Selection {
    return this.wrap(this.sel.prevAll(selector));
  }
  prevUntil(selector?: string, filter?: string): Selection {
    return this.wrap(this.sel.prevUntil(selector, filter));
  }
  serialize(): string {
    return this.sel.serialize();
  }
  serializeArray(): Array<{ name: string; value: string }> {
    return this.sel.serializeArray();
  }
  /** name → value; a name that occurs more than once (checkboxes, multiple selects) → its values. */
  serializeObject(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const { name, value } of this.sel.serializeArray()) {
      const seen = out[name];
      out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    }
    return out;
  }
  size(): number {
    return this.sel.length;
  }
  slice(start: number, end?: number): Selection {
    return this.wrap(this.sel.slice(start, end));
  }
  text(): string {
    return this.sel.text();
  }
  toArray(): Selection[] {
    return this.sel.toArray().map((node) => this.wrap(this.$(node)));
  }
  val(): unknown {
    return this.sel.val();
  }
}

const NODE_TYPE = { element: 1, text: 3, comment: 8, document: 9 } as const;

export class Element {
  constructor(
    private readonly $: CheerioAPI,
    private readonly node: AnyNode,
  ) {}

  private element(): DomElement | undefined {
    return isTag(this.node) ? this.node : undefined;
  }
  private of(node: AnyNode | null | undefined): Element | undefined {
    return node ? new Element(this.$, node) : undefined;
  }
  private childList(): AnyNode[] {
    return hasChildren(this.node) ? this.node.children : [];
  }
  private elementChildren(): DomElement[] {
    return this.childList().filter(isTag);
  }

  selection(): Selection {
    return new Selection(this.$, this.$(this.node));
  }
  nodeName(): string {
    if (isTag(this.node)) return this.node.name;
    if (isText(this.node)) return '#text';
    if (isComment(this.node)) return '#comment';
    return isDocument(this.node) ? '#document' : '';
  }
  nodeType(): number | undefined {
    if (isTag(this.node)) return NODE_TYPE.element;
    if (isText(this.node)) return NODE_TYPE.text;
    if (isComment(this.node)) return NODE_TYPE.comment;
    return isDocument(this.node) ? NODE_TYPE.document : undefined;
  }
  nodeValue(): string | undefined {
    return isText(this.node) || isComment(this.node) ? this.node.data : undefined;
  }
  id(): string {
    return this.element()?.attribs.id ?? '';
  }
  className(): string {
    return this.element()?.attribs.class ?? '';
  }
  classList(): string[] {
    return this.className().split(/\s+/).filter(Boolean);
  }
  lang(): string {
    return this.element()?.attribs.lang ?? '';
  }
  innerHTML(): string {
    return this.$(this.node).html() ?? '';
  }
  textContent(): string {
    return this.$(this.node).text();
  }
  toString(): string {
    return this.$.html(this.node);
  }
  attributes(): Record<string, { name: string; value: string; localName: string; nodeName: string; nodeValue: string }> {
    const out: ReturnType<Element['attributes']> = {};
    for (const [name, value] of Object.entries(this.element()?.attribs ?? {})) out[name] = { name, value, localName: name, nodeName: name, nodeValue: value };
    return out;
  }
  hasAttribute(name: string): boolean {
    return this.element()?.attribs[name] !== undefined;
  }
  getAttribute(name: string): string | undefined {
    return this.element()?.attribs[name];
  }
  getAttributeNode(name: string): { name: string; value: string } | undefined {
    const value = this.getAttribute(name);
    return value === undefined ? undefined : { name, value };
  }
  hasAttributes(): boolean {
    return Object.keys(this.element()?.attribs ?? {}).length > 0;
  }
  hasChildNodes(): boolean {
    return this.childList().length > 0;
  }
  childNodes(): Element[] {
    return this.childList().map((node) => new Element(this.$, node));
  }
  children(): Element[] {
    return this.elementChildren().map((node) => new Element(this.$, node));
  }
  childElementCount(): number {
    return this.elementChildren().length;
  }
  firstChild(): Element | undefined {
    return this.of(this.childList()[0]);
  }
  lastChild(): Element | undefined {
    return this.of(this.childList().at(-1));
  }
  firstElementChild(): Element | undefined {
    return this.of(this.elementChildren()[0]);
  }
  lastElementChild(): Element | undefined {
    return this.of(this.elementChildren().at(-1));
  }
  previousSibling(): Element | undefined {
    return this.of(this.node.prev);
  }
  nextSibling(): Element | undefined {
    return this.of(this.node.next);
  }
  previousElementSibling(): Element | undefined {
    let node = this.node.prev;
    while (node && !isTag(node)) node = node.prev;
    return this.of(node);
  }
  nextElementSibling(): Element | undefined {
    let node = this.node.next;
    while (node && !isTag(node)) node = node.next;
    return this.of(node);
  }
  parentNode(): Element | undefined {
    return this.of(this.node.parent);
  }
  parentElement(): Element | undefined {
    const parent = this.node.parent;
    return parent && isTag(parent) ? this.of(parent) : undefined;
  }
  ownerDocument(): Element | undefined {
    let node: AnyNode = this.node;
    while (node.parent) node = node.parent;
    return isDocument(node) ? this.of(node) : undefined;
  }
  isSameNode(other: unknown): boolean {
    return other instanceof Element && other.node === this.node;
  }
  isEqualNode(other: unknown): boolean {
    return other instanceof Element && this.$.html(other.node) === this.$.html(this.node);
  }
  contains(other: unknown): boolean {
    return other instanceof Element && this.$.contains(this.node, other.node);
  }
  matches(selector: string): boolean {
    return this.$(this.node).is(selector);
  }
  querySelector(selector: string): Element | undefined {
    return this.of(this.$(this.node).find(selector).get(0));
  }
  querySelectorAll(selector: string): Element[] {
    return this.$(this.node)
      .find(selector)
      .toArray()
      .map((node) => new Element(this.$, node));
  }
  getElementsByClassName(name: string): Element[] {
    return this.querySelectorAll(`.${cssEscape(name)}`);
  }
  getElementsByTagName(name: string): Element[] {
    return this.querySelectorAll(cssEscape(name));
  }
}

/** A class or tag name as one CSS identifier (what `CSS.escape` does; Node has no CSS global). */
function cssEscape(name: string): string {
  return name.replace(/[^\w-]/g, (c) => `\\${c.codePointAt(0)?.toString(16) ?? ''} `);
}
