// Saves a Blob as a file download (an object URL on a temporary link).

export function downloadBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started by now; revoking later still lets slow browsers read it.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A study name as the start of a download's file name (`penguins v2` → `penguins_v2`). */
export function fileBase(name: string): string {
  return name.replace(/[^\w.-]+/g, '_') || 'study';
}
