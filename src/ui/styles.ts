// Shared look of buttons, inputs and panels; each element adds its own styles after these.
import { css } from 'lit';

export const baseStyles = css`
  :host {
    --ft-text: #1d2530;
    --ft-muted: #5b6673;
    --ft-line: #d5dce4;
    --ft-panel: #ffffff;
    --ft-accent: #1f5fbf;
    --ft-accent-soft: #e8f0fc;
    --ft-error: #b3261e;
    --ft-error-soft: #fdf0ef;
    --ft-ok: #1e7b34;
    color: var(--ft-text);
    font-family: system-ui, sans-serif;
    font-size: 14px;
  }
  h2 { font-size: 1.05rem; margin: 0 0 0.5rem; }
  h3 { font-size: 0.95rem; margin: 0.75rem 0 0.35rem; }
  button {
    font: inherit;
    padding: 0.3rem 0.75rem;
    border: 1px solid var(--ft-line);
    border-radius: 5px;
    background: #f6f8fa;
    color: inherit;
    cursor: pointer;
  }
  button:hover:not(:disabled) { background: #eef2f6; }
  button:disabled { opacity: 0.5; cursor: not-allowed; }
  button.primary { background: var(--ft-accent); border-color: var(--ft-accent); color: #fff; font-weight: 600; }
  button.primary:hover:not(:disabled) { background: #194f9f; }
  button.small { padding: 0.1rem 0.45rem; font-size: 0.85rem; }
  :focus-visible { outline: 2px solid var(--ft-accent); outline-offset: 2px; }
  input, select, textarea {
    font: inherit;
    padding: 0.25rem 0.4rem;
    border: 1px solid var(--ft-line);
    border-radius: 4px;
    background: #fff;
    color: inherit;
    min-width: 0;
  }
  .panel { background: var(--ft-panel); border: 1px solid var(--ft-line); border-radius: 8px; padding: 0.75rem 1rem; }
  .muted { color: var(--ft-muted); }
  .error { color: var(--ft-error); }
  .vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
