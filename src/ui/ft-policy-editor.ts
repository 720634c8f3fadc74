// <ft-policy-editor>: how a study searches and when it ends: objectives, sampler (random, grid, TPE, MOTPE, NSGA-II, PBT) with its options, pruner and budget.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { defaultObjective, METRIC_DIRECTIONS, METRIC_LABELS, OBJECTIVE_METRICS, SHAPE_METRICS, TASK_METRICS, type ObjectiveMetric } from '../model/objectives.ts';

type Task = keyof typeof TASK_METRICS;
import type { StudyIssue } from '../search/errors.ts';
import { TPE_DEFAULTS } from '../search/tpe.ts';
import './ft-field.ts';
import type { FieldKind, FieldOption } from './ft-field.ts';
import { issuesAt, issuesUnder } from './study-draft.ts';
import { baseStyles } from './styles.ts';

type Json = Record<string, unknown>;

interface OptionSpec {
  key: string;
  label: string;
  kind: FieldKind;
  hint: string;
  /** What the schema takes when the key is absent (a checkbox shows it, and a choice equal to it removes the key). */
  default?: unknown;
}

const number = (key: string, label: string, hint: string): OptionSpec => ({ key, label, kind: 'number', hint });
const check = (key: string, label: string, hint: string, byDefault = false): OptionSpec => ({ key, label, kind: 'checkbox', hint, default: byDefault });
const TPE: OptionSpec[] = [
  number('startupTrials', 'startup trials', 'random before modelling; default 10'),
  number('candidates', 'candidates', 'default 24'),
  check('multivariate', 'multivariate', 'one joint density', TPE_DEFAULTS.multivariate),
  check('constantLiar', 'constant liar', `default ${TPE_DEFAULTS.constantLiar ? 'on' : 'off'}: spreads a batch`, TPE_DEFAULTS.constantLiar),
];

/** Each sampler's options as the schema names them (src/search/specs.ts); left empty, the schema's default applies. */
export const SAMPLER_OPTIONS: Readonly<Record<string, OptionSpec[]>> = {
  random: [],
  grid: [check('shuffle', 'random subset', 'when trials caps the grid: a seeded random subset, not its first points')],
  tpe: TPE,
  motpe: TPE,
  nsga2: [
    number('population', 'population', 'per generation; default 50'),
    number('crossoverProb', 'crossover prob.', 'default 0.9'),
    number('swappingProb', 'swapping prob.', 'default 0.5'),
    number('mutationProb', 'mutation prob.', 'default 1/parameters'),
  ],
  pbt: [
    number('population', 'population', 'trials trained together; default 16'),
    number('interval', 'interval (steps)', 'between exploits; default 100'),
    number('quantile', 'quantile', 'bottom copies top; default 0.25'),
    { key: 'perturb', label: 'perturb factors', kind: 'numbers', hint: 'default 0.8, 1.2' },
    number('resample', 'resample prob.', 'default 0.25'),
    { key: 'mutable', label: 'mutable', kind: 'scalars', hint: 'parameters explore may change; default lr' },
  ],
};

const UNIT: OptionSpec = { key: 'unit', label: 'unit', kind: 'select', hint: 'epochs, or steps for short trials' };
export const PRUNER_OPTIONS: Readonly<Record<string, OptionSpec[]>> = {
  none: [],
  median: [UNIT, number('every', 'report every', 'units; optional'), number('startupTrials', 'startup trials', 'default 5'), number('warmup', 'warm-up reports', 'default 0')],
  'successive-halving': [UNIT, number('every', 'report every', 'units; optional'), number('minResource', 'min resource', 'reports; default 1'), number('reductionFactor', 'reduction factor', 'default 4'), number('minEarlyStoppingRate', 'min early-stopping rate', 'default 0')],
  hyperband: [UNIT, number('every', 'report every', 'units; optional'), number('minResource', 'min resource', 'default 1'), number('reductionFactor', 'reduction factor', 'default 3')],
};

const SAMPLER_LABELS: Record<string, string> = { random: 'random', grid: 'grid', tpe: 'TPE (one objective)', motpe: 'MOTPE (several objectives)', nsga2: 'NSGA-II (several objectives)', pbt: 'population-based training' };
const asObject = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const metricOption = (metric: ObjectiveMetric): FieldOption => ({ label: `${METRIC_LABELS[metric]} (${METRIC_DIRECTIONS[metric]})`, value: metric });

/** The metrics a task can be scored by, then the shape's speed and memory; every metric while the task is unknown. */
function taskMetrics(task: Task | null): readonly ObjectiveMetric[] {
  return task ? [...TASK_METRICS[task], ...OBJECTIVE_METRICS.filter((m) => SHAPE_METRICS.has(m))] : OBJECTIVE_METRICS;
}

/**
 * @fires policy-change - `detail: { key, value }`: the study's new `objective`, `sampler`, `pruner` or `budget` JSON (undefined removes it).
 */
