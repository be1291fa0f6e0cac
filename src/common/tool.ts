import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ToolName } from '../tool-names.js';
import type { RunContext, ToolOutcome } from './context.js';
import { UserError } from './errors.js';
import { trimToSize } from './result-size.js';
import { formatZodIssues } from './validate.js';

/**
 * One tool, defined once: its contract (name, schemas, annotations), the core it runs and the
 * rule that says whether a result is a failure. The MCP server, the CLI, the demo and the
 * hooks all go through the list in src/tools.ts; nothing else knows a tool's identity.
 *
 * What a client reads first is `summary`: Claude Code hands the model only
 * `JSON.stringify(structuredContent)` (it drops the text block), so `runTool` builds every
 * structured result as `{ summary, next?, verdict, ...the tool's own fields }`.
 */

/** At most this many characters in `summary`: the verdict word, 3-5 numbers, the run id. */
export const SUMMARY_MAX_CHARS = 700;
/** At most this many suggested follow-up calls in `next`. */
export const NEXT_MAX = 3;

/** The verdict of one result: a word the summary starts with, and whether it counts as failed (CLI exit 1). */
export interface ToolVerdict {
  /** One upper-case word or two: PASSED, FAILED, SLOW, IMPROVED, REGRESSED, IDLE, … */
  verdict: string;
  failed: boolean;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: ToolName;
  title: string;
  /** When to use the tool and what usually comes next; not how it works inside. */
  description: string;
  input: I;
  /** The tool's own result fields; `summary`, `next` and `verdict` are added in front by the registry. */
  output: O;
  annotations: ToolAnnotations;
  /** Characters of JSON.stringify(structuredContent) an ordinary call stays within. */
  budget: number;
  /** The core, given input the registry has validated. Import the core lazily: listing tools must stay fast. */
  run(input: z.output<I>, context: RunContext): Promise<ToolOutcome<z.output<O>>>;
  /** The one rule that turns a result into a verdict (MCP `verdict` field and CLI exit code alike). */
  verdict(result: z.output<O>): ToolVerdict;
  /**
   * What the agent reads first, built from the result: the verdict word, the 3-5 numbers that
   * matter (the registry appends the run id and cuts at 700 characters). Without it: the core's
   * brief, or the first paragraph of its text.
   */
  brief?(result: z.output<O>, input: z.output<I>, verdict: ToolVerdict): string;
  /** Up to three concrete follow-up calls (tool + key arguments) this result suggests, when the core gives none. */
  next?(result: z.output<O>, input: z.output<I>, runId: string | undefined): string[];
}

// biome-ignore lint/suspicious/noExplicitAny: a list of tools with different schemas
export type AnyTool = ToolDefinition<any, any>;

/** Identity function that fixes the types; the root of `input` becomes strict (unknown keys are errors). */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(definition: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return { ...definition, input: definition.input.strict() as unknown as I };
}

/** The fields every result starts with, in this order. */
const headShape = {
  summary: z.string().max(SUMMARY_MAX_CHARS).describe('verdict word first, then the numbers that matter and the run id'),
  next: z.array(z.string()).max(NEXT_MAX).optional().describe('suggested follow-up calls'),
  verdict: z.string().describe('PASSED, FAILED, SLOW, IMPROVED, REGRESSED, IDLE, …'),
};

/** The structured result as clients see it: summary, next, verdict, then the tool's own fields. */
export function resultSchemaOf(tool: AnyTool): z.ZodObject {
  const { summary: _s, next: _n, verdict: _v, ...rest } = tool.output.shape as Record<string, z.ZodType>;
  return z.object({ ...headShape, ...rest });
}

/** Drops JSON Schema noise an agent pays for in every conversation and never needs (the registry validates anyway). */
function leanJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(leanJsonSchema);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$schema') continue;
    // zod writes the safe-integer range on every .int(); it says nothing a client can use.
    if ((key === 'minimum' || key === 'maximum') && Math.abs(child as number) === Number.MAX_SAFE_INTEGER) continue;
    // JSON object keys are strings anyway; "not empty" is checked (and named) by the registry.
    if (key === 'propertyNames' && JSON.stringify(child) === '{"type":"string"}') continue;
    if ((key === 'minLength' || key === 'minItems') && child === 1) continue;
    if ((key === 'exclusiveMinimum' || key === 'minimum') && child === 0) continue;
    out[key] = leanJsonSchema(child);
  }
  // A union of bare types (a duration: string or number) says the same as a list of types.
  const anyOf = out.anyOf as Array<Record<string, unknown>> | undefined;
  if (anyOf?.every((o) => typeof o.type === 'string' && Object.keys(o).every((k) => k === 'type' || k === 'minimum'))) {
    delete out.anyOf;
    out.type = anyOf.map((o) => o.type);
  }
  return out;
}

