// Prepended (first: directives precede declarations) to kernels whose matmul core uses subgroup
// operations; only compiled on devices with the `subgroups` feature (src/kernels/shaders.ts).
// The quad operations in matmul-subgroup.wgsl run under a branch on a subgroup-uniform value, which
// WGSL's uniformity analysis cannot see: its check is turned off for this module alone.
enable subgroups;
diagnostic(off, subgroup_uniformity);
