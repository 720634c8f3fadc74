// What an adapter is and can do, as one plain object the CLI prints and the app shows.

/** Every limit name in the WebGPU spec; read from the adapter when it has it. */
export const LIMIT_NAMES = [
  'maxTextureDimension1D',
  'maxTextureDimension2D',
  'maxTextureDimension3D',
  'maxTextureArrayLayers',
  'maxBindGroups',
  'maxBindGroupsPlusVertexBuffers',
  'maxBindingsPerBindGroup',
  'maxDynamicUniformBuffersPerPipelineLayout',
  'maxDynamicStorageBuffersPerPipelineLayout',
  'maxSampledTexturesPerShaderStage',
  'maxSamplersPerShaderStage',
  'maxStorageBuffersPerShaderStage',
  'maxStorageTexturesPerShaderStage',
  'maxUniformBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxStorageBufferBindingSize',
  'minUniformBufferOffsetAlignment',
  'minStorageBufferOffsetAlignment',
  'maxVertexBuffers',
  'maxBufferSize',
  'maxVertexAttributes',
  'maxVertexBufferArrayStride',
  'maxInterStageShaderVariables',
  'maxColorAttachments',
  'maxColorAttachmentBytesPerSample',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersInFragmentStage',
  'maxStorageBuffersInVertexStage',
  'maxStorageTexturesInFragmentStage',
  'maxStorageTexturesInVertexStage',
  'maxImmediateSize',
] as const;

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (SwiftShader, llvmpipe, WARP...) or a fallback adapter: expect ~1000× less speed. */
  isSoftware: boolean;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
  features: string[];
  /** The adapter's own limits (what a device may request), by spec name. */
  limits: Record<string, number>;
  /** Where we run: `browser` (navigator.gpu) or `node` (Dawn through the `webgpu` package). */
  runtime: 'browser' | 'node';
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b|cpu/i;

/** Reads a GPUSupportedLimits into a plain record: only the names this adapter reports as numbers. */
export function limitsRecord(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  const source = limits as unknown as Record<string, unknown>;
  for (const name of LIMIT_NAMES) {
    const value = source[name];
    if (typeof value === 'number') out[name] = value;
  }
  return out;
}

export function adapterReport(adapter: GPUAdapter, runtime: AdapterReport['runtime']): AdapterReport {
  const info = adapter.info as GPUAdapterInfo & {
    isFallbackAdapter?: boolean;
    subgroupMinSize?: number;
    subgroupMaxSize?: number;
  };
  const legacyFallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  const report: AdapterReport = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isSoftware: Boolean(info.isFallbackAdapter || legacyFallback || SOFTWARE.test(text)),
    features: [...adapter.features].map(String).sort(),
    limits: limitsRecord(adapter.limits),
    runtime,
  };
  if (typeof info.subgroupMinSize === 'number') report.subgroupMinSize = info.subgroupMinSize;
  if (typeof info.subgroupMaxSize === 'number') report.subgroupMaxSize = info.subgroupMaxSize;
  return report;
}

/** One line naming the adapter, for logs and benchmark records. */
export function adapterName(report: AdapterReport): string {
  const name = report.description || [report.vendor, report.architecture, report.device].filter(Boolean).join(' ');
  return `${name || 'unknown adapter'}${report.isSoftware ? ' (software)' : ''}`;
}

/** Human-readable multi-line report for the terminal. */
export function formatAdapterReport(report: AdapterReport): string {
  const lines = [
    `adapter       ${adapterName(report)}`,
    `vendor        ${report.vendor || '-'}`,
    `architecture  ${report.architecture || '-'}`,
    `device        ${report.device || '-'}`,
    `description   ${report.description || '-'}`,
    `software      ${report.isSoftware ? 'yes (runs on the CPU; expect ~1000x less speed than a GPU)' : 'no'}`,
    `runtime       ${report.runtime}`,
  ];
  if (report.subgroupMinSize !== undefined) {
    lines.push(`subgroups     ${report.subgroupMinSize}..${report.subgroupMaxSize}`);
  }
  lines.push(`features      ${report.features.join(', ') || '-'}`, 'limits');
  const width = Math.max(...Object.keys(report.limits).map((k) => k.length));
  for (const [name, value] of Object.entries(report.limits)) {
    lines.push(`  ${name.padEnd(width)}  ${value.toLocaleString('en-US')}`);
  }
  return lines.join('\n');
}
