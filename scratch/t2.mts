import { JournalRedisBackend } from '../src/store/journal-redis.ts';
const t = Date.now();
try { await JournalRedisBackend.connect('redis://127.0.0.1:1/0', { connectForMs: 3000 }); console.log('connected?'); } catch (e) { console.log('threw after', Date.now() - t, (e as Error).message); }
for (const d of [100, 2000, 5000]) setTimeout(() => { console.log(d, process.getActiveResourcesInfo()); }, d).unref();
