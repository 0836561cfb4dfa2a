/**
 * The vlcache engine: LLaVA-family vision-language models from Hugging Face checkpoints on DJL's PyTorch engine,
 * with VL-Cache KV-cache compression. No Spring dependency.
 */
@NullMarked
package dev.vlcache.core;

import org.jspecify.annotations.NullMarked;
