package dev.vlcache.core.generation;

import dev.vlcache.core.compression.CompressionReport;

/**
 * The outcome of one generation.
 *
 * @param text generated text (stop string excluded)
 * @param tokenIds generated token ids
 * @param finishReason why generation ended
 * @param promptTokens prompt length, image tokens included
 * @param imageTokens image tokens in the prompt
 * @param compression what compression did to the KV cache
 * @param prefillNanos image preprocessing, vision tower, projector and prefill, without the wait in the queue (when
 * the prompt is prefilled in pieces between other requests' decoding steps, including those steps)
 * @param firstTokenNanos from the start of the request to the first generated token
 * @param decodeNanos all decoding steps after the first token
 * @param totalNanos the whole request
 * @param queueNanos waiting for admission (memory for the cache and a place in the batch) before the prefill
 */
public record GenerationResult(String text, int[] tokenIds, FinishReason finishReason, int promptTokens,
		int imageTokens, CompressionReport compression, long prefillNanos, long firstTokenNanos, long decodeNanos,
		long totalNanos, long queueNanos) {

	public int completionTokens() {
		return this.tokenIds.length;
	}

	/** Mean decode time per token after the first, in nanoseconds (0 when only one token was generated). */
	public double decodeNanosPerToken() {
		return this.tokenIds.length > 1 ? (double) this.decodeNanos / (this.tokenIds.length - 1) : 0;
	}

}
