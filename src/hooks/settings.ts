import { fs, path } from './builtins.js';

/**
 * The `hooks` section of `.perf/config.json`, read without zod: the hook runs on every edit
 * and zod alone costs more start-up time than the whole hook budget allows. The defaults
 * here must equal the zod schema's in `src/store/config.ts` (a test checks it). A config
 * the hook cannot use never fails the user's session: an unusable value falls back to its
 * default and a one-line note goes to stderr (which Claude Code shows in verbose mode only).
 */
/**
 * What the Stop note does (Claude Code 2.1: a Stop hook's `additionalContext` is "feedback for
 * the model; the conversation continues so the model can act on it"):
 * - `suggest`: the note goes to the model, so Claude resumes its turn and may start the review;
 * - `notify`: the user sees a one-line `systemMessage`; the model is not made to continue and
 *   gets the facts as context with the user's next prompt (UserPromptSubmit);
 * - `require`: the stop is blocked once with the facts as the reason;
 * - `off`: no notes, nothing recorded.
 */
export const HOOK_MODES = ['suggest', 'notify', 'require', 'off'] as const;
export type HookMode = (typeof HOOK_MODES)[number];

export interface HookSettings {
  mode: HookMode;
  diffLines: number;
  paths: string[];
  exclude: string[];
}

export const HOOK_DEFAULTS: Readonly<HookSettings> = Object.freeze({
  mode: 'suggest',
  diffLines: 300,
  paths: ['benchmark', 'benchmarks', 'load-test', 'load-tests', 'loadtest', 'perf', 'performance'],
  exclude: [
    '**/node_modules/**',
    '**/dist/**',
    '**/*.lock',
    '**/package-lock.json',
    '**/npm-shrinkwrap.json',
    '**/pnpm-lock.yaml',
    '**/yarn.lock',
    '**/go.sum',
    '**/.perf/**',
    '**/vendor/**',
    '**/*.min.js',
    '**/*.min.css',
    '**/*.map',
    '**/__snapshots__/**',
    '**/*.snap',
    '**/*.pb.go',
    '**/*_pb2.py',
  ],
}) as HookSettings;

export interface SettingsResult {
  settings: HookSettings;
  /** Problems found in the file; each fell back to a default. */
  notes: string[];
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0);
}

/** Pure: the raw parsed JSON of the whole config file → hook settings. */
export function hookSettingsFrom(raw: unknown): SettingsResult {
  const settings: HookSettings = {
    mode: HOOK_DEFAULTS.mode,
    diffLines: HOOK_DEFAULTS.diffLines,
    paths: [...HOOK_DEFAULTS.paths],
    exclude: [...HOOK_DEFAULTS.exclude],
  };
  const notes: string[] = [];
  if (raw === undefined) return { settings, notes };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { settings, notes: ['the config is not a JSON object; hook defaults apply'] };
  }
  const hooks = (raw as Record<string, unknown>).hooks;
  if (hooks === undefined) return { settings, notes };
  if (typeof hooks !== 'object' || hooks === null || Array.isArray(hooks)) {
    return { settings, notes: ['"hooks" is not an object; hook defaults apply'] };
  }
  const section = hooks as Record<string, unknown>;
  for (const key of Object.keys(section)) {
    if (!(key in HOOK_DEFAULTS)) notes.push(`unknown key "hooks.${key}" ignored`);
  }
  if (section.mode !== undefined) {
    if ((HOOK_MODES as readonly unknown[]).includes(section.mode)) settings.mode = section.mode as HookMode;
    else notes.push(`"hooks.mode" must be one of ${HOOK_MODES.map((mode) => `"${mode}"`).join(', ')}; using "${HOOK_DEFAULTS.mode}"`);
  }
  if (section.diffLines !== undefined) {
    const value = section.diffLines;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) settings.diffLines = value;
    else notes.push(`"hooks.diffLines" must be a positive integer; using ${HOOK_DEFAULTS.diffLines}`);
  }
  if (section.paths !== undefined) {
    if (isStringList(section.paths)) settings.paths = [...section.paths];
    else notes.push('"hooks.paths" must be a list of non-empty strings; using the defaults');
  }
  if (section.exclude !== undefined) {
    if (isStringList(section.exclude)) settings.exclude = [...section.exclude];
    else notes.push('"hooks.exclude" must be a list of non-empty strings; using the defaults');
  }
  return { settings, notes };
}

/** Reads `<projectDir>/.perf/config.json`; a missing file means defaults. Never throws. */
export function readHookSettings(projectDir: string): SettingsResult {
  let text: string;
  try {
    text = fs.readFileSync(path.join(projectDir, '.perf', 'config.json'), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return hookSettingsFrom(undefined);
    const result = hookSettingsFrom(undefined);
    result.notes.push(`cannot read .perf/config.json (${code ?? 'error'}); hook defaults apply`);
    return result;
  }
  try {
    return hookSettingsFrom(JSON.parse(text));
  } catch {
    const result = hookSettingsFrom(undefined);
    result.notes.push('.perf/config.json is not valid JSON; hook defaults apply');
    return result;
  }
}
