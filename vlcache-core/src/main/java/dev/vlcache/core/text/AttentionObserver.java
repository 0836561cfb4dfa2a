package dev.vlcache.core.text;

import ai.djl.ndarray.NDArray;

/**
 * Receives softmaxed prefill attention rows that a compression policy scores tokens with. The decoder computes
 * these probabilities anyway; it hands over only the rows at and after {@link #firstObservedRow(int)}, slice by
 * slice as the prompt is prefilled in chunks, so no {@code n x n} matrix is ever kept.
 */
public interface AttentionObserver {

	/** Observes nothing: decoding and the {@code full} policy. */
	AttentionObserver NONE = new AttentionObserver() {
		@Override
		public int firstObservedRow(int promptLength) {
			return promptLength;
		}

		@Override
		public void onProbabilities(int layer, int firstRow, NDArray probabilities) {
		}
	};

	/** The first prompt row (query position) whose attention this observer needs; {@code promptLength} for none. */
	int firstObservedRow(int promptLength);

	/**
	 * Attention probabilities of one layer for query rows {@code firstRow ..}: [query heads, rows, keys], where
	 * keys are prompt positions {@code 0 .. keys-1} (later positions are causally invisible to these rows).
	 * The array is only valid during the call.
	 */
	void onProbabilities(int layer, int firstRow, NDArray probabilities);

}
