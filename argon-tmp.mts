import { hash, verify } from '@node-rs/argon2';
const opts = { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 2 as const };
const h = await hash('correct horse battery', opts);
const C = Number(process.env.C ?? 2);
for (let r = 0; r < 2; r++) {
  const t0 = Date.now(); const c0 = process.cpuUsage(); let n = 0;
  await Promise.all(Array.from({ length: C }, async () => { while (Date.now() - t0 < 3000) { await verify(h, 'correct horse battery'); n++; } }));
  const c = process.cpuUsage(c0); const cpu = (c.user + c.system) / 1000;
  console.log(`C=${C}: ${n} verifies, ${(cpu / n).toFixed(2)} ms CPU each (sys ${(c.system/1000/n).toFixed(2)}), rss ${(process.memoryUsage().rss/2**20).toFixed(0)} MiB`);
}
