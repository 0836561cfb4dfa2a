package dev.vlcache.ai;

import dev.vlcache.core.generation.GenerationResult;

/**
 * Hears what happens to each request of a {@link VlCacheChatModel}: metrics and the Actuator endpoint are
 * listeners. Methods are called on the generating thread and must be quick.
 */
public interface VlCacheRequestListener {

	/** A request finished (also when cancelled part-way). */
	default void onSuccess(String policy, GenerationResult result) {
	}

	/** A request failed: bad input or an engine error. */
	default void onError(String policy, Throwable error) {
	}

	/** A request was turned away because every slot stayed busy. */
	default void onRejected(String policy) {
	}

}
