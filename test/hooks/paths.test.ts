import { describe, expect, it } from 'vitest';
import { matchesAnyGlob } from '../../src/hooks/glob.js';
import { matchPerformancePath } from '../../src/hooks/paths.js';
import { HOOK_DEFAULTS } from '../../src/hooks/settings.js';

const project = '/home/dev/shop';
const match = (file: string, paths = HOOK_DEFAULTS.paths, exclude = HOOK_DEFAULTS.exclude) =>
  matchPerformancePath(file, project, paths, exclude, matchesAnyGlob);

describe('path rule', () => {
  const matching: Array<[string, string, string]> = [
    ['benchmark/http.bench.ts', 'benchmark', 'benchmark'],
    ['benchmarks/sort_test.go', 'benchmarks', 'benchmarks'],
    ['load-test/script.js', 'load-test', 'load-test'],
    ['load-tests/smoke.js', 'load-tests', 'load-tests'],
    ['loadtest/locustfile.py', 'loadtest', 'loadtest'],
    ['perf/run.sh', 'perf', 'perf'],
    ['performance/README.md', 'performance', 'performance'],
    ['services/api/benchmark/db.bench.ts', 'benchmark', 'services/api/benchmark'],
    ['a/b/c/d/e/perf/deep/er/x.py', 'perf', 'a/b/c/d/e/perf'],
    ['Benchmarks/Case.java', 'benchmarks', 'Benchmarks'],
    ['perf/benchmark/nested.ts', 'perf', 'perf'],
  ];
  it.each(matching)('%s matches rule %s at %s/', (rel, rule, dir) => {
    const verdict = match(`${project}/${rel}`);
    expect(verdict).toEqual({ kind: 'match', match: { relPath: rel, rule, matchedDir: dir } });
  });

  const misses: Array<[string, string, string]> = [
    ['src/benchmarking.ts', `${project}/src/benchmarking.ts`, 'no-rule'],
    ['docs/performance.md (a file, not a folder)', `${project}/docs/performance.md`, 'no-rule'],
    ['perf.ts at the root', `${project}/perf.ts`, 'no-rule'],
    ['perfume/x.ts', `${project}/perfume/x.ts`, 'no-rule'],
    ['node_modules/x/benchmark/', `${project}/node_modules/x/benchmark/index.js`, 'ignored-dir'],
    ['.git/perf/x', `${project}/.git/perf/x`, 'ignored-dir'],
    ['outside the project', '/home/dev/other/benchmark/x.ts', 'outside-project'],
    ['a sibling with the project as prefix', '/home/dev/shop2/benchmark/x.ts', 'outside-project'],
    ['relative path', 'benchmark/x.ts', 'not-absolute'],
    ['Windows drive path', 'C:\\Users\\dev\\shop\\benchmark\\x.ts', 'not-absolute'],
    ['Windows UNC path', '\\\\server\\share\\benchmark\\x.ts', 'not-absolute'],
    ['backslashes inside a POSIX path', `${project}/src\\benchmark\\x.ts`, 'no-rule'],
    ['excluded lock file', `${project}/benchmark/yarn.lock`, 'excluded'],
    ['excluded build output', `${project}/benchmark/dist/out.js`, 'excluded'],
    ['the project folder itself', project, 'outside-project'],
  ];
  it.each(misses)('%s does not match (%s)', (_name, file, reason) => {
    expect(match(file)).toEqual({ kind: 'no-match', reason });
  });

  it('uses the configured names and globs instead of the defaults', () => {
    const paths = ['stress', '**/*.k6.js'];
    expect(match(`${project}/stress/a.js`, paths)).toMatchObject({ kind: 'match', match: { rule: 'stress' } });
    expect(match(`${project}/src/api.k6.js`, paths)).toMatchObject({ kind: 'match', match: { rule: '**/*.k6.js', matchedDir: '**/*.k6.js' } });
    expect(match(`${project}/benchmark/a.ts`, paths)).toEqual({ kind: 'no-match', reason: 'no-rule' });
  });

  it('does not call the glob matcher when no glob is configured and nothing matched', () => {
    let calls = 0;
    const verdict = matchPerformancePath(`${project}/src/app.ts`, project, HOOK_DEFAULTS.paths, HOOK_DEFAULTS.exclude, () => {
      calls++;
      return false;
    });
    expect(verdict.kind).toBe('no-match');
    expect(calls).toBe(0);
  });
});
