import { defineConfig } from 'vitest/config';
import { vulkanLaunchEnv } from './src/gpu/node-gpu.ts';

// Test workers are forked from this process: give them the Vulkan loader Dawn needs before they start.
Object.assign(process.env, vulkanLaunchEnv());

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
