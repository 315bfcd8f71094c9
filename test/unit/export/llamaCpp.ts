// Greedy decoding in a real llama.cpp build (node-llama-cpp's prebuilt CPU binary), with an
// optional LoRA GGUF loaded on top of the base GGUF, as a llama.cpp user would run the voice.
type NodeLlamaCpp = typeof import('node-llama-cpp', { with: { 'resolution-mode': 'import' } });
type Llama = Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;
type Token = import('node-llama-cpp', { with: { 'resolution-mode': 'import' } }).Token;

let llama: Promise<Llama> | undefined;

export function getCpuLlama(): Promise<Llama> {
  llama ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) =>
    // build: 'never' — a test must not start compiling llama.cpp when the prebuilt binary is missing.
    getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error }));
  return llama;
}

/** For each prompt, `steps` greedy tokens from `baseGguf` with `loraGguf` applied (scale 1) if given. */
export async function llamaCppGreedy(baseGguf: string, loraGguf: string | undefined, prompts: Array<{ ids: number[]; steps: number }>): Promise<number[][]> {
  const instance = await getCpuLlama();
  const model = await instance.loadModel({ modelPath: baseGguf, gpuLayers: 0 });
  try {
    const results: number[][] = [];
    for (const { ids, steps } of prompts) {
      // A fresh context per prompt: nothing of the previous prompt stays in its KV cache.
      const context = await model.createContext({
        contextSize: 256, sequences: 1, threads: 2,
        ...(loraGguf ? { lora: { adapters: [{ filePath: loraGguf }] } } : {}),
      });
      try {
        const out: number[] = [];
        if (steps > 0) {
          for await (const token of context.getSequence().evaluate(ids as Token[], { temperature: 0 })) {
            out.push(Number(token));
            if (out.length >= steps) break;
          }
        }
        results.push(out);
      } finally {
        await context.dispose();
      }
    }
    return results;
  } finally {
    await model.dispose();
  }
}
