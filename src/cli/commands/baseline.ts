import { appendFile, readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { projectDirFromEnv } from '../../common/context.js';
import { describeError, isUserError, UserError } from '../../common/errors.js';
import { parseInput } from '../../common/validate.js';
import { compareInputSchema, type CompareOutput } from '../../compare/schema.js';
import { listBaselines, readBaseline, removeBaseline, saveBaseline, type Baseline } from '../../store/baselines.js';
import { resolveRun } from '../../store/runs.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, runCliTool } from '../run-tool.js';

function describeBaseline(b: Baseline): string {
  const git = b.environment?.git;
  const where = git ? `commit ${git.shortCommit}${git.dirty ? ' (dirty)' : ''}${git.branch ? ` on ${git.branch}` : ''}` : 'no git commit recorded';
  return `${b.name}: run ${b.runId} (${b.kind}), ${where}, host ${b.environment?.host ?? '?'}, saved ${b.savedAt}`;
}

async function simple(action: (projectDir: string) => Promise<string>): Promise<number> {
  try {
    process.stdout.write(`${await action(projectDirFromEnv())}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`perfeng: ${describeError(error)}\n`);
    return isUserError(error) ? EXIT_BAD_INPUT : EXIT_FAILED;
  }
}

/**
 * The markdown a CI job posts (GitHub job summary, PR comment): which baseline, which run,
 * the comparison's own table, gate and warnings.
 */
export function baselineCheckMarkdown(baseline: Baseline, candidateId: string, candidateCommit: string | undefined, comparison: string): string {
  const head = [
    `## Performance check against baseline \`${baseline.name}\``,
    '',
    `Baseline: run \`${baseline.runId}\`${baseline.environment?.git ? ` at \`${baseline.environment.git.shortCommit}\`` : ''} · candidate: run \`${candidateId}\`${candidateCommit ? ` at \`${candidateCommit}\`` : ''}`,
    '',
  ];
  return `${head.join('\n')}${comparison.replace(/^# Benchmark comparison\n\n/, '')}`;
}

export function registerBaselineCommand(program: Command): void {
  const baseline = program
    .command('baseline')
    .description(
      'Named baselines for CI: save a stored run under a name, then check later runs against it ("baseline:NAME" also works wherever a run id does).',
    );

  baseline
    .command('save')
    .description('Save a run as the baseline NAME (replaces an older one of that name).')
    .argument('<name>', 'baseline name, e.g. main')
    .argument('[run]', 'run id, latest or latest:<kind> (default: latest)', 'latest')
    .option('--json', 'print the saved baseline as JSON')
    .action(async (name: string, ref: string, flags: { json?: boolean }) => {
      process.exitCode = await simple(async (projectDir) => {
        const run = await resolveRun(projectDir, ref);
        const saved = await saveBaseline(projectDir, { name, runId: run.id, kind: run.kind, ...(run.environment ? { environment: run.environment } : {}) });
        return flags.json ? JSON.stringify(saved, null, 2) : `saved baseline ${describeBaseline(saved)}`;
      });
    });

  baseline
    .command('list')
    .description('List the saved baselines.')
    .option('--json', 'print them as JSON')
    .action(async (flags: { json?: boolean }) => {
      process.exitCode = await simple(async (projectDir) => {
        const all = await listBaselines(projectDir);
        if (flags.json) return JSON.stringify(all, null, 2);
        return all.length ? all.map(describeBaseline).join('\n') : 'no baselines saved (perfeng baseline save NAME [RUN])';
      });
    });

  baseline
    .command('remove')
    .description('Forget the baseline NAME (its run stays in .perf/runs).')
    .argument('<name>')
    .action(async (name: string) => {
      process.exitCode = await simple(async (projectDir) => {
        if (!(await removeBaseline(projectDir, name))) throw new UserError(`no baseline "${name}"`, 'see perfeng baseline list');
        return `removed baseline ${name}`;
      });
    });

  baseline
    .command('check')
    .description(
      "Compare a run (default: the latest of the baseline's kind) with baseline NAME; exit 1 when the --fail-on gate fails. Prints a markdown summary for CI and appends it to $GITHUB_STEP_SUMMARY when set.",
    )
    .argument('<name>', 'baseline name')
    .argument('[run]', "run id, latest or latest:<kind> (default: latest run of the baseline's kind)")
    .option('--fail-on <gate>', 'gate, e.g. "regression>5%", "p95>500ms" (default: config compare.failOn)')
    .option('--filter <text>', 'only rows whose name contains this text, or /regex/')
    .option('--markdown <file>', 'also write the markdown summary to this file')
    .option('--json', 'print the comparison result as JSON instead of markdown')
    .action(async (name: string, ref: string | undefined, flags: { failOn?: string; filter?: string; markdown?: string; json?: boolean }) => {
      let markdown = '';
      process.exitCode = await runCliTool<CompareOutput>({
        json: Boolean(flags.json),
        failed: (result) => result.gate.failed,
        execute: async (context) => {
          const saved = await readBaseline(context.projectDir, name);
          const candidate = await resolveRun(context.projectDir, ref ?? `latest:${saved.kind}`);
          if (candidate.id === saved.runId) throw new UserError(`the run to check (${candidate.id}) is the baseline itself`, 'run the tool again, then check');
          const input = parseInput(
            compareInputSchema,
            {
              baseline: `baseline:${name}`,
              candidate: candidate.id,
              ...(flags.failOn ? { failOn: flags.failOn } : {}),
              ...(flags.filter ? { filter: flags.filter } : {}),
            },
            'baseline check',
          );
          const { compareBenchmarks } = await import('../../compare/index.js');
          const outcome = await compareBenchmarks(input, context);
          const comparison = await readFile(outcome.structured.artifacts.markdown, 'utf8');
          markdown = baselineCheckMarkdown(saved, candidate.id, candidate.environment?.git?.shortCommit, comparison);
          return { structured: outcome.structured, summary: markdown };
        },
      });
      if (markdown) {
        if (flags.markdown) await writeFile(flags.markdown, markdown);
        if (process.env.GITHUB_STEP_SUMMARY) await appendFile(process.env.GITHUB_STEP_SUMMARY, `${markdown}\n`).catch(() => undefined);
      }
    });
}
