import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBuiltServer } from '../helpers/mcp-client.js';
import { TOOLS } from '../../src/tools.js';
import { sampleCalls } from './samples/index.js';

describe('MCP server over stdio (built dist/cli.js mcp)', () => {
  let session: Awaited<ReturnType<typeof connectBuiltServer>>;
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'perfeng-e2e-'));
    session = await connectBuiltServer({ cwd: workDir, env: { PERFENG_PROJECT_DIR: workDir } });
  });
  afterAll(async () => {
    await session?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('identifies itself and lists tools with plain-object input schemas and output schemas', async () => {
    expect(session.client.getServerVersion()?.name).toBe('perfeng');
    const { tools } = await session.client.listTools();
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.description?.length ?? 0).toBeGreaterThan(80);
      expect(tool.annotations).toBeDefined();
    }
  });

  it('every listed tool returns structuredContent that matches its outputSchema, with a text summary', async () => {
    const { tools } = await session.client.listTools();
    for (const tool of tools) {
      const sample = sampleCalls[tool.name];
      expect(sample, `no sample call for tool ${tool.name} in test/mcp/samples`).toBeDefined();
      const args = await sample!.setup(workDir);
      try {
        // The client validates structuredContent against the tool's outputSchema itself.
        const result = await session.client.callTool({ name: tool.name, arguments: args }, undefined, { timeout: 120_000 });
        expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
        expect(result.structuredContent).toBeTypeOf('object');
        // What Claude Code hands the model: JSON.stringify(structuredContent), summary first.
        const seen = JSON.stringify(result.structuredContent);
        expect(Object.keys(result.structuredContent!)[0], tool.name).toBe('summary');
        expect(String((result.structuredContent as { summary?: unknown }).summary).length, tool.name).toBeLessThanOrEqual(700);
        expect(seen.length, tool.name).toBeLessThanOrEqual(TOOLS.find((t) => t.name === tool.name)!.budget);
        const text = (result.content as Array<{ type: string; text?: string }>).find((c) => c.type === 'text')?.text ?? '';
        expect(text.length).toBeGreaterThan(0);
        expect(text.length).toBeLessThan(40_000);
      } finally {
        await sample!.teardown?.();
      }
    }
  });

  it('answers tools/list exactly as the live server computes it (the build-time manifest is not stale)', async () => {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
    const { createServer } = await import('../../src/mcp/server.js');
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createServer().connect(serverSide);
    const live = new Client({ name: 'live', version: '0' });
    await live.connect(clientSide);
    const expected = await live.listTools();
    await live.close();
    expect((await session.client.listTools()).tools).toEqual(expected.tools);
  });

  it('turns bad arguments into an isError result that names the field, for every tool, and keeps running', async () => {
    const { tools } = await session.client.listTools();
    for (const tool of tools) {
      // A number where every tool's input is an object of named fields: always invalid.
      const result = await session.client.callTool({ name: tool.name, arguments: { __unknown: 1, url: 42, sql: 42, command: 42, baseline: 42 } });
      expect(result.isError, `${tool.name} accepted bad arguments`).toBe(true);
      const text = (result.content as Array<{ text?: string }>)[0]?.text ?? '';
      expect(text, tool.name).toMatch(/invalid|expected|must|refus|unknown/i);
      expect(text, tool.name).not.toMatch(/\n\s+at /); // no stack trace
    }
    const again = await session.client.listTools();
    expect(again.tools.map((t) => t.name)).toEqual(tools.map((t) => t.name));
  });
});
