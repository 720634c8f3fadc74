// Owns what the upload shows of the draft's table: its columns and the width, split or DataError a run would get, described in a worker that keeps the file and the table it read.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { UploadedFile } from '../../data/browser.ts';
import type { DescribeOptions, TableSummary } from '../../data/describe-table.ts';
import { fileName } from '../../data/load.ts';
import { tableSpecSchema } from '../../data/spec.ts';
import type { TableFormat } from '../../data/table.ts';
import type { DescribeRequest } from './table-describe-worker.ts';

/** The draft's uploaded table as the editor shows it. */
export interface TableCheck {
  /** The file name the draft's `data.path` names. */
  name: string;
  /** True while the file is being read and described (a previous summary of it may still show). */
  pending: boolean;
  summary: TableSummary | null;
}

/** `path` as the study names the file; `name`, its last component, as a run names it in messages (`table:penguins.json`). */
type Request = { path: string; name: string; options: DescribeOptions & { format?: TableFormat } };

/** The table settings of a draft's data, as far as they validate: the target may be missing; invalid settings fall back to the defaults (the study's issues name them). */
function tableRequest(data: unknown): Request | null {
  const d = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  if (d.kind !== 'table' || typeof d.path !== 'string' || d.path === '') return null;
  const loose = tableSpecSchema.partial({ target: true });
  const parsed = loose.safeParse(d);
  const spec = parsed.success ? parsed.data : loose.parse({ kind: 'table', path: d.path });
  const { kind: _kind, path, ...options } = spec;
  return { path, name: fileName(path), options };
}

/** A request for the worker, with the file it reads. */
interface Job {
  key: string;
  request: Request;
  contents: UploadedFile;
}

export class TableCheckController implements ReactiveController {
  /** Null when the draft reads no uploaded table, or its file is not uploaded here. */
  check: TableCheck | null = null;
  private key = '';
  private contents: UploadedFile | null = null;
  private worker: Worker | null = null;
  /** The file the worker holds, so it is sent (copied) once, not with every request. */
  private posted: UploadedFile | null = null;
  /** One request at a time: the one in the worker, and the latest one waiting (edits in between are skipped). */
  private running: (Job & { id: number }) | null = null;
  private waiting: Job | null = null;
  private nextId = 0;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.stopWorker();
  }

  /** Describes the draft's table again when its file or its settings changed. */
  update(data: unknown, files: ReadonlyMap<string, UploadedFile>): void {
    const request = tableRequest(data);
    const contents = request ? (files.get(request.path) ?? files.get(request.name)) : undefined;
    if (!request || contents === undefined) {
      this.check = null;
      this.key = '';
      this.contents = null;
      this.waiting = null;
      return;
    }
    const key = JSON.stringify(request);
    if (key === this.key && contents === this.contents) return;
    const sameFile = contents === this.contents && this.check?.name === request.name;
    this.key = key;
    this.contents = contents;
    this.check = { name: request.name, pending: true, summary: sameFile ? (this.check?.summary ?? null) : null };
    this.waiting = { key, request, contents };
    this.pump();
  }

  private pump(): void {
    const job = this.waiting;
    if (this.running || !job) return;
    this.waiting = null;
    const worker = (this.worker ??= this.startWorker());
    const id = ++this.nextId;
    this.running = { ...job, id };
    const message: DescribeRequest = { id, name: job.request.name, options: job.request.options, ...(job.contents !== this.posted ? { contents: job.contents } : {}) };
    this.posted = job.contents;
    worker.postMessage(message);
  }

  private startWorker(): Worker {
    const worker = new Worker(new URL('./table-describe-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<{ id: number; summary?: TableSummary; error?: string }>) => {
      const job = this.running;
      if (!job || job.id !== event.data.id) return;
      this.running = null;
      const { summary, error } = event.data;
      this.finish(job, summary ?? failed(job.request.name, error ?? 'no answer'));
    };
    worker.onerror = (event) => {
      const job = this.running;
      // A worker that failed may hold a broken state: the next request starts a new one (and sends the file again).
      this.stopWorker();
      if (job) this.finish(job, failed(job.request.name, `the table worker failed: ${event.message}`));
    };
    return worker;
  }

  /** Shows a finished description unless the file or the settings changed meanwhile, then runs the waiting request. */
  private finish(job: Job, summary: TableSummary): void {
    if (job.key === this.key && job.contents === this.contents) {
      this.check = { name: job.request.name, pending: false, summary };
      this.host.requestUpdate();
    }
    this.pump();
  }

  private stopWorker(): void {
    this.worker?.terminate();
    this.worker = null;
    this.posted = null;
    this.running = null;
  }
}

function failed(name: string, message: string): TableSummary {
  return { name, format: null, rows: 0, columns: [], encoded: null, error: message };
}