/**
 * The second and later copies of the same sub-schema (the checks of `url` and of each request,
 * the same source shape for baseline, candidate and inputs) keep their structure but not their
 * prose: the first copy already said it.
 */
function withoutRepeatedProse(schema: unknown): unknown {
  const seen = new Set<string>();
  const stripDescriptions = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(stripDescriptions);
    if (!value || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (k === 'description' ? [] : [[k, stripDescriptions(v)]])));
  };
  const walk = (value: unknown, depth: number): unknown => {
    if (Array.isArray(value)) return value.map((v) => walk(v, depth));
    if (!value || typeof value !== 'object') return value;
    const { description, ...rest } = value as Record<string, unknown>;
    const key = JSON.stringify(stripDescriptions(rest));
    if (depth > 1 && key.length > 80) {
      if (seen.has(key)) return { ...(JSON.parse(key) as object), ...(description !== undefined ? { description } : {}) };
      seen.add(key);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, depth + 1)]));
  };
  return walk(schema, 0);
}

/** One entry of tools/list, computed from the definition (scripts/bundle.mjs stores it at build time). */
export function listEntryOf(tool: AnyTool): {
  name: string;
  title: string;
  description: string;
  inputSchema: { type: 'object'; [key: string]: unknown };
  outputSchema: { type: 'object'; [key: string]: unknown };
  annotations: ToolAnnotations;
} {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: withoutRepeatedProse(leanJsonSchema(z.toJSONSchema(tool.input, { io: 'input', target: 'draft-7' }))) as { type: 'object' },
    outputSchema: leanJsonSchema(z.toJSONSchema(resultSchemaOf(tool), { io: 'output', target: 'draft-7' })) as { type: 'object' },
    annotations: { title: tool.title, ...tool.annotations },
  };
}

/**
 * Keys of `value` that `schema` does not declare, as dotted paths. zod reports an unknown key
 * at the root of a strict object only; nested objects of other tools' schemas are plain
 * `z.object`s that silently drop them, so the walk covers every level.
 */
export function unknownKeys(schema: z.ZodType, value: unknown, path = ''): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: zod's internal definition differs per schema kind
  const def = (schema as any)._zod?.def;
  if (!def || value === undefined || value === null) return [];
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'nonoptional':
    case 'catch':
      return unknownKeys(def.innerType, value, path);
    case 'pipe':
      return unknownKeys(def.in, value, path);
    case 'array':
      return Array.isArray(value) ? value.flatMap((item, i) => unknownKeys(def.element, item, `${path}[${i}]`)) : [];
    case 'record':
      return typeof value === 'object' && !Array.isArray(value)
        ? Object.entries(value).flatMap(([k, v]) => unknownKeys(def.valueType, v, path ? `${path}.${k}` : k))
        : [];
    case 'union': {
      // The option that accepts the value decides which keys are known.
      const option = (def.options as z.ZodType[]).find((o) => o.safeParse(value).success);
      return option ? unknownKeys(option, value, path) : [];
    }
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [];
      const shape = def.shape as Record<string, z.ZodType>;
      const open = def.catchall && def.catchall._zod.def.type !== 'never';
      const found: string[] = [];
      for (const [k, v] of Object.entries(value)) {
        const at = path ? `${path}.${k}` : k;
        if (shape[k]) found.push(...unknownKeys(shape[k], v, at));
        else if (!open) found.push(at);
      }
      return found;
    }
    default:
      return [];
  }
}

