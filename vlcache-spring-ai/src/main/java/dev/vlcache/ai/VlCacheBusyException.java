package dev.vlcache.ai;

import java.time.Duration;

/**
 * A request was not admitted to the batch within the configured wait: the running requests fill
 * {@code max-batch-size} or the KV-cache budget. Retrying later may succeed.
 */
public class VlCacheBusyException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	private final Duration retryAfter;

	public VlCacheBusyException(String message, Duration waited) {
		super(message);
		this.retryAfter = waited.isZero() ? Duration.ofSeconds(1) : waited;
	}

	/** A sensible delay before retrying. */
	public Duration getRetryAfter() {
		return this.retryAfter;
	}

}
