/**
 * Your own data: a corpus (JSON lines) and one or two QA files (JSON lines, or Parquet: Search-R1's training files
 * or question / golden_answers columns), by file picker or drag-and-drop. The files go to
 * the worker as bytes; it parses and indexes them (the page never freezes) and reports progress, a problem naming
 * file and line, or warnings. Until an upload has fully loaded, the current corpus stays in use. Presentational,
 * except for reading the chosen files into bytes.
 */
import { useState, type DragEvent } from 'react';
import type { UploadState } from '../store/state';
import type { FileBytes } from '../workers/protocol';

export interface UploadPanelProps {
  upload: UploadState;
  disabled: boolean;
  onUpload(files: FileBytes[]): void;
}

async function readAll(files: FileList | File[]): Promise<FileBytes[]> {
  return Promise.all(Array.from(files).map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
}

export function UploadPanel({ upload, disabled, onUpload }: UploadPanelProps) {
  const [over, setOver] = useState(false);
  const take = (files: FileList | File[] | null) => {
    if (!files || !files.length || disabled) return;
    void readAll(files).then(onUpload);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    take(e.dataTransfer.files);
  };
  return (
    <section className="panel" aria-labelledby="upload-title">
      <h2 id="upload-title">Your own data</h2>
      <div
        className={`drop-zone${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="drop-zone"
      >
        <p className="small">
          Drop a corpus (<code>{'{"id", "contents"}'}</code> per line) and one or two QA files (
          <code>{'{"id", "question", "golden_answers"}'}</code>, or a Search-R1 / FlashRAG{' '}
          <code>.parquet</code>) here, or{' '}
          <label className="file-label">
            choose files
            <input
              type="file"
              multiple
              accept=".jsonl,.json,.txt,.parquet,application/json,application/x-ndjson,application/vnd.apache.parquet"
              disabled={disabled || upload.pending}
              onChange={(e) => {
                take(e.target.files);
                e.target.value = '';
              }}
              data-testid="upload-input"
            />
          </label>
          . A QA file named test/dev/val is held out; with one QA file its last fifth is.
        </p>
      </div>
      {upload.pending ? (
        <div className="progress" data-testid="upload-progress">
          <progress max={1} value={upload.fraction} /> {upload.message}
        </div>
      ) : null}
      {upload.error ? (
        <p className="error-text" role="alert" data-testid="upload-error">
          Not loaded: {upload.error}. The corpus loaded before stays in use.
        </p>
      ) : null}
      {!upload.pending && !upload.error && upload.message ? (
        <p className="small" data-testid="upload-done">
          {upload.message}
        </p>
      ) : null}
      {upload.warnings.map((w) => (
        <p key={w} className="warn-text small" data-testid="upload-warning">
          Warning: {w}
        </p>
      ))}
    </section>
  );
}
