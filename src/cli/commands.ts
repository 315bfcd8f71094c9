// Every `voice-draft` subcommand's command line, in one table: the line in the list
// `voice-draft --help` prints, the usage line, the paragraph and each option
// (commandLine.ts reads the arguments, checks the values and writes the usage from it).
// What each command does is in its own module (cli/<command>.ts), which takes its entry
// here; cli.ts dispatches on the table's names.
import { FORMAT_IDS } from '../core/import/types';
import { defineCommands } from './commandLine';

/** The engine's own eval options (voice_metrics/command.py), passed on as given; it knows their defaults. */
export const EVAL_ENGINE_NUMBERS = {
  samples: 'samples per prompt and model',
  prompts: 'held-out prompts to use',
  'max-new-tokens': 'tokens per sample',
  'continuation-prompts': 'held-out paragraph boundaries to continue as ghost text would',
  'continuation-tokens': 'tokens per continuation (each cut at its first paragraph break)',
  resamples: 'bootstrap resamples',
  'perplexity-tokens': 'held-out tokens scored for perplexity',
} as const;

/** The engine's eval options that may be 0, which leaves their part out. */
export const EVAL_ENGINE_COUNTS = {
  'rewrite-paragraphs': 'held-out paragraphs made plain and rewritten by each model (0: none)',
  'base-pool': 'openings of your training essays the base model continues, so attribution knows the base model (cached; 0: none)',
  'continuation-prompts-max': 'boundaries to continue in all when the first ones give too few words for a trusted Delta (0: no more)',
  'top-k': 'samples drawn from this many likeliest tokens, as voiceDraft.inline.topK (default 40; 0: all)',
  'repetition-window': 'the repetition penalty looks at this many of the last tokens, as voiceDraft.inline.repetitionWindow (default 0: all)',
} as const;

/** The engine's eval options that take a fractional number: samples are drawn as ghost text is. */
export const EVAL_ENGINE_REALS = {
  temperature: { min: 0, help: 'samples drawn at this temperature, as voiceDraft.inline.temperature (default 0.6; 0: greedy, one per prompt)' },
  'repetition-penalty': { min: 1, help: 'as voiceDraft.inline.repetitionPenalty (default 1.1; 1: none)' },
} as const;

const oneRunFolder = { min: 1, max: 1, names: 'one run folder' };

