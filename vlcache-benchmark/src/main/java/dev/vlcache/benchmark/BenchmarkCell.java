package dev.vlcache.benchmark;

/**
 * The figures of one (shape, prompt length, policy, budget) cell; times are medians.
 *
 * @param shape model shape
 * @param promptTokens prompt length
 * @param policy compression policy
 * @param budget budget ratio (1 for full)
 * @param prefillMillis vision encoding and prefill, without scoring
 * @param scoringMillis attention-row reduction during prefill
 * @param selectionMillis budget allocation, selection and cache shrinking
 * @param ttftMillis time to first token: prefill + scoring + selection
 * @param decodeMillisPerToken mean decoding step
 * @param endToEndMillis time for the whole answer: first token + the rest of the decoding steps
 * @param kvBytesBefore prompt KV bytes before compression
 * @param kvBytesAfter prompt KV bytes after compression
 * @param peakRssBytes peak resident memory of the process during the cell
 * @param weightBytes bytes of decoder weights read per decoding step
 * @param bandwidth memory bandwidth probed right before the cell's timed runs (their median), bytes per second
 * @param fullDecodeMillisPerToken the full-cache decoding step at the same prompt length
 */
record BenchmarkCell(String shape, int promptTokens, String policy, double budget, double prefillMillis,
		double scoringMillis, double selectionMillis, double ttftMillis, double decodeMillisPerToken,
		double endToEndMillis, long kvBytesBefore, long kvBytesAfter, long peakRssBytes, long weightBytes,
		double bandwidth, double fullDecodeMillisPerToken, double fullEndToEndMillis) {

	/** Bytes a decoding step reads: the decoder's weights and the kept KV cache. */
	double bytesPerStep() {
		return this.weightBytes + this.kvBytesAfter;
	}

	/** The fastest decoding step the measured bandwidth allows. */
	double floorMillis() {
		return bytesPerStep() / this.bandwidth * 1e3;
	}

	double decodeSpeedup() {
		return this.fullDecodeMillisPerToken / this.decodeMillisPerToken;
	}

	double endToEndSpeedup() {
		return this.fullEndToEndMillis / this.endToEndMillis;
	}

	/** The decode speed-up that reading fewer KV bytes allows at most. */
	double speedupLimit() {
		return (this.weightBytes + (double) this.kvBytesBefore) / bytesPerStep();
	}

	double retainedRatio() {
		return this.kvBytesBefore == 0 ? 1 : (double) this.kvBytesAfter / this.kvBytesBefore;
	}

}
