// The ONNX Runtime session the decode loop runs: the export's file, read once and trimmed
// of the outputs the loop never fetches (editorGraph.ts), on the CPU or, when asked, CUDA
// with a fallback to the CPU that says why.
//
// Voice Draft ships onnxruntime-node's CPU runtime only. Its CUDA provider is separate
// libraries (libonnxruntime_providers_cuda.so and _shared.so, from Microsoft's
// Microsoft.ML.OnnxRuntime.Gpu.Linux package, Linux x64 only) that onnxruntime-node's
// install script downloads and the packaging leaves out (offline installs, and a VSIX of
// several hundred MB more). So `cuda` is tried only where those files are; otherwise the
// reason names what is missing, and the writer is told (README: Writing on a GPU).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
  const missing = cudaProviderProblem();
  if (missing) return { session: await onCpu(), device: 'cpu', fallbackReason: `CUDA was asked for (voiceDraft.inference.device), but ${missing}; writing on the CPU.`, droppedOutputs };
  try {
    return { session: await open('cuda'), device: 'cuda', droppedOutputs };
  } catch (e) {
    // CUDA needs onnxruntime-node's CUDA provider files, CUDA 12 and cuDNN 9; any of them missing throws.
    const fallbackReason = `CUDA was asked for but could not be used (${firstLine(e)}); using the CPU.`;
    return { session: await onCpu(), device: 'cpu', fallbackReason, droppedOutputs };
  }
}

/** onnxruntime-node's native libraries for this machine (beside the bundle in the VSIX, under node_modules here). */
export function runtimeLibraryDir(): string {
  return join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** Why ONNX Runtime cannot offer CUDA here, or undefined when its CUDA provider is installed. */
export function cudaProviderProblem(platform: string = process.platform, arch: string = process.arch, libraryDir?: string): string | undefined {
  if (platform !== 'linux' || arch !== 'x64') return `onnxruntime-node has a CUDA provider for Linux x64 only (this is ${platform}-${arch})`;
  const dir = libraryDir ?? runtimeLibraryDir();
  const absent = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'].filter((f) => !existsSync(join(dir, f)));
  if (absent.length === 0) return undefined;
  return `ONNX Runtime's CUDA provider is not installed (${absent.join(' and ')} missing from ${dir}): Voice Draft ships the CPU runtime only`;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}
