// Runs fANOVA or PED-ANOVA in a Web Worker, one per request, ended when the request is aborted (a newer one replaces it).
import type { ImportanceInput, ImportanceOptions, ImportanceResult } from './importance.ts';

export function importanceInWorker(input: ImportanceInput, method: 'fanova' | 'ped-anova', signal: AbortSignal, options?: ImportanceOptions): Promise<ImportanceResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./importance-worker.ts', import.meta.url), { type: 'module' });
    const finish = () => {
      worker.terminate();
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      reject(signal.reason ?? new DOMException('importance aborted', 'AbortError'));
    };
    signal.addEventListener('abort', onAbort);
    worker.onmessage = (event: MessageEvent<{ result?: ImportanceResult; error?: string }>) => {
      finish();
      if (event.data.error !== undefined) reject(new Error(`importance: ${event.data.error}`));
      else resolve(event.data.result!);
    };
    worker.onerror = (event) => {
      finish();
      reject(new Error(`importance worker failed: ${event.message}`));
    };
    worker.postMessage({ input, method, options });
  });
}
