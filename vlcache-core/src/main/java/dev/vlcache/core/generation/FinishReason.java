package dev.vlcache.core.generation;

/** Why generation ended. */
public enum FinishReason {

	/** The model produced an end-of-sequence token. */
	STOP,
	/** A stop string appeared in the output. */
	STOP_SEQUENCE,
	/** {@code maxNewTokens} or the context length was reached. */
	LENGTH,
	/** The caller cancelled. */
	CANCELLED

}
