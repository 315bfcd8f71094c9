// The model that writes: the active voice's export (or the default model's), loaded once
// in the inference worker and swapped when the active voice changes.
import type { ActiveVoiceSource } from './activeVoice';
import { locateModel, type LocatedModel } from './modelLocator';
import type { Device, ModelLoaded, PromptInput, WarmStats } from './protocol';
import type { GenerateOptions, GenerateRequest, GenerateResult, InferenceWorkerHost, Log } from './workerHost';

export interface VoiceModelOptions {
  host: InferenceWorkerHost;
  voice: ActiveVoiceSource;
  device: () => Device;
  /** ONNX Runtime intra-op threads. */
  threads: () => number;
  log?: Log;
  /** Finds the model folder for a run (default: locateModel). */
  locate?: (runDir: string | undefined) => LocatedModel;
}

export interface ReadyModel {
  located: LocatedModel;
  loaded: ModelLoaded;
}

export class VoiceModel {
  private readonly subscription: { dispose(): unknown };
  private lastNote: string | undefined;

  constructor(private readonly options: VoiceModelOptions) {
    this.subscription = options.voice.onDidChange(() => {
      // Load the new voice now, so the next keystroke does not wait for it.
      this.ready().catch((e: unknown) => options.log?.('warn', `Loading the new voice failed: ${e instanceof Error ? e.message : String(e)}`));
    });
  }

  /** Where the current voice's model is (throws NoModelError with what to do when there is none). */
  locate(): LocatedModel {
    const located = (this.options.locate ?? ((run) => locateModel(run)))(this.options.voice.current());
    if (located.note && located.note !== this.lastNote) this.options.log?.('warn', located.note);
    this.lastNote = located.note;
    return located;
  }

  /**
   * The current voice's model, loaded (swapping out another voice's). `located` is what the
   * caller already found for this request (its cache key and prompt were made for it), so the
   * export's marker is read once per keystroke and the model loaded is the one they assumed.
   */
  async ready(located: LocatedModel = this.locate()): Promise<ReadyModel> {
    const loaded = await this.options.host.ensureModel({
      dir: located.dir, dtype: located.dtype, device: this.options.device(), threads: this.options.threads(), version: located.version,
    });
    return { located, loaded };
  }

  async generate(req: GenerateRequest, opts: GenerateOptions & { located?: LocatedModel } = {}): Promise<GenerateResult & { model: ReadyModel }> {
    const model = await this.ready(opts.located);
    const result = await this.options.host.generate(req, opts);
    return { ...result, model };
  }

  /** Fills ghost text's key/value cache for `prompt` in the background (InferenceWorkerHost.warm), with the current voice loaded first. */
  async warm(prompt: PromptInput, opts: { signal?: AbortSignal; located?: LocatedModel } = {}): Promise<WarmStats> {
    await this.ready(opts.located);
    return this.options.host.warm(prompt, opts);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