@customElement('ft-policy-editor')
export class FtPolicyEditor extends LitElement {
  /** The study draft (only objective, sampler, pruner, budget and space are read). */
  @property({ attribute: false }) draft: Json = {};
  @property({ attribute: false }) issues: readonly StudyIssue[] = [];
  /** Trials the valid draft runs (Infinity when only samples or seconds end it), and its grid's size. */
  @property({ attribute: false }) trials: number | null = null;
  @property({ attribute: false }) gridSize: number | null = null;
  /** The data's task, when known: the objective menus offer its metrics (and speed and memory). */
  @property({ attribute: false }) task: Task | null = null;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .grid { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 0.4rem 0.6rem; align-items: start; margin-bottom: 0.5rem; }
      .objectives { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: end; margin-bottom: 0.5rem; }
      .message { color: var(--ft-error); font-size: 0.8rem; margin: 0.2rem 0 0; }
      .cap { border: 1px solid #e8cf8f; background: #fff8e6; border-radius: 6px; padding: 0.45rem 0.7rem; font-size: 0.85rem; margin: 0.3rem 0 0.5rem; }
      .cap p { margin: 0 0 0.35rem; }
      h4 { margin: 0.4rem 0 0.25rem; font-size: 0.85rem; }
    `,
  ];

  override render() {
    const d = this.draft;
    const sampler = asObject(d.sampler);
    const samplerType = typeof sampler.type === 'string' ? sampler.type : 'random';
    const pruner = asObject(d.pruner);
    const prunerType = typeof pruner.type === 'string' ? pruner.type : 'none';
    const budget = asObject(d.budget);
    const epochsElsewhere = Object.hasOwn(asObject(d.space), 'epochs') ? 'sampled in the space' : Object.hasOwn(asObject(d.defaults), 'epochs') ? 'set in defaults' : null;
    const budgetField = (key: string, label: string, hint: string) =>
      html`<ft-field label=${label} kind="number" hint=${hint} .value=${budget[key]} .issues=${issuesAt(this.issues, `budget.${key}`)}
        @field-change=${(e: CustomEvent<{ value: unknown }>) => this.set('budget', { ...budget, [key]: e.detail.value })}></ft-field>`;
    return html`
      ${this.renderObjectives()}
      <h4>Sampler</h4>
      <div class="grid">
        <ft-field label="sampler" kind="select" .value=${samplerType} .options=${Object.keys(SAMPLER_OPTIONS).map((t) => ({ label: SAMPLER_LABELS[t]!, value: t }))}
          .issues=${issuesAt(this.issues, 'sampler.type').concat(issuesAt(this.issues, 'sampler', true))}
          @field-change=${(e: CustomEvent<{ value: unknown }>) => this.set('sampler', { type: e.detail.value })}></ft-field>
        ${this.renderSettings('sampler', sampler, SAMPLER_OPTIONS[samplerType] ?? [])}
      </div>
      ${this.renderGridCap(samplerType, sampler, budget)}
      <h4>Pruner <span class="muted">stops poor trials early from their intermediate values</span></h4>
      <div class="grid">
        <ft-field label="pruner" kind="select" .value=${prunerType} .options=${Object.keys(PRUNER_OPTIONS).map((t) => ({ label: t, value: t }))}
          .issues=${issuesAt(this.issues, 'pruner.type').concat(issuesAt(this.issues, 'pruner', true))}
          @field-change=${(e: CustomEvent<{ value: unknown }>) => this.set('pruner', e.detail.value === 'none' ? undefined : { type: e.detail.value })}></ft-field>
        ${this.renderSettings('pruner', pruner, PRUNER_OPTIONS[prunerType] ?? [])}
      </div>
      <h4>Budget</h4>
      <div class="grid">
        ${budgetField('trials', 'trials', samplerType === 'grid' ? 'optional cap on the grid' : samplerType === 'pbt' ? 'leave empty: PBT trains its population' : 'or set samples or seconds')}
        ${epochsElsewhere
          ? html`<ft-field label="epochs" kind="number" disabled hint="epochs is ${epochsElsewhere}" .value=${budget.epochs} .issues=${issuesAt(this.issues, 'budget.epochs')}
              @field-change=${(e: CustomEvent<{ value: unknown }>) => this.set('budget', { ...budget, epochs: e.detail.value })}></ft-field>`
          : budgetField('epochs', 'epochs', 'every trial’s epochs')}
        ${budgetField('maxStepsPerTrial', 'max steps per trial', 'optional')}
        ${budgetField('samples', 'samples', 'optional: no new trial after')}
        ${budgetField('seconds', 'seconds', 'optional: no new trial after')}
      </div>
      ${epochsElsewhere && budget.epochs !== undefined
        ? html`<p class="message">epochs is ${epochsElsewhere} and in the budget:
            <button class="small" type="button" @click=${() => this.set('budget', { ...budget, epochs: undefined })}>Remove it from the budget</button></p>`
        : nothing}
      ${issuesAt(this.issues, 'budget', true).length ? html`<p class="message">${issuesAt(this.issues, 'budget', true).map((i) => i.message).join('; ')}</p>` : nothing}
    `;
  }

  private renderObjectives() {
    const raw = this.draft.objective;
    // Left out, the objective is the task's default (studyForTask decides it once the data is read).
    const list = raw === undefined ? [{ metric: defaultObjective(this.task ?? 'classification').metric }] : Array.isArray(raw) ? raw.map(asObject) : [asObject(raw)];
    const several = Array.isArray(raw);
    const write = (items: Json[]) => this.set('objective', items.length === 1 ? items[0] : items);
    const metrics = taskMetrics(this.task);
    const unused = metrics.filter((m) => !list.some((o) => o.metric === m));
    // A metric of another task stays listed where it is chosen, so the menu shows it beside its issue.
    const options = (chosen: unknown) => [...(OBJECTIVE_METRICS.includes(chosen as ObjectiveMetric) && !metrics.includes(chosen as ObjectiveMetric) ? [chosen as ObjectiveMetric] : []), ...metrics].map(metricOption);
    return html`<h4>Objectives <span class="muted">${list.length > 1 ? 'a Pareto search over all' : 'one metric; add one for a Pareto search'}</span></h4>
      <div class="objectives">
        ${list.map(
          (o, i) => html`<ft-field label=${list.length > 1 ? `objective ${i + 1}` : 'objective'} kind="select" .value=${o.metric} .options=${options(o.metric)}
              .issues=${issuesUnder(this.issues, several ? `objective[${i}]` : 'objective').concat(i === 0 ? issuesAt(this.issues, 'objective', true) : [])}
              @field-change=${(e: CustomEvent<{ value: unknown }>) => write(list.map((x, j) => (j === i ? { metric: e.detail.value } : x)))}></ft-field>
            ${list.length > 1 ? html`<button class="small" type="button" aria-label="Remove objective ${i + 1}" @click=${() => write(list.filter((_, j) => j !== i))}>Remove</button>` : nothing}`,
        )}
        ${list.length < 4 && unused.length > 0 ? html`<button class="small" type="button" @click=${() => write([...list, { metric: unused.find((m) => m === 'samples_per_sec') ?? unused[0] }])}>Add objective</button>` : nothing}
      </div>`;
  }

  private renderSettings(section: 'sampler' | 'pruner', value: Json, specs: readonly OptionSpec[]) {
    return specs.map((spec) => {
      const path = `${section}.${spec.key}`;
      const options = spec.kind === 'select' ? [{ label: 'epochs', value: 'epoch' }, { label: 'optimizer steps', value: 'step' }] : [];
      // A checkbox shows the default when the key is absent; choosing the default removes the key, the other value is written.
      const shown = spec.kind === 'checkbox' ? (value[spec.key] ?? spec.default) : value[spec.key];
      return html`<ft-field label=${spec.label} context=${section} kind=${spec.kind} hint=${spec.hint} .value=${shown} .options=${options} .issues=${issuesAt(this.issues, path)}
        @field-change=${(e: CustomEvent<{ value: unknown }>) => this.set(section, { ...value, [spec.key]: spec.kind === 'checkbox' && e.detail.value === spec.default ? undefined : e.detail.value })}></ft-field>`;
    });
  }

  /** NOTE: a grid capped by budget.trials runs its first points (all with the first values of its first parameters) unless shuffled: say so. */
  private renderGridCap(type: string, sampler: Json, budget: Json) {
    if (type !== 'grid' || this.gridSize === null || this.trials === null || this.trials >= this.gridSize) return nothing;
    const shuffled = sampler.shuffle === true;
    return html`<div class="cap" role="note" data-testid="grid-cap">
      <p>The grid has <strong>${this.gridSize}</strong> combinations; budget.trials runs <strong>${this.trials}</strong> of them:
        ${shuffled ? 'a seeded random subset of the grid.' : 'its first points in declaration order, so the first parameters hardly vary.'}</p>
      ${shuffled ? nothing : html`<button class="small" type="button" @click=${() => this.set('sampler', { ...sampler, shuffle: true })}>Run a random subset of ${this.trials}</button>`}
      <button class="small" type="button" @click=${() => this.set('budget', { ...budget, trials: undefined })}>Run all ${this.gridSize}</button>
    </div>`;
  }

  private set(key: string, value: unknown): void {
    const clean = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) : value;
    const empty = clean !== null && typeof clean === 'object' && !Array.isArray(clean) && Object.keys(clean).length === 0 && key === 'budget';
    this.dispatchEvent(new CustomEvent('policy-change', { detail: { key, value: empty ? undefined : clean } }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-policy-editor': FtPolicyEditor;
  }
}
