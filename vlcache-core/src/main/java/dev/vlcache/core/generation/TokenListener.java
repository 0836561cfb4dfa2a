package dev.vlcache.core.generation;

/** Receives generated text as it is decoded, for streaming. */
@FunctionalInterface
public interface TokenListener {

	TokenListener NONE = (tokenId, text) -> {
	};

	/**
	 * Called once per generated token with the text it completed (possibly empty, when a multi-byte character
	 * or a possible stop string is still incomplete).
	 */
	void onToken(int tokenId, String text);

}
