import { openJournalStorage } from '../src/store/journal-node.ts';
const url = 'redis://127.0.0.1:6399/5';
const ss = await Promise.all([0,1,2].map((i) => openJournalStorage({ kind: 'redis', url, prefix: 'x' + process.pid }, { workerId: `w${i}` })));
const r = await Promise.allSettled(ss.map((s) => s.createOrLoadStudy('restart', ['maximize'])));
console.log(r.map((x) => x.status === 'fulfilled' ? x.value.study.studyId : (x.reason as Error).stack));
await Promise.all(ss.map((s) => s.close()));
