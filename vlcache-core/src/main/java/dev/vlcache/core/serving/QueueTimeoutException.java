package dev.vlcache.core.serving;

import java.time.Duration;

/** A request waited longer than the queue timeout for admission: the model is busy; retrying later may succeed. */
public class QueueTimeoutException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	private final Duration waited;

	QueueTimeoutException(Duration waited, int running, long reservedBytes, long budgetBytes) {
		super("The model is busy: no room within " + waited.toMillis() + " ms (" + running
				+ " request(s) running, " + reservedBytes + " of " + budgetBytes + " KV-cache bytes reserved); retry later");
		this.waited = waited;
	}

	/** How long the request waited. */
	public Duration waited() {
		return this.waited;
	}

}
