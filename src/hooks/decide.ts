import type { ChangeSize } from './diff-size.js';
import type { HookMode } from './settings.js';
import type { MatchFact } from './session-state.js';
import { isGlobEntry, type PathMatch } from './paths.js';
import type { ToolAdvice } from './tool-advice.js';
import { describeFirstCall, formatCall, type FirstCall } from './first-call.js';

/**
 * The decisions, pure: facts in → Claude Code hook output out. Texts are factual statements
 * (what changed, which rule, which tool fits), not commands: Claude Code treats hook text as
 * untrusted context, and imperative shouting reads like prompt injection.
 */
export interface HookOutput {
  decision?: 'block';
  reason?: string;
  systemMessage?: string;
  hookSpecificOutput?: { hookEventName: 'PostToolUse' | 'Stop' | 'UserPromptSubmit'; additionalContext: string };
}

const PREFIX = 'performance-engineer plugin hook:';

export function postToolUseOutput(match: PathMatch, toolName: string, advice: ToolAdvice, baselineRun?: string): HookOutput {
  const rule = isGlobEntry(match.rule)
    ? `matches the glob "${match.rule}" in hooks.paths`
    : `lies under the directory "${match.matchedDir}/" (hooks.paths entry "${match.rule}")`;
  let toolSentence = `${advice.why}.`;
  if (advice.call) toolSentence += ` The call: ${advice.call}`;
  if (advice.tool === 'compare_benchmarks') {
    toolSentence += baselineRun
      ? ` The latest earlier run in .perf/runs is ${baselineRun}.`
      : ' There is no earlier run in .perf/runs yet, so a first run records the baseline.';
  }
  const context =
    `${PREFIX} ${toolName} changed ${match.relPath}, which ${rule}, so it is performance-sensitive. ` +
    `It looks like ${advice.looksLike}; the tool of the performance-engineer agent that fits is ${advice.tool}: ${toolSentence} ` +
    'The performance-engineer subagent can measure the effect of this change. ' +
    'This note appears once per session for this directory.';
  return { hookSpecificOutput: { hookEventName: 'PostToolUse', additionalContext: context } };
}

export type DiffFacts =
  | {
      measured: true;
      size: ChangeSize;
      since: 'session';
      /** Baseline and current tree ids, and the counted paths (toplevel-relative, largest first). */
      trees?: { from: string; to: string };
      changedPaths?: string[];
    }
  | { measured: false; reason: string };

export interface StopFacts {
  mode: HookMode;
  stopHookActive: boolean;
  threshold: number;
  diff: DiffFacts;
  matches: MatchFact[];
  reviewed: boolean;
  /** Trigger keys that already acted at an earlier stop of this session. */
  alreadyFired: (key: string) => boolean;
  /** The first concrete call for what changed (first-call.ts), when one could be written. */
  firstCall?: FirstCall;
}

export interface StopDecision {
  output: HookOutput;
  /** Trigger keys this decision acts on (to be claimed once). */
  keys: string[];
  /** notify mode: the facts for the model, delivered once with the user's next prompt. */
  nextPromptContext?: string;
}

/**
 * How Claude Code knows the agent: plugin agents are namespaced `<plugin>:<agent>`. The Agent
 * tool's `run_in_background: true` lets the main conversation go on; Claude Code tells the
 * user when the background agent finishes (both checked in @anthropic-ai/claude-code 2.1.197).
 */
export const AGENT_TYPE = 'performance-engineer:performance-engineer';

const AGENT_SENTENCE =
  `The subagent is "${AGENT_TYPE}" (Agent tool, subagent_type); it can run in the background (run_in_background: true), ` +
  'so the work goes on and its findings arrive when it finishes.';

export function diffTriggerKey(): string {
  return 'stop:diff';
}

export function pathTriggerKey(matchedDir: string): string {
  return `stop:path:${matchedDir}`;
}

function describeSize(size: ChangeSize, threshold: number): string {
  const largest = size.largest.map((file) => `${file.path} (${file.lines})`).join(', ');
  const skipped = size.skipped;
  const left = [
    skipped.excluded ? `${skipped.excluded} excluded by hooks.exclude` : '',
    skipped.generated ? `${skipped.generated} marked linguist-generated` : '',
    skipped.binary ? `${skipped.binary} binary` : '',
  ].filter(Boolean);
  return (
    `Since the first prompt of this session the working tree changed by ${size.lines} lines ` +
    `(+${size.added} −${size.removed}) in ${size.files} text file${size.files === 1 ? '' : 's'}, above the hooks.diffLines threshold of ${threshold}` +
    (largest ? `; largest: ${largest}` : '') +
    (left.length ? `; not counted: ${left.join(', ')} file(s)` : '') +
    '.'
  );
}

