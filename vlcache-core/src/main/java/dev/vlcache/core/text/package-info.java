/**
 * The decoder side of LLaVA: Llama, Mistral and Qwen2 layers, rotary positions, chunked prefill and decoding over
 * the request's KV cache.
 */
@NullMarked
package dev.vlcache.core.text;

import org.jspecify.annotations.NullMarked;
