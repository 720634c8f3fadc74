// Progress of a long run: a live bar on a terminal (cli-progress), periodic lines otherwise (CI, pipes).
import cliProgress from 'cli-progress';
import { duration } from './format.ts';

export interface ProgressState {
  trialsDone: number;
  trialsTotal: number;
  stepsDone: number;
  stepsTotal: number;
  best: string;
  samplesPerSec: number;
  elapsedMs: number;
}

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private lastLine = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.bar = stream.isTTY
      ? new cliProgress.SingleBar(
          {
            stream,
            format: 'trials {trials} |{bar}| {percentage}% | best {best} | {sps} samples/s | ETA {etaText}',
            hideCursor: true,
            clearOnComplete: false,
            barsize: 24,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(1, 0, this.payload({ trialsDone: 0, trialsTotal: 0, stepsDone: 0, stepsTotal: 1, best: '-', samplesPerSec: 0, elapsedMs: 0 }));
  }

  private payload(s: ProgressState) {
    const fraction = s.stepsTotal > 0 ? s.stepsDone / s.stepsTotal : 0;
    const eta = fraction > 0 ? (s.elapsedMs * (1 - fraction)) / fraction : NaN;
    return {
      trials: `${s.trialsDone}/${s.trialsTotal}`,
      best: s.best,
      sps: Math.round(s.samplesPerSec).toLocaleString('en-US'),
      etaText: duration(eta),
    };
  }

  update(s: ProgressState): void {
    if (this.bar) {
      this.bar.setTotal(Math.max(1, s.stepsTotal));
      this.bar.update(Math.min(s.stepsDone, s.stepsTotal), this.payload(s));
      return;
    }
    // Not a terminal: a line every 10 seconds at most.
    const now = Date.now();
    if (now - this.lastLine < 10_000 && s.stepsDone < s.stepsTotal) return;
    this.lastLine = now;
    const p = this.payload(s);
    const percent = s.stepsTotal > 0 ? Math.floor((100 * s.stepsDone) / s.stepsTotal) : 0;
    this.stream.write(`progress ${percent}% trials ${p.trials} best ${p.best} ${p.sps} samples/s elapsed ${duration(s.elapsedMs)} ETA ${p.etaText}\n`);
  }

  stop(): void {
    this.bar?.stop();
  }
}
