import { createHook } from 'node:async_hooks';
const stacks = new Map<number, string>();
createHook({ init(id, type) { if (type === 'Timeout') stacks.set(id, new Error().stack!.split('\n').slice(2, 9).join('\n')); }, destroy(id) { stacks.delete(id); } }).enable();
const { JournalRedisBackend } = await import('../src/store/journal-redis.ts');
try { await JournalRedisBackend.connect('redis://127.0.0.1:1/0', { connectForMs: 3000 }); } catch (e) { console.log('threw', (e as Error).message.slice(0, 60)); }
setTimeout(() => { for (const s of stacks.values()) console.log('---\n' + s); process.exit(0); }, 4000);
