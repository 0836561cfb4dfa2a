/**
 * Reading Hugging Face checkpoint folders: safetensors headers (single file or sharded), the two llava-hf weight
 * layouts, and streaming conversion of F32/F16/BF16 weights to the compute dtype.
 */
@NullMarked
package dev.vlcache.core.checkpoint;

import org.jspecify.annotations.NullMarked;
