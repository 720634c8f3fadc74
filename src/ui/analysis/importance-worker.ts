// Web Worker: computes fANOVA importance off the page's main thread (a forest over 150 trials takes tens of milliseconds).
import { fanovaImportance, type ImportanceInput, type ImportanceOptions } from './importance.ts';

self.onmessage = (event: MessageEvent<{ input: ImportanceInput; options?: ImportanceOptions }>) => {
  try {
    self.postMessage({ result: fanovaImportance(event.data.input, event.data.options) });
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
