import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS } from './src/bench/chromium-args.ts';

// Debian's chromium (no browser download); WebGPU on SwiftShader when no GPU is present.

// FUSETUNE_E2E_PORT lets two checkouts run their e2e tests at once (each reuses only its own server).
const PORT = Number(process.env.FUSETUNE_E2E_PORT ?? 4173);

export default defineConfig({
  testDir: 'test/e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  use: {
    baseURL: `http://localhost:${PORT}`,
    viewport: { width: 1280, height: 800 },
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
  },
  webServer: {
    command: `npx vite build --logLevel warn && npx vite preview --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 180_000,
  },
});
