import { readdirSync, readFileSync } from 'node:fs';

/**
 * The registry of process groups we started and the /proc walking that finds their
 * descendants. Kept apart from spawn.ts (and node:child_process) so the MCP server can
 * kill everything on exit without loading the spawning code at start-up.
 */
export const liveGroups = new Set<number>();
let exitHookInstalled = false;

export function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => killAllSpawned('SIGKILL'));
}

/** Synchronously signals every live tree; used on our own exit. */
export function killAllSpawned(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of liveGroups) signalTree(pid, signal, listDescendants(pid));
}

/** Pids of every descendant of `rootPid`, from /proc (Linux); empty elsewhere. */
export function listDescendants(rootPid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process exited while we were reading
    }
  }
  const result: number[] = [];
  const queue = [rootPid];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      result.push(child);
      queue.push(child);
    }
  }
  return result;
}

/** True while the process exists and is not a zombie (exited, waiting to be reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export function signalTree(groupLeader: number, signal: NodeJS.Signals, descendants: number[]): void {
  for (const target of [-groupLeader, groupLeader, ...descendants]) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  }
}
