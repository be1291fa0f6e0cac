import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UserError } from '../../src/common/errors.js';
import { defineTool, type AnyTool } from '../../src/common/tool.js';
import { createServer } from '../../src/mcp/server.js';
import { TOOLS } from '../../src/tools.js';
import { TOOL_NAMES } from '../../src/tool-names.js';

// A test-only tool exercising the registry machinery every real tool uses. In-memory
// transport: the stdio path is covered by e2e.test.ts and contract.test.ts against the built server.
const input = z.object({
  mode: z.enum(['ok', 'bad-input', 'crash', 'slow', 'huge']).default('ok').describe('what the tool should do'),
  steps: z.number().int().min(1).max(50).default(3),
});
const output = z.object({ done: z.number(), items: z.array(z.object({ i: z.number(), text: z.string() })), warnings: z.array(z.string()) });

let stopped = false;
const machinery = defineTool({
  name: 'machinery' as never,
  title: 'Machinery',
  description: 'Exercises progress, cancellation, errors and the result-size guard of the registry.',
  input,
  output,
  annotations: { readOnlyHint: true, openWorldHint: false },
  budget: 6000,
  verdict: (result) => ({ verdict: result.done > 0 ? 'DONE' : 'NOTHING', failed: false }),
  async run(args, context) {
    if (args.mode === 'bad-input') throw new UserError('steps must be even', 'pass an even number');
    if (args.mode === 'crash') throw new TypeError('boom');
    if (args.mode === 'huge') {
      const items = Array.from({ length: 5000 }, (_, i) => ({ i, text: 'x'.repeat(40) }));
      return { structured: { done: 1, items, warnings: [] }, summary: 'huge result' };
    }
    for (let step = 1; step <= args.steps; step++) {
      if (context.signal.aborted) {
        stopped = true;
        throw new Error('aborted');
      }
      context.report(step, args.steps, `step ${step}`);
      await new Promise((r) => setTimeout(r, args.mode === 'slow' ? 400 : 1050));
    }
    return { structured: { done: args.steps, items: [], warnings: [] }, summary: `DONE — ${args.steps} steps` };
  },
});

function makeServer() {
  return createServer({ tools: [machinery as AnyTool] });
}

let client: Client | undefined;
async function connect(): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await makeServer().connect(serverSide);
  client = new Client({ name: 't', version: '0' });
  await client.connect(clientSide);
  return client;
}
afterEach(async () => {
  await client?.close();
  stopped = false;
});

describe('registry', () => {
  it('returns structuredContent plus the text summary, and sends progress when asked', async () => {
    const c = await connect();
    const progress: Array<{ progress: number; total?: number; message?: string }> = [];
    const result = await c.callTool({ name: 'machinery', arguments: { steps: 3 } }, undefined, { onprogress: (p) => progress.push(p) });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ done: 3, verdict: 'DONE' });
    expect(Object.keys(result.structuredContent!)[0]).toBe('summary');
    expect((result.content as Array<{ text: string }>)[0]!.text).toBe('DONE — 3 steps');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatchObject({ progress: 1, total: 3, message: 'step 1' });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
  });

  it('names an unknown input key, at the root and nested, instead of dropping it', async () => {
    const c = await connect();
    const bad = await c.callTool({ name: 'machinery', arguments: { steps: 1, stpes: 2 } });
    expect(bad.isError).toBe(true);
    expect((bad.content as Array<{ text: string }>)[0]!.text).toMatch(/does not know the input key "stpes"/);
  });

  it('lists exactly the tools named in src/tool-names.ts, in that order', () => {
    expect(TOOLS.map((t) => t.name)).toEqual([...TOOL_NAMES]);
  });

  it('applies schema defaults and rejects bad arguments as isError', async () => {
    const c = await connect();
    const bad = await c.callTool({ name: 'machinery', arguments: { steps: 0 } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toMatch(/steps/);
  });

  it('turns a UserError into an actionable isError result, and a crash into a bug report; the server keeps serving', async () => {
    const c = await connect();
    const user = await c.callTool({ name: 'machinery', arguments: { mode: 'bad-input' } });
    expect(user.isError).toBe(true);
    expect((user.content as Array<{ text: string }>)[0]!.text).toBe('machinery: steps must be even — pass an even number');
    const crash = await c.callTool({ name: 'machinery', arguments: { mode: 'crash' } });
    expect(crash.isError).toBe(true);
    expect((crash.content as Array<{ text: string }>)[0]!.text).toMatch(/failed unexpectedly: boom/);
    const ok = await c.callTool({ name: 'machinery', arguments: { steps: 1 } });
    expect(ok.isError).toBeFalsy();
  });

  it('passes cancellation to the handler through the abort signal', async () => {
    const c = await connect();
    const controller = new AbortController();
    const call = c.callTool({ name: 'machinery', arguments: { mode: 'slow', steps: 20 } }, undefined, { signal: controller.signal });
    setTimeout(() => controller.abort(), 500);
    await expect(call).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 600));
    expect(stopped).toBe(true);
  });

  it('shrinks an oversized result and says so', async () => {
    const c = await connect();
    const result = await c.callTool({ name: 'machinery', arguments: { mode: 'huge' } });
    expect(JSON.stringify(result.structuredContent).length).toBeLessThanOrEqual(6000);
    const structured = result.structuredContent as { items: unknown[]; warnings: string[] };
    expect(structured.items.length).toBeGreaterThan(0);
    expect(structured.warnings.join(' ')).toMatch(/shortened/);
    expect((result.content as Array<{ text: string }>)[0]!.text).toMatch(/shortened/);
  });
});
