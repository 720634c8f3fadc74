// Owns what the upload shows of the draft's table: its columns and the width, split or DataError a run would get, described in a worker and kept until the file or the settings change.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { UploadedFile } from '../../data/browser.ts';
import type { DescribeOptions, TableSummary } from '../../data/describe-table.ts';
import { tableSpecSchema } from '../../data/spec.ts';
import type { TableFormat } from '../../data/table.ts';

/** The draft's uploaded table as the editor shows it. */
export interface TableCheck {
  /** The file name the draft's `data.path` names. */
  name: string;
  /** True while the file is being read and described (a previous summary of it may still show). */
  pending: boolean;
  summary: TableSummary | null;
}

type Request = { name: string; options: DescribeOptions & { format?: TableFormat } };

/** The table settings of a draft's data, as far as they validate: the target may be missing; invalid settings fall back to the defaults (the study's issues name them). */
function tableRequest(data: unknown): Request | null {
  const d = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  if (d.kind !== 'table' || typeof d.path !== 'string' || d.path === '') return null;
  const loose = tableSpecSchema.partial({ target: true });
  const parsed = loose.safeParse(d);
  const spec = parsed.success ? parsed.data : loose.parse({ kind: 'table', path: d.path });
  const { kind: _kind, path, ...options } = spec;
  return { name: path, options };
}

function describeInWorker(contents: UploadedFile, request: Request, signal: AbortSignal): Promise<TableSummary> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./table-describe-worker.ts', import.meta.url), { type: 'module' });
    const finish = () => {
      worker.terminate();
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      reject(new DOMException('superseded', 'AbortError'));
    };
    signal.addEventListener('abort', onAbort);
    worker.onmessage = (event: MessageEvent<{ summary?: TableSummary; error?: string }>) => {
      finish();
      if (event.data.summary) resolve(event.data.summary);
      else reject(new Error(event.data.error));
    };
    worker.onerror = (event) => {
      finish();
      reject(new Error(`the table worker failed: ${event.message}`));
    };
    worker.postMessage({ contents, ...request });
  });
}

export class TableCheckController implements ReactiveController {
  /** Null when the draft reads no uploaded table, or its file is not uploaded here. */
  check: TableCheck | null = null;
  private key = '';
  private contents: UploadedFile | null = null;
  private abort: AbortController | null = null;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.abort?.abort();
  }

  /** Describes the draft's table again when its file or its settings changed; a newer request replaces one still running. */
  update(data: unknown, files: ReadonlyMap<string, UploadedFile>): void {
    const request = tableRequest(data);
    const contents = request ? (files.get(request.name) ?? files.get(request.name.split(/[\\/]/).pop()!)) : undefined;
    if (!request || contents === undefined) {
      this.abort?.abort();
      this.check = null;
      this.key = '';
      this.contents = null;
      return;
    }
    const key = JSON.stringify(request);
    if (key === this.key && contents === this.contents) return;
    const sameFile = contents === this.contents && this.check?.name === request.name;
    this.key = key;
    this.contents = contents;
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    this.check = { name: request.name, pending: true, summary: sameFile ? (this.check?.summary ?? null) : null };
    describeInWorker(contents, request, abort.signal).then(
      (summary) => {
        if (abort.signal.aborted) return;
        this.check = { name: request.name, pending: false, summary };
        this.host.requestUpdate();
      },
      (error: unknown) => {
        if (abort.signal.aborted) return;
        const message = error instanceof Error ? error.message : String(error);
        this.check = { name: request.name, pending: false, summary: { name: request.name, format: null, rows: 0, columns: [], encoded: null, error: message } };
        this.host.requestUpdate();
      },
    );
  }
}
