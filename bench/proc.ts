// What the benchmark reads about server processes from /proc (Linux): CPU time, resident memory,
// and the peak-RSS reset. Nothing here is assumed: every "per core" figure divides by CPU time read
// from the kernel.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ on Linux x86_64/arm64; /proc/<pid>/stat times are in these ticks.

/** utime + stime from a /proc …/stat file (a process's or one thread's), in seconds. */
function statCpuSeconds(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // The command name (field 2) may contain spaces; fields after the closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** utime + stime of a process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds of the main thread (tid = pid: JavaScript, the event loop, socket I/O) and of every
 * other thread together (libuv's pool, where argon2 runs, and V8's helpers: concurrent GC, compiler).
 * Node 20 does not name its threads, so the split is main vs the rest.
 */
export function threadCpuSeconds(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const seconds = statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);
      if (Number(tid) === pid) main += seconds; else others += seconds;
    } catch { /* thread exited meanwhile */ }
  }
  return { main, others };
}

/** VmRSS and VmHWM (peak since start or since the last resetPeakRss), in MiB. */
export function memory(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, same user). False when the kernel refuses. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds of every process with this command name (e.g. all PostgreSQL backends), or undefined if unreadable. */
export function cpuSecondsByName(comm: string): number | undefined {
  let total = 0;
  let found = false;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
      total += cpuSeconds(Number(entry));
      found = true;
    } catch { /* exited meanwhile */ }
  }
  return found ? total : undefined;
}

/** Samples a process's RSS every `intervalMs` (a fallback when clear_refs is refused). */
export function sampleRss(pid: number, intervalMs = 100): { stop(): number } {
  let peak = 0;
  const tick = () => { try { peak = Math.max(peak, memory(pid).rssMiB); } catch { /* gone */ } };
  tick();
  const timer = setInterval(tick, intervalMs);
  return { stop() { clearInterval(timer); tick(); return peak; } };
}
