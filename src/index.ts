// `import … from 'fusetune'` in Node: the library (library.ts) plus Dawn, the file system and Redis.
export * from './library.ts';
export { acquireNodeGpu } from './gpu/node-gpu.ts';
export { loadDatasetNode } from './data/node.ts';
export { JournalFileBackend, type JournalFileOptions } from './store/journal-file.ts';
export { JournalRedisBackend, type JournalRedisOptions } from './store/journal-redis.ts';
export { openJournalBackend, openJournalStorage, parseStorageSpec, type StorageSpec } from './store/journal-node.ts';
export { StudyFolder } from './store/node-store.ts';
