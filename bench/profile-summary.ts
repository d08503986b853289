// Summarises a V8 .cpuprofile (from --cpu-prof): self time per function and per package, leaving
// out the samples of the first `skipFirstMs` (start-up and warm-up). Also usable on its own:
//   npx tsx bench/profile-summary.ts bench-results/profiles/login/*.cpuprofile [skipFirstMs]
import { readFileSync } from 'node:fs';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  sampledMs: number;
  /** Percent of sampled time (idle excluded) by package or area. */
  byCategory: Record<string, number>;
  top: { name: string; location: string; category: string; selfMs: number; percent: number }[];
}

function category(url: string, name: string): string {
  if (!url) {
    if (name === '(garbage collector)') return 'GC';
    if (name === '(program)') return 'V8/native (program)';
    return 'native';
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (url.includes('/src/')) return `src/${url.split('/src/')[1]!.split('/')[0]}`;
  if (url.includes('/bench/')) return 'bench instrumentation';
  return url;
}

export function summarizeProfile(profile: CpuProfile, options: { skipFirstMs?: number; top?: number } = {}): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = profile.startTime;
  const skipUntil = profile.startTime + (options.skipFirstMs ?? 0) * 1000;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < skipUntil) continue;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const byFunction = new Map<string, { name: string; location: string; category: string; selfUs: number }>();
  const byCategory = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    const name = functionName || '(anonymous)';
    const location = url ? `${url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${name}@${location}`;
    const cat = category(url, functionName);
    const entry = byFunction.get(key) ?? { name, location, category: cat, selfUs: 0 };
    entry.selfUs += us;
    byFunction.set(key, entry);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
    total += us;
  }
  const pct = (us: number) => (us / Math.max(1, total)) * 100;
  return {
    sampledMs: total / 1000,
    byCategory: Object.fromEntries([...byCategory].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, v]) => [k, Math.round(pct(v) * 10) / 10])),
    top: [...byFunction.values()].sort((a, b) => b.selfUs - a.selfUs).slice(0, options.top ?? 30)
      .map((f) => ({ name: f.name, location: f.location, category: f.category, selfMs: Math.round(f.selfUs / 100) / 10, percent: Math.round(pct(f.selfUs) * 10) / 10 })),
  };
}

if (process.argv[1]?.endsWith('profile-summary.ts') && process.argv[2]) {
  const summary = summarizeProfile(JSON.parse(readFileSync(process.argv[2], 'utf8')) as CpuProfile, { skipFirstMs: Number(process.argv[3] ?? 0), top: 40 });
  process.stdout.write(`${summary.sampledMs.toFixed(0)} ms sampled\n`);
  for (const [c, p] of Object.entries(summary.byCategory)) process.stdout.write(`${p.toFixed(1).padStart(5)} %  ${c}\n`);
  process.stdout.write('\n');
  for (const f of summary.top) process.stdout.write(`${f.percent.toFixed(1).padStart(5)} %  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}  ${f.location}\n`);
}
