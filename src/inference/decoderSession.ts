// The ONNX Runtime session the decode loop runs: the export's file, read once and trimmed
// of the outputs the loop never fetches (editorGraph.ts), on the CPU or, when asked, CUDA
// with a fallback to the CPU that says why.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { presentOutputsToDrop, pruneOutputs } from './editorGraph';
import type { Device } from './protocol';

export interface OpenedSession {
  session: InferenceSession;
  device: Device;
  /** Set when CUDA was asked for and the CPU runs instead. */
  fallbackReason?: string;
  /** Outputs left out of the session (present.*, when the export also has new_key_values.*). */
  droppedOutputs: string[];
}

export async function openDecoderSession(file: string, options: { device: Device; threads: number }): Promise<OpenedSession> {
  // A file cut short (a full disk during export) or not ONNX at all.
  const unreadable = (e: unknown) => new Error(`${file} cannot be read as an ONNX model (${firstLine(e)}): export the voice again, or run set-up for the default model.`, { cause: e });
  let pruned: ReturnType<typeof pruneOutputs>;
  try {
    pruned = pruneOutputs(readFileSync(file), presentOutputsToDrop);
  } catch (e) {
    throw unreadable(e);
  }
  const { bytes, droppedOutputs } = pruned;
  const open = (device: Device) => InferenceSession.create(bytes, {
    executionProviders: [device],
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: {
      session: {
        // Idle pool threads sleep instead of spinning: on a busy 2-core machine a spinning
        // thread takes the core its partner needs (ghost text after 1,500 tokens, load 5.6:
        // 5.1 s spinning, 2.9 s not), and between tokens it burns CPU the editor needs. On an
        // idle machine spinning was ~10% faster per decode step.
        intra_op: { allow_spinning: '0' },
        // Loaded from memory, the model finds weights stored beside it (`<file>_data`, models over 1.8 GB) here.
        model_external_initializers_file_folder_path: dirname(file),
      },
    },
  });
  const onCpu = () => open('cpu').catch((e: unknown) => { throw unreadable(e); });
  if (options.device !== 'cuda') return { session: await onCpu(), device: 'cpu', droppedOutputs };
  try {
    return { session: await open('cuda'), device: 'cuda', droppedOutputs };
  } catch (e) {
    // CUDA needs onnxruntime-node's CUDA provider files, CUDA 12 and cuDNN 9; any of them missing throws.
    const fallbackReason = `CUDA was asked for but could not be used (${firstLine(e)}); using the CPU.`;
    return { session: await onCpu(), device: 'cpu', fallbackReason, droppedOutputs };
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}
