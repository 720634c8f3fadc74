// What the app's charts drew, read from the page in e2e tests: Plot's own marks, and the dots and lines drawn as a few paths (src/ui/fast-marks.ts).
import type { Locator, Page } from '@playwright/test';

/** Charts off screen are not drawn (content-visibility: auto) until scrolled to: this brings one into view first. */
export async function inView(chart: Locator): Promise<Locator> {
  await chart.scrollIntoViewIfNeeded();
  return chart;
}

/** Plot's elements of one mark kind (`bar`, `cell`, `dot` for symbols such as ✕). */
export const marks = (chart: Locator, kind: string, shape: string) => chart.locator(`svg g[aria-label="${kind}"] ${shape}`);

/**
 * Dots or lines a chart drew as paths: the sum of their groups' data-count, only the groups drawn in
 * `color` when given (the Pareto front's red, say).
 */
export function drawn(chart: Locator, kind: 'dot' | 'line', color?: string): Promise<number> {
  const attribute = kind === 'dot' ? 'data-fill' : 'data-stroke';
  return chart.locator(`g[aria-label="${kind}"][data-count]`).evaluateAll(
    (groups, [attr, wanted]) => groups.filter((g) => !wanted || g.querySelector(`path[${attr}="${wanted}"]`)).reduce((n, g) => n + Number(g.getAttribute('data-count')), 0),
    [attribute, color ?? ''] as const,
  );
}

export const rows = (page: Page) => page.getByTestId('trial-table').locator('tbody tr[data-trial]');

/** Fails the test on any uncaught error or console error in the page. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}
