#!/usr/bin/env python3
"""scikit-learn on the rows a fusetune table study used: default MLP, HistGradientBoosting, and a
RandomizedSearchCV over MLP with the study's number of trials; wall time and test accuracy or RMSE.

Usage: python3 scripts/compare-sklearn.py studies/penguins.json [--results runs/penguins] [--json OUT]

The rows come from scripts/split-rows.ts (the study's seeded split, as `fusetune run` made it); with
--results, the folder's test-rows.json must name the same test rows, and its study.json gives
fusetune's own line (the best trial by the study's objective, with its test metric). Every
scikit-learn model trains on the study's training rows only; the search picks on its validation rows
(a PredefinedSplit) and the winner is refitted on the training rows, as fusetune's best trial was
trained. Columns and kinds are the ones fusetune's transform read: numeric columns get the median
imputed and are standardized (population std, as fusetune), categorical ones one-hot with a
"missing" category and at most maxCategories kept (the rest folded into one infrequent column).
"""
import argparse
import json
import os
import subprocess
import sys
import time
import warnings

# NOTE: before numpy and scikit-learn start their thread pools. HistGradientBoosting's OpenMP threads spin
# while they wait; on this project's shared 2-core machine that made one fit 50× slower (10.7 s against
# 0.18 s for penguins). One thread unless the caller sets OMP_NUM_THREADS; the output records it.
os.environ.setdefault('OMP_NUM_THREADS', '1')