/** Validates raw input once, at the edge: unknown keys first (named), then zod's checks. */
export function parseToolInput<I extends z.ZodObject>(tool: ToolDefinition<I, z.ZodObject>, raw: unknown): z.output<I> {
  const value = raw ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new UserError(`invalid ${tool.name} input: expected an object of named fields`);
  const unknown = unknownKeys(tool.input, value);
  if (unknown.length) {
    const accepted = Object.keys(tool.input.shape).join(', ');
    throw new UserError(
      `${tool.name} does not know the input key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`,
      `check the spelling; top-level keys are: ${accepted}`,
    );
  }
  const parsed = tool.input.safeParse(value);
  if (!parsed.success) throw new UserError(`invalid ${tool.name} input: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

/** A follow-up call as `next` shows it: the tool's name, then its arguments as JSON. */
export function suggestCall(tool: ToolName, args: Record<string, unknown>): string {
  return `${tool} ${JSON.stringify(args)}`;
}

/** The folder name of a run directory path (its run id). */
export function runIdOfDir(dir: string): string {
  return dir.split(/[\\/]/).filter(Boolean).pop() ?? dir;
}

/** What one call produced, ready for any adapter. */
export interface ToolRun {
  tool: ToolName;
  /** `{ summary, next?, verdict, ...fields }` — exactly what MCP returns as structuredContent. */
  structured: Record<string, unknown> & { summary: string; next?: string[]; verdict: string };
  /** The text for people (CLI, text block for other MCP clients): the core's summary plus the follow-ups. */
  text: string;
  verdict: ToolVerdict;
}

function runIdOf(structured: Record<string, unknown>): string | undefined {
  const artifacts = structured.artifacts as { dir?: string } | undefined;
  return artifacts?.dir?.split(/[\\/]/).filter(Boolean).pop();
}

/** `summary`: the core's brief (or the first lines of its text), verdict word first, run id last, ≤ 700 chars. */
export function briefOf(outcome: ToolOutcome<unknown>, verdict: ToolVerdict, runId: string | undefined): string {
  let brief = (outcome.brief ?? outcome.summary).trim();
  if (!outcome.brief) {
    // The text summary's first paragraph carries the verdict and the headline numbers.
    const lines = brief.split('\n');
    const kept: string[] = [];
    for (const line of lines) {
      if (!line.trim()) break;
      kept.push(line.trim());
    }
    brief = kept.join(' ');
  }
  if (!brief.toUpperCase().startsWith(verdict.verdict.toUpperCase())) brief = `${verdict.verdict} — ${brief}`;
  const tail = runId && !brief.includes(runId) ? ` (run ${runId})` : '';
  const room = SUMMARY_MAX_CHARS - tail.length;
  if (brief.length > room) brief = `${brief.slice(0, room - 1).trimEnd()}…`;
  return brief + tail;
}

/**
 * Runs a tool: validate once, call the core, judge the result, and shape it the same way for
 * every adapter. Errors propagate (UserError for bad input, CancelledError when stopped); the
 * adapters turn them into an MCP `isError` result or a CLI exit code.
 */
export async function runTool(tool: AnyTool, raw: unknown, context: RunContext): Promise<ToolRun> {
  const input = parseToolInput(tool, raw);
  const outcome = await tool.run(input, context);
  const verdict = tool.verdict(outcome.structured);
  const { summary: _s, next: _n, verdict: _v, ...fields } = outcome.structured as Record<string, unknown>;
  const runId = runIdOf(fields);
  const brief = tool.brief?.(outcome.structured, input, verdict) ?? outcome.brief;
  const next = (outcome.next ?? tool.next?.(outcome.structured, input, runId) ?? []).slice(0, NEXT_MAX);
  const structured: ToolRun['structured'] = {
    summary: briefOf({ ...outcome, brief }, verdict, runId),
    ...(next.length ? { next } : {}),
    verdict: verdict.verdict,
    ...fields,
  };
  let text = outcome.summary;
  const note = fitWithNote(structured, tool.budget);
  if (note) text += `\n${note}`;
  if (next.length) text += `\nNext: ${next.join(' | ')}`;
  return { tool: tool.name, structured, text, verdict };
}

/**
 * Trims the result to the budget and says so in its warnings. The note takes room too: when it
 * would push the result back over (a profile at 8,015 of 8,000 did), trim by the note's size
 * and write the note again, so what the model reads always fits.
 */
function fitWithNote(structured: Record<string, unknown>, budget: number): string | undefined {
  const notes = [...trimToSize(structured, budget).notes];
  if (!notes.length) return undefined;
  const noteOf = () => `Result shortened to stay small (${notes.join('; ')}); the artefacts hold everything.`;
  const warnings = Array.isArray(structured.warnings) ? (structured.warnings as string[]) : undefined;
  if (!warnings) return noteOf();
  for (let attempt = 0; attempt < 5; attempt++) {
    const note = noteOf();
    warnings.push(note);
    if (JSON.stringify(structured).length <= budget) return note;
    warnings.pop();
    notes.push(...trimToSize(structured, budget - JSON.stringify(note).length - 1).notes);
  }
  return noteOf();
}

/** The tool of this name in `tools`, or a UserError that lists the names. */
export function findTool<T extends AnyTool>(tools: readonly T[], name: string): T {
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new UserError(`no tool named "${name}"`, `the tools are ${tools.map((t) => t.name).join(', ')}`);
  return tool;
}
