/**
 * KV-cache compression after prefill: VL-Cache (sparsity-aware layer budgets, post-vision attention scores) and
 * the baselines full, StreamingLLM, H2O, SnapKV and PyramidKV, as {@code docs/compression.md} defines them.
 */
@NullMarked
package dev.vlcache.core.compression;

import org.jspecify.annotations.NullMarked;
