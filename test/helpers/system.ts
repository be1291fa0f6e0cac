import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * System tools some tests need beyond Node (installed by `npm run test:all` on Debian as root).
 * A test file asks `lacking(import.meta.url, 'chromium')`: undefined when the tool is here,
 * otherwise the reason, which the file passes to `describe.skipIf`. Each lack is recorded so
 * the count reporter names every skipped-for-a-missing-tool file in one closing line: a test
 * is never failed for an absent dependency, and never skipped silently either.
 */
export type SystemNeed = 'chromium' | 'wrk' | 'hyperfine' | 'nginx' | 'perf' | 'hypopg' | 'claude' | 'memory-profiler';

const INSTALL: Record<SystemNeed, string> = {
  chromium: 'apt package chromium (or set PERFENG_CHROMIUM)',
  wrk: 'apt package wrk',
  hyperfine: 'apt package hyperfine',
  nginx: 'apt package nginx-light',
  perf: 'apt package linux-perf',
  hypopg: 'apt package postgresql-15-hypopg, then CREATE EXTENSION hypopg in database test',
  claude: 'npm install -g @anthropic-ai/claude-code@2.1.197',
  'memory-profiler': 'apt package python3-memory-profiler',
};

function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

function hypopgAvailable(): boolean {
  try {
    const out = execFileSync(
      'psql',
      ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'test', '-tAc', "select count(*) from pg_available_extensions where name = 'hypopg'"],
      {
        encoding: 'utf8',
        timeout: 10_000,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    return out.trim() === '1';
  } catch {
    return false;
  }
}

function present(need: SystemNeed): boolean {
  switch (need) {
    case 'chromium':
      return existsSync(process.env.PERFENG_CHROMIUM ?? '/usr/bin/chromium');
    case 'hypopg':
      return hypopgAvailable();
    case 'nginx':
      return onPath('nginx') || existsSync('/usr/sbin/nginx');
    case 'memory-profiler':
      return existsSync('/usr/lib/python3/dist-packages/memory_profiler.py');
    default:
      return onPath(need);
  }
}

const known = new Map<SystemNeed, boolean>();

/** The reason the tests of `fileUrl` cannot run here, or undefined when every need is met. */
export function lacking(fileUrl: string, ...needs: SystemNeed[]): string | undefined {
  const absent = needs.filter((need) => {
    if (!known.has(need)) known.set(need, present(need));
    return !known.get(need);
  });
  if (absent.length === 0) return undefined;
  const file = fileURLToPath(fileUrl);
  const record = process.env.PERFENG_MISSING_TOOLS_FILE;
  if (record) for (const need of absent) appendFileSync(record, `${need}\t${file}\n`);
  return `needs ${absent.map((need) => `${need} (${INSTALL[need]})`).join(', ')}`;
}