function describeMatches(matches: MatchFact[]): string {
  const byDir = new Map<string, string[]>();
  for (const match of matches) {
    const files = byDir.get(match.matchedDir) ?? [];
    if (!files.includes(match.relPath)) files.push(match.relPath);
    byDir.set(match.matchedDir, files);
  }
  const parts = [...byDir].map(([dir, files]) => {
    const shown = files.slice(0, 5).join(', ');
    return `${dir}/: ${shown}${files.length > 5 ? ` and ${files.length - 5} more` : ''}`;
  });
  const tools = [...new Set(matches.map((match) => match.tool))].join(', ');
  return `Performance-sensitive files changed in this session (${parts.join('; ')}); fitting tools: ${tools}.`;
}

/** Pure Stop decision; undefined = stay silent. */
export function decideStop(facts: StopFacts): StopDecision | undefined {
  if (facts.mode === 'off' || facts.reviewed) return undefined;
  // A stop that is already continuing because of a Stop hook is never blocked again
  // (Claude Code's documented loop guard); in suggest mode nothing blocks anyway.
  if (facts.mode === 'require' && facts.stopHookActive) return undefined;

  const keys: string[] = [];
  const sentences: string[] = [];
  if (facts.diff.measured && facts.diff.size.lines > facts.threshold && !facts.alreadyFired(diffTriggerKey())) {
    keys.push(diffTriggerKey());
    sentences.push(describeSize(facts.diff.size, facts.threshold));
  }
  const freshMatches = facts.matches.filter((match) => !facts.alreadyFired(pathTriggerKey(match.matchedDir)));
  if (freshMatches.length) {
    keys.push(...new Set(freshMatches.map((match) => pathTriggerKey(match.matchedDir))));
    sentences.push(describeMatches(freshMatches));
  }
  if (!keys.length) return undefined;

  const facts2 = sentences.join(' ') + (facts.firstCall ? ` ${describeFirstCall(facts.firstCall)}` : '');
  const agent =
    'No performance review ran in this session yet (neither the performance-engineer subagent nor its tools run_load_test, profile_process, analyze_query, compare_benchmarks, measure_web_vitals).';
  if (facts.mode === 'require') {
    const reason =
      `${PREFIX} ${facts2} ${agent} The project's .perf/config.json sets hooks.mode to "require", the user's request for a ` +
      `performance review with measurements before the work is finished; the performance-engineer subagent does that review. ${AGENT_SENTENCE} ` +
      'This stop is held once for these changes.';
    return { output: { decision: 'block', reason }, keys };
  }
  if (facts.mode === 'notify') {
    // Only the user hears it now (a systemMessage does not make the model continue); the
    // model gets the same facts with the next prompt, through UserPromptSubmit.
    const context =
      `${PREFIX} at the end of the previous turn: ${facts2} ${agent} The performance-engineer subagent can review this change with measurements. ` +
      `${AGENT_SENTENCE} (hooks.mode "notify": the user was shown a one-line note; this context comes once, with this prompt.)`;
    return { output: { systemMessage: notifyMessage(facts, keys, facts.firstCall) }, keys, nextPromptContext: context };
  }
  const context =
    `${PREFIX} ${facts2} ${agent} The performance-engineer subagent can review this change with measurements. ${AGENT_SENTENCE} ` +
    '(hooks.mode "suggest": Claude Code continues the turn with this note; it appears once per trigger and session.)';
  return {
    output: {
      systemMessage: 'performance-engineer: a performance review with measurements is available for this change.',
      hookSpecificOutput: { hookEventName: 'Stop', additionalContext: context },
    },
    keys,
  };
}

/** The notify mode's one line for the user: what triggered, and how to start the review. */
function notifyMessage(facts: StopFacts, keys: string[], firstCall: FirstCall | undefined): string {
  const parts: string[] = [];
  if (keys.includes(diffTriggerKey()) && facts.diff.measured) {
    parts.push(`${facts.diff.size.lines} lines changed this session (hooks.diffLines ${facts.threshold})`);
  }
  const dirs = [...new Set(facts.matches.filter((match) => keys.includes(pathTriggerKey(match.matchedDir))).map((match) => `${match.matchedDir}/`))];
  if (dirs.length) parts.push(`performance-sensitive files changed in ${dirs.slice(0, 3).join(', ')}${dirs.length > 3 ? ' …' : ''}`);
  let call = '';
  if (firstCall) {
    call = `; first call: ${formatCall(firstCall)}`;
    if (call.length > 220) call = `; first call: ${firstCall.tool} on ${firstCall.about}`;
  }
  return `performance-engineer: ${parts.join('; ')}. Ask for a measured review (the performance-engineer agent, it can run in the background)${call}.`;
}

/** UserPromptSubmit output carrying the notify mode's facts to the model. */
export function nextPromptOutput(context: string): HookOutput {
  return { hookSpecificOutput: { hookEventName: 'UserPromptSubmit', additionalContext: context } };
}