import numpy as np
from scipy.stats import loguniform, uniform
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.model_selection import PredefinedSplit, RandomizedSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
import sklearn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def split_rows(study_path):
    out = subprocess.run(['node', '--import', './bin/register.js', 'scripts/split-rows.ts', study_path], cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def read_records(path):
    """Array-of-records JSON (penguins.json, cars.json): the formats these comparisons use."""
    if not path.endswith('.json'):
        sys.exit(f'{path}: compare-sklearn reads JSON record files only')
    with open(os.path.join(ROOT, path)) as f:
        return json.load(f)


def cell(value, missing):
    """A cell as fusetune resolves it: None, NaN and missing tokens (after trimming) are missing; numeric text is a number."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text in missing:
            return None
        try:
            return float(text)
        except ValueError:
            return text
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def matrices(info, records):
    missing = set(info['missing'])
    names = [c['name'] for c in info['columns']]
    kinds = {c['name']: c['kind'] for c in info['columns']}
    X = np.empty((len(records), len(names)), dtype=object)
    for r, record in enumerate(records):
        for j, name in enumerate(names):
            v = cell(record.get(name), missing)
            if kinds[name] == 'numeric':
                X[r, j] = np.nan if v is None else float(v)
            else:
                # fusetune spells a number category by its shortest decimal (4, not 4.0).
                X[r, j] = None if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
    y_raw = [cell(record.get(info['target']), missing) for record in records]
    numeric = [j for j, n in enumerate(names) if kinds[n] == 'numeric']
    categorical = [j for j, n in enumerate(names) if kinds[n] == 'categorical']
    for j in numeric:
        X[:, j] = X[:, j].astype(float)
    for j in categorical:
        X[:, j] = np.array(['(missing)' if v is None else v for v in X[:, j]], dtype=object)
    return X, y_raw, numeric, categorical


def preprocessor(numeric, categorical, max_categories):
    return ColumnTransformer([
        ('numeric', make_pipeline(SimpleImputer(strategy='median'), StandardScaler()), numeric),
        ('categorical', OneHotEncoder(handle_unknown='infrequent_if_exist', max_categories=max_categories + 1, sparse_output=False), categorical),
    ])


def search_space(study, prefix='model__'):
    """The study's space as MLP parameters: lr → learning_rate_init, l2 → alpha (sklearn scales it by the batch; the range is the study's), batch_size, activation, units/layers/units_2 → hidden_layer_sizes."""
    space = study['space']
    defaults = study.get('defaults', {})
    dist = {}
    notes = []
    for name, p in space.items():
        if name in ('units', 'units_2', 'layers'):
            continue
        if name == 'lr':
            dist['learning_rate_init'] = loguniform(p['low'], p['high'])
        elif name == 'l2':
            dist['alpha'] = loguniform(p['low'], p['high']) if p.get('log') else uniform(p['low'], p['high'] - p['low'])
        elif name == 'batch_size':
            dist['batch_size'] = p['choices']
        elif name == 'activation':
            dist['activation'] = p['choices']
        else:
            notes.append(f'{name} has no MLP counterpart: left out')

    def ints(p):
        return list(range(p['low'], p['high'] + 1, p.get('step', 1)))

    def fixed(key, fallback):
        return [defaults.get(key, fallback)]

    layers = ints(space['layers']) if 'layers' in space else fixed('layers', 1)
    units = ints(space['units']) if 'units' in space else fixed('units', 64)
    units2 = ints(space['units_2']) if 'units_2' in space else units
    shapes = []
    for n in layers:
        if n == 1:
            shapes += [(u,) for u in units]
        elif n == 2:
            shapes += [(u, v) for u in units for v in units2]
        else:
            shapes += [(u,) * n for u in units]
    # Every shape once: a random draw then weighs layer counts by how many shapes each has, unlike the
    # study's sampler (layers first); the spread of shapes is the same.
    dist['hidden_layer_sizes'] = shapes
    if 'activation' not in dist:
        dist['activation'] = [defaults.get('activation', 'relu')]
    return {prefix + k: v for k, v in dist.items()}, notes


def fusetune_line(results, task):
    with open(os.path.join(results, 'study.json')) as f:
        record = json.load(f)
    best = next(t for t in record['trials'] if t['index'] == record['best'])
    test = best.get('test') or {}
    metric = test.get('accuracy') if task == 'classification' else test.get('rmse')
    return {
        'method': f"fusetune best of {len(record['trials'])} trials ({record['study'].get('sampler', {}).get('type', 'random')})",
        'seconds': record['wallMs'] / 1000 if record.get('wallMs') is not None else None,
        'test': metric,
        'note': f"trial {best['index']}: {best['config']['optimizer']['kind']} lr={best['config']['optimizer']['lr']:.3g} batch={best['config']['batchSize']} hidden={best['config']['hidden']}",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('study')
    parser.add_argument('--results', help="a fusetune results folder of this study: its test rows are checked, its best trial reported")
    parser.add_argument('--json', help='write the results as JSON here')
    args = parser.parse_args()

    with open(args.study) as f:
        study = json.load(f)
    info = split_rows(args.study)
    task = info['task']
    if args.results:
        with open(os.path.join(args.results, 'test-rows.json')) as f:
            held = json.load(f)
        if held['rows'] != info['rows']['test']:
            sys.exit(f"{args.results}/test-rows.json names other test rows than {args.study}'s split: was the study or the file changed?")
    records = read_records(info['file'])
    X, y_raw, numeric, categorical = matrices(info, records)
    rows = {k: np.array(v, dtype=int) for k, v in info['rows'].items()}
    if task == 'classification':
        y = np.array([str(v) for v in y_raw], dtype=object)
    else:
        y = np.array([np.nan if v is None else float(v) for v in y_raw])
    seed = info['seed']
    trials = info['trials']
    epochs = info['epochs']

    def score(model):
        pred = model.predict(X[rows['test']])
        truth = y[rows['test']]
        return float(accuracy_score(truth, pred)) if task == 'classification' else float(np.sqrt(mean_squared_error(truth, pred)))

    def timed(label, build, note=''):
        started = time.perf_counter()
        model = build()
        model.fit(X[rows['train']], y[rows['train']])
        seconds = time.perf_counter() - started
        return {'method': label, 'seconds': seconds, 'test': score(model), 'note': note}

    pre = lambda: preprocessor(numeric, categorical, info['maxCategories'])
    MLP = MLPClassifier if task == 'classification' else MLPRegressor
    HGB = HistGradientBoostingClassifier if task == 'classification' else HistGradientBoostingRegressor
    results = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', ConvergenceWarning)
        results.append(timed(f'{MLP.__name__}() defaults', lambda: Pipeline([('pre', pre()), ('model', MLP(random_state=seed))]), 'hidden (100,), adam, max_iter 200'))
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        if not converged:
            results[-1]['note'] += '; stopped at max_iter before converging (ConvergenceWarning)'
    results.append(timed(f'{HGB.__name__}() defaults', lambda: Pipeline([('pre', pre()), ('model', HGB(random_state=seed))]), 'no early stopping below 10,000 rows'))

    # The search: the study's trials, each an MLP trained max_iter = the study's epochs on the training
    # rows and scored on the validation rows; the winner refitted on the training rows alone.
    distributions, notes = search_space(study)
    fit_rows = np.concatenate([rows['train'], rows['validation']])
    fold = np.concatenate([np.full(len(rows['train']), -1), np.zeros(len(rows['validation']), dtype=int)])
    scoring = 'accuracy' if task == 'classification' else 'neg_root_mean_squared_error'
    base = Pipeline([('pre', pre()), ('model', MLP(solver='adam', max_iter=epochs, random_state=seed))])
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', ConvergenceWarning)
        search = RandomizedSearchCV(base, distributions, n_iter=trials, scoring=scoring, cv=PredefinedSplit(fold), refit=False, random_state=seed, n_jobs=1)
        search.fit(X[fit_rows], y[fit_rows])
        best = base.set_params(**search.best_params_)
        best.fit(X[rows['train']], y[rows['train']])
    seconds = time.perf_counter() - started
    params = {k.replace('model__', ''): (round(v, 6) if isinstance(v, float) else v) for k, v in search.best_params_.items()}
    results.append({'method': f'RandomizedSearchCV(MLP{"Classifier" if task == "classification" else "Regressor"}, n_iter={trials})', 'seconds': seconds, 'test': score(best),
                    'note': f'max_iter {epochs} (the study\'s epochs), validation on the study\'s validation rows; best {params}' + (f'; {"; ".join(notes)}' if notes else '')})
    if args.results:
        results.insert(0, fusetune_line(args.results, task))

    out = {
        'study': info['study'], 'file': info['file'], 'task': task, 'metric': 'test accuracy' if task == 'classification' else f"test RMSE ({info['target']})",
        'rows': {k: len(v) for k, v in rows.items()}, 'features': info['features'], 'sklearn': sklearn.__version__, 'numpy': np.__version__,
        'python': sys.version.split()[0], 'threads': os.environ['OMP_NUM_THREADS'], 'load': os.getloadavg(), 'date': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'results': results,
    }
    print(f"{out['study']}: {out['metric']}, rows train/val/test {out['rows']['train']}/{out['rows']['validation']}/{out['rows']['test']}, scikit-learn {out['sklearn']}, OMP_NUM_THREADS={out['threads']}, load {out['load'][0]:.2f}")
    print('| method | wall s | ' + out['metric'] + ' | note |')
    print('| --- | --- | --- | --- |')
    for r in results:
        seconds = '-' if r['seconds'] is None else f"{r['seconds']:.2f}"
        test = '-' if r['test'] is None else (f"{100 * r['test']:.1f}%" if task == 'classification' else f"{r['test']:.3f}")
        print(f"| {r['method']} | {seconds} | {test} | {r['note']} |")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(out, f, indent=2)
            f.write('\n')


if __name__ == '__main__':
    main()
