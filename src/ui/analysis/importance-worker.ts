// Web Worker: computes importance off the page's main thread (fANOVA's forest over thousands of trials takes seconds).
import { fanovaImportance, pedAnovaImportance, type ImportanceInput, type ImportanceOptions } from './importance.ts';

self.onmessage = (event: MessageEvent<{ input: ImportanceInput; method: 'fanova' | 'ped-anova'; options?: ImportanceOptions }>) => {
  try {
    const { input, method, options } = event.data;
    self.postMessage({ result: method === 'fanova' ? fanovaImportance(input, options) : pedAnovaImportance(input) });
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
