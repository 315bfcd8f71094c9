"""`export`: turn a trained voice into files the editor and llama.cpp can run.

    <run>/onnx/        merged model (base + adapter), transformers.js layout (docs/contracts.md "Export")
    <run>/onnx-base/   the same for the base model, adapter off (canaries, evaluations)
    <run>/gguf/        adapter.gguf (llama.cpp LoRA), base.gguf with --base-gguf

Modules, in the order an export uses them:
    weights.py      load the base, merge the adapter (or a full fine-tune's model/)
    onnx_graph.py   the decoder as an ONNX graph with optimum's KV-cache names
    quantize.py     the int8 (`q8`) copy transformers.js loads with dtype 'q8'
    onnx_folder.py  one complete, atomically installed transformers.js folder
    lora_gguf.py    the PEFT adapter as a llama.cpp LoRA GGUF
    base_gguf.py    a base model as an f32/f16 GGUF (llama, qwen2)
    command.py      the `export` command: events, caching of the base export, errors
"""
