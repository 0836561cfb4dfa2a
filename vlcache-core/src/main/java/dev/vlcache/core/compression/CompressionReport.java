package dev.vlcache.core.compression;

import java.util.List;

/**
 * What compression did to one request's KV cache.
 *
 * @param policy policy name
 * @param options the options it ran with
 * @param scoringWindow query rows that scored tokens (0 when none)
 * @param promptTokens prompt length n
 * @param imageTokens image tokens in the prompt
 * @param layers per-layer sparsity, budget and kept tokens by modality
 * @param kvBytesBefore bytes of the prompt's KV cache before compression
 * @param kvBytesAfter bytes of the kept entries after compression
 * @param scoringNanos time spent turning attention rows into scores and sparsity
 * @param selectionNanos time spent allocating budgets, selecting tokens and shrinking the cache
 */
public record CompressionReport(String policy, CompressionOptions options, int scoringWindow, int promptTokens,
		int imageTokens, List<LayerCompression> layers, long kvBytesBefore, long kvBytesAfter, long scoringNanos,
		long selectionNanos) {

	/** {@code kvBytesAfter / kvBytesBefore}. */
	public double retainedRatio() {
		return this.kvBytesBefore == 0 ? 1.0 : (double) this.kvBytesAfter / this.kvBytesBefore;
	}

	public long evictedBytes() {
		return this.kvBytesBefore - this.kvBytesAfter;
	}

	public int[] budgets() {
		return this.layers.stream().mapToInt(LayerCompression::budget).toArray();
	}

	public double[] sparsities() {
		return this.layers.stream().mapToDouble(LayerCompression::sparsity).toArray();
	}

}