export const COMMANDS = defineCommands({
  doctor: {
    summary: 'check Python, PyTorch and the GPU the engine would use',
    synopsis: '[--json] [--verbose]',
    about: 'Says which Python, PyTorch and GPU the engine would train with, and the model it recommends here.',
    positionals: { min: 0, max: 0, names: 'no arguments' },
    options: {
      json: { kind: 'flag', help: "print the engine's engine.ready event as JSON" },
      verbose: { kind: 'flag', help: "show the engine's log" },
    },
  },
  import: {
    summary: 'bring your writing in from a Substack, Medium, WordPress, Ghost, Obsidian or Word export (markdown, one file per piece)',
    synopsis: '<file-or-folder> --out <folder> [--format F] [--include-daily-notes] [--json]',
    about: `Writes one markdown file per piece of writing in an export into <folder> (made if
missing), with front matter (title, subtitle, date, tags, source URL, draft, paywalled),
and prints what was imported, cut and left out. The export is only read. Importing the
same export again updates the files in place; files you edited or deleted are left as
you have them. <file-or-folder> is a Substack or Medium export zip, a WordPress .xml,
a Ghost .json, an Obsidian vault, a .docx (or a folder or zip of them).`,
    positionals: { min: 1, max: 1, names: 'one export (a file or a folder)' },
    options: {
      out: { kind: 'text', value: '<folder>', help: "where the markdown goes (not the export's own folder)" },
      format: { kind: 'text', value: 'F', choices: FORMAT_IDS, help: `skip detection: ${FORMAT_IDS.join(', ')}` },
      'include-daily-notes': { kind: 'flag', help: 'Obsidian: import daily notes and templates too' },
      json: { kind: 'flag', help: 'print the report as JSON instead of the summary' },
    },
  },
  data: {
    summary: 'build the training data from a folder of essays and print what went in',
    synopsis: '<folder> [options]',
    about: `Builds the training dataset from the markdown essays in <folder> (honouring .gitignore
and .voiceignore) and writes train.jsonl, val.jsonl, documents.jsonl and manifest.json.`,
    positionals: { min: 1, max: 1, names: 'one folder of essays' },
    options: {
      out: { kind: 'text', value: 'DIR', help: 'where to write the dataset (default: ./dataset, from where you run it)' },
      'val-ratio': { kind: 'number', value: 'R', help: 'share of essays held out for validation, 0.01–0.5 (default 0.1)' },
      'max-share': { kind: 'number', value: 'S', help: 'largest share of training pairs one essay may supply, 0.01–1 (default 0.2)' },
      'short-note-words': { kind: 'int', help: 'pieces shorter than N words become topic → note pairs (default 250)' },
      'no-git': { kind: 'flag', help: 'do not look for earlier versions of the essays in git history' },
      json: { kind: 'flag', help: 'print manifest.json instead of the summary table' },
    },
  },
  eval: {
    summary: 'score how much a trained voice sounds like you: base vs tuned on held-out essays (eval.json)',
    synopsis: '<run folder> [options]',
    about: 'Scores the run\'s voice against the base model on held-out essays and writes <run>/eval.json.',
    positionals: oneRunFolder,
    options: {
      json: { kind: 'flag', help: 'print eval.json instead of the table' },
      verbose: { kind: 'flag', help: 'show the engine\'s log' },
      seed: { kind: 'int', min: 0, help: 'sampling and bootstrap seed' },
      ...(Object.fromEntries(Object.entries(EVAL_ENGINE_NUMBERS).map(([name, help]) => [name, { kind: 'int', min: 1, help }])) as
        Record<keyof typeof EVAL_ENGINE_NUMBERS, { kind: 'int'; min: number; help: string }>),
      ...(Object.fromEntries(Object.entries(EVAL_ENGINE_COUNTS).map(([name, help]) => [name, { kind: 'int', min: 0, help }])) as
        Record<keyof typeof EVAL_ENGINE_COUNTS, { kind: 'int'; min: number; help: string }>),
      ...(Object.fromEntries(Object.entries(EVAL_ENGINE_REALS).map(([name, o]) => [name, { kind: 'number', ...o }])) as
        Record<keyof typeof EVAL_ENGINE_REALS, { kind: 'number'; min: number; help: string }>),
    },
  },
  choose: {
    summary: 'make a kept checkpoint the voice (your pick over the best voice score), then export it',
    synopsis: '<run folder> --step N [--no-export]',
    about: "Makes a kept checkpoint (checkpoints/step-NNNNNN) the run's voice, then exports it.",
    positionals: oneRunFolder,
    options: {
      step: { kind: 'int', min: 0, help: "the checkpoint's step" },
      'no-export': { kind: 'flag', help: 'only choose; export later with voice-draft export' },
    },
  },
  export: {
    summary: 'merge a trained voice and export it for writing (ONNX) and for llama.cpp (LoRA GGUF)',
    synopsis: '<run folder> [options]\n       voice-draft export --model FOLDER --out DIR [--force]',
    about: `Writes <run>/onnx (the voice the editor writes with), <run>/onnx-base (the base model,
for comparison) and <run>/gguf/adapter.gguf (the LoRA adapter for llama.cpp and Ollama).`,
    positionals: { min: 0, max: 1, names: 'one run folder' },
    options: {
      'base-gguf': { kind: 'flag', help: 'also write gguf/base.gguf, the base model the adapter goes on' },
      'base-gguf-dtype': { kind: 'text', choices: ['f16', 'f32'], help: 'precision of base.gguf (default f16; implies --base-gguf)' },
      'no-base': { kind: 'flag', help: 'skip onnx-base/, the base model\'s export' },
      force: { kind: 'flag', help: 're-export the base model even when a cached export matches' },
      model: { kind: 'text', value: 'FOLDER', help: 'export this model folder instead of a run (with --out)' },
      out: { kind: 'text', value: 'DIR', help: 'where --model\'s export goes' },
    },
  },
  train: {
    summary: 'train a voice on a folder of essays (dataset, training, export)',
    synopsis: '<essays folder> [options]\n       voice-draft train --resume RUN [--runs DIR] [--no-export]',
    about: 'Builds the dataset from the essays, trains a voice on it in a new run folder, and exports it.',
    positionals: { min: 0, max: 1, names: 'one folder of essays (none with --resume)' },
    options: {
      model: { kind: 'text', value: 'SPEC', help: 'base model: offline:smollm2-135m-instruct (default), a Hugging Face id, or a folder' },
      epochs: { kind: 'int', help: 'passes over the essays (default 3; early stopping keeps the best)' },
      'max-steps': { kind: 'int', help: 'stop after N optimizer steps (a quick demo run)' },
      lr: { kind: 'number', value: 'X', help: 'learning rate (default 1e-3)' },
      rank: { kind: 'int', help: 'LoRA rank (default 64; alpha = 2 x rank unless --config sets lora_alpha)' },
      launcher: { kind: 'text', value: 'NAME', choices: ['none', 'torchrun', 'accelerate'], help: 'none (default), torchrun or accelerate: one training process per GPU' },
      processes: { kind: 'int', help: 'processes under --launcher (default: one per GPU)' },
      config: { kind: 'text', value: 'JSON', help: 'engine config fields as a JSON object, e.g. \'{"max_seq_len":512}\'\n(the engine\'s TrainConfig fields; the flags above win over it)' },
      runs: { kind: 'text', value: 'DIR', help: 'runs folder (default ~/.voice-draft/runs)' },
      resume: { kind: 'text', value: 'RUN', help: 'resume a cancelled or crashed run folder instead (it keeps its own config)' },
      'no-export': { kind: 'flag', help: 'skip the ONNX export at the end' },
    },
  },
  write: {
    summary: 'continue (or --rewrite) text with a trained voice, beside the base model',
    synopsis: '<run folder> "<text>" [options]\n       voice-draft write --default "<text>" [options]',
    about: `Continues the text in the run's voice (or rewrites it, as a draft, with --rewrite), and
shows what the base model writes for the same text. A text that starts with '-' goes after '--'.`,
    positionals: { min: 1, max: Infinity, names: 'a run folder (or --default) and the text' },
    options: {
      default: { kind: 'flag', help: 'write with the offline default model instead of a run\'s voice' },
      rewrite: { kind: 'flag', help: 'rewrite the text as a draft instead of continuing it' },
      'max-tokens': { kind: 'int', min: 1, help: 'longest answer, in tokens (default 48; 200 with --rewrite)' },
      'no-base': { kind: 'flag', help: 'skip the base model\'s answer' },
      device: { kind: 'text', choices: ['cpu', 'cuda'], help: 'where the model writes (default cpu; cuda needs\nONNX Runtime\'s CUDA provider and falls back to the CPU, saying why)' },
      threads: { kind: 'int', min: 1, help: 'CPU threads (default 2)' },
    },
  },
  'delete-remote': {
    summary: "delete a run's copy on the remote host it trained on (your essays there), after copying back what is missing",
    synopsis: '<run folder>',
    about: "Deletes the run's folder on the remote host it trained on (your essays, checkpoints, results there),\n"
      + 'after copying back what is not here yet. The run folder here is kept whole; a resume sends what it needs again.',
    positionals: oneRunFolder,
    options: {},
  },
  'sample-workspace': {
    summary: "write sample notes (Bierce's Devil's Dictionary, from Debian's dict-devil) to a folder",
    synopsis: '<folder> [--notes N]',
    about: "Writes sample notes from Bierce's Devil's Dictionary (Debian's dict-devil) to <folder>/notes.",
    positionals: { min: 1, max: 1, names: 'one folder' },
    options: {
      notes: { kind: 'int', min: 1, help: 'how many notes (default 150)' },
    },
  },
});

export type CommandName = keyof typeof COMMANDS;
