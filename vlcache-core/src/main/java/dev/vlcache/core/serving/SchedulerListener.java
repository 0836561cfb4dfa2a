package dev.vlcache.core.serving;

/**
 * Hears the scheduler's events, for metrics. Called on the scheduler thread, so it must be quick; an exception it
 * throws is logged and ignored.
 */
public interface SchedulerListener {

	SchedulerListener NONE = new SchedulerListener() {
	};

	/** A decoding step ran for {@code batchSize} sequences. */
	default void onDecodeStep(int batchSize) {
	}

	/** A request left the queue after {@code queueNanos} and started its prefill. */
	default void onAdmitted(long queueNanos) {
	}

	/** A request waited past the queue timeout. */
	default void onQueueTimeout() {
	}

}
