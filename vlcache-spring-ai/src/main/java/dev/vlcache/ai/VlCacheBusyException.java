package dev.vlcache.ai;

import java.time.Duration;

/**
 * No generation slot became free within the configured wait: the model is serving
 * {@code max-concurrent-requests} requests already. Retrying later may succeed.
 */
public class VlCacheBusyException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	private final Duration retryAfter;

	public VlCacheBusyException(int maxConcurrent, Duration waited) {
		super("The model is busy: " + maxConcurrent + " generation(s) already running and no slot freed within "
				+ waited.toMillis() + " ms; retry later");
		this.retryAfter = waited.isZero() ? Duration.ofSeconds(1) : waited;
	}

	/** A sensible delay before retrying. */
	public Duration getRetryAfter() {
		return this.retryAfter;
	}

}
