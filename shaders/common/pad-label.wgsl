// The label word of the device data set's padding row (src/engine/device-dataset.ts appends one
// row of zero features with this label). Evaluation chunks that gather each trial's own rows are
// padded with it; the loss kernels skip such rows and do not count them. As a float32 it is a NaN,
// which no regression target is.
const PAD_LABEL: u32 = 0xffffffffu;
