package dev.vlcache.core.serving;

import java.time.Duration;

/**
 * How a {@link BatchScheduler} serves.
 *
 * @param kvCacheBytes the KV-cache budget of all running requests, in bytes
 * @param maxBatchSize most requests decoding (or prefilling) at once
 * @param prefillStepTokens prompt tokens prefilled per scheduler iteration, between two decoding steps of the
 * running requests, which bounds how long a new prompt stalls them; 0 prefills a whole prompt at once
 * @param queueTimeout how long a request may wait for admission before it fails as busy
 */
public record SchedulerOptions(long kvCacheBytes, int maxBatchSize, int prefillStepTokens, Duration queueTimeout) {

	/** Default {@link #maxBatchSize()}. */
	public static final int DEFAULT_MAX_BATCH_SIZE = 8;

	/** Default {@link #prefillStepTokens()}. */
	public static final int DEFAULT_PREFILL_STEP_TOKENS = 512;

	/** Default {@link #queueTimeout()}. */
	public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(30);

	public SchedulerOptions {
		if (kvCacheBytes <= 0) {
			throw new IllegalArgumentException("kv-cache-memory " + kvCacheBytes + " bytes is out of range; expected > 0");
		}
		if (maxBatchSize < 1) {
			throw new IllegalArgumentException("max-batch-size " + maxBatchSize + " is out of range; expected >= 1");
		}
		if (prefillStepTokens < 0) {
			throw new IllegalArgumentException(
					"prefill-step-tokens " + prefillStepTokens + " is out of range; expected >= 0 (0 = whole prompt)");
		}
		if (queueTimeout.isNegative()) {
			throw new IllegalArgumentException("queue timeout " + queueTimeout + " is negative");
		}
	}

	/** The defaults with a budget of {@code kvCacheBytes}. */
	public static SchedulerOptions withBudget(long kvCacheBytes) {
		return new SchedulerOptions(kvCacheBytes, DEFAULT_MAX_BATCH_SIZE, DEFAULT_PREFILL_STEP_TOKENS,
				DEFAULT_QUEUE_TIMEOUT);
	}

	public SchedulerOptions withMaxBatchSize(int size) {
		return new SchedulerOptions(this.kvCacheBytes, size, this.prefillStepTokens, this.queueTimeout);
	}

	public SchedulerOptions withPrefillStepTokens(int tokens) {
		return new SchedulerOptions(this.kvCacheBytes, this.maxBatchSize, tokens, this.queueTimeout);
	}

	public SchedulerOptions withQueueTimeout(Duration timeout) {
		return new SchedulerOptions(this.kvCacheBytes, this.maxBatchSize, this.prefillStepTokens, timeout);
	}

}
