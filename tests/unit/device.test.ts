// DeviceWatch's reading of a run's error: WebGPU out of memory gives the device up (once), anything else does not;
// and the 'oom' fault drill's error is read as out of memory. Fakes for the backend and the device: no tfjs backend.
import { describe as group, expect, it } from 'vitest';
import { DeviceWatch, type GpuDevice } from '../../src/workers/device';
import { exhaust, oomMessage } from '../../src/workers/faults';
import { describe, type FromWorker } from '../../src/workers/protocol';

/** A watch on a fake backend, with the messages it posts. */
function watchOn(backend: string) {
  const posted: FromWorker[] = [];
  const watch = new DeviceWatch(
    (m) => posted.push(m),
    () => 7,
    () => backend,
  );
  return { watch, posted };
}

/** What tfjs-backend-webgpu's upload throws when the drill has exhausted the device. */
function drilledError(): string {
  const made: number[] = [];
  const device: GpuDevice = { createBuffer: (d) => made.push(d.size) };
  expect(exhaust(device)).toBe(true);
  device.createBuffer?.({ size: 16, usage: 0 }); // not mapped: passes through
  let thrown: unknown = null;
  try {
    device.createBuffer?.({ size: 4096, usage: 0, mappedAtCreation: true });
  } catch (e) {
    thrown = e;
  }
  device.createBuffer?.({ size: 32, usage: 0, mappedAtCreation: true }); // once: the next one is made
  expect(made).toEqual([16, 32]);
  expect(thrown).toBeInstanceOf(RangeError);
  return describe(thrown);
}

group('DeviceWatch.dropsError', () => {
  const chromiumOom = `RangeError: ${oomMessage(1048576)}`;

  it.each([chromiumOom, 'Error: failed to allocate buffer', 'GPU out of memory'])(
    'gives WebGPU up once on an out-of-memory error: %s',
    (message) => {
      const { watch, posted } = watchOn('webgpu');
      expect(watch.dropsError(message)).toBe(true);
      expect(watch.lost).toBe(true);
      expect(watch.dropsError(message)).toBe(true); // later failures of the lost device are dropped too
      expect(posted).toEqual([
        { type: 'device-lost', runId: 7, message: `WebGPU ran out of memory (${message})` },
      ]);
    },
  );

  it('keeps the device on another backend, for the same message', () => {
    const { watch, posted } = watchOn('wasm');
    expect(watch.dropsError(chromiumOom)).toBe(false);
    expect(watch.lost).toBe(false);
    expect(posted).toEqual([]);
  });

  it('keeps the device on an unrelated error', () => {
    const { watch, posted } = watchOn('webgpu');
    expect(watch.dropsError('train.jsonl line 1: invalid JSON')).toBe(false);
    expect(watch.dropsError('RangeError: Invalid array length')).toBe(false);
    expect(watch.lost).toBe(false);
    expect(posted).toEqual([]);
  });

  it("reads the 'oom' drill's error as out of memory", () => {
    const message = drilledError();
    expect(message).toBe(`RangeError: ${oomMessage(4096)}`);
    const { watch, posted } = watchOn('webgpu');
    expect(watch.dropsError(message)).toBe(true);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ type: 'device-lost', message: /^WebGPU ran out of memory/ });
  });
});

group('DeviceWatch on a device', () => {
  type Listener = (e: { error: { constructor: { name: string }; message: string } }) => void;
  function fakeDevice() {
    const listeners: Listener[] = [];
    const device: GpuDevice = { addEventListener: (_t, f) => listeners.push(f) };
    const fire = (error: { constructor: { name: string }; message: string }) =>
      listeners.forEach((f) => f({ error }));
    return { device, fire };
  }
  class GPUValidationError {
    constructor(readonly message: string) {}
  }
  class GPUOutOfMemoryError {
    constructor(readonly message: string) {}
  }

  it('posts the first validation error once, naming it, and keeps the device', () => {
    const { watch, posted } = watchOn('webgpu');
    const { device, fire } = fakeDevice();
    watch.watch(device);
    fire(
      new GPUValidationError('The number of storage buffers (37) exceeds the limit (8).\n - While calling …'),
    );
    fire(new GPUValidationError('[Invalid CommandBuffer] is invalid due to a previous error.'));
    expect(watch.deviceErrors).toBe(2);
    expect(watch.lost).toBe(false);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ type: 'notice', runId: 7, level: 'warn' });
    const message = (posted[0] as { message: string }).message;
    expect(message).toContain(
      'GPUValidationError: The number of storage buffers (37) exceeds the limit (8).',
    );
    expect(message).not.toContain('While calling');
  });

  it('gives the device up on an out-of-memory error instead', () => {
    const { watch, posted } = watchOn('webgpu');
    const { device, fire } = fakeDevice();
    watch.watch(device);
    fire(new GPUOutOfMemoryError('buffer allocation failed'));
    expect(watch.lost).toBe(true);
    expect(watch.deviceErrors).toBe(0);
    expect(posted).toEqual([
      { type: 'device-lost', runId: 7, message: 'WebGPU ran out of memory (buffer allocation failed)' },
    ]);
  });
});
