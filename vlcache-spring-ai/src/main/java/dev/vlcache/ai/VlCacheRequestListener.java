package dev.vlcache.ai;

import java.time.Duration;

import dev.vlcache.core.generation.GenerationResult;

/**
 * Hears what happens to each request of a {@link VlCacheChatModel}: metrics and the Actuator endpoint are
 * listeners. Methods are called on the scheduler thread (or the caller's, for bad input) and must be quick.
 */
public interface VlCacheRequestListener {

	/** A request finished (also when cancelled part-way). */
	default void onSuccess(String policy, GenerationResult result) {
	}

	/** A request failed: bad input or an engine error. */
	default void onError(String policy, Throwable error) {
	}

	/** A request was turned away because it was not admitted to the batch within the wait. */
	default void onRejected(String policy) {
	}

	/** A decoding step ran for {@code batchSize} requests together. */
	default void onDecodeStep(int batchSize) {
	}

	/** A request was admitted to the batch after waiting {@code queueWait}. */
	default void onAdmitted(Duration queueWait) {
	}

}
