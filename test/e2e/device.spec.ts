// The first page in real Chromium: the WebGPU adapter report, or a clear message without WebGPU.
import { expect, test } from '@playwright/test';

test('shows the WebGPU adapter', async ({ page }) => {
  await page.goto('/');
  const name = page.getByTestId('adapter-name');
  await expect(name).toBeVisible();
  await expect(name).not.toHaveText('');
  await expect(page.getByText('maxStorageBufferBindingSize')).toBeAttached();
});

test('says what is needed when the browser has no WebGPU', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await page.goto('/');
  await expect(page.getByTestId('no-webgpu')).toContainText('WebGPU');
  await expect(page.getByTestId('no-webgpu')).toContainText('Chrome');
});
