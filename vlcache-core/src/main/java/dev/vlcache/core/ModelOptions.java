package dev.vlcache.core;

/**
 * How to load and run a model.
 *
 * @param device {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}
 * @param dtype {@code auto}, {@code float32} or {@code float16}
 * @param prefillChunkTokens query rows per prefill chunk, bounding the attention scores held at once; 0 sizes
 * chunks automatically (at most 2048 tokens, and at most 32 MiB of mask per chunk)
 */
public record ModelOptions(String device, String dtype, int prefillChunkTokens) {

	public static final ModelOptions DEFAULT = new ModelOptions("auto", "auto", 0);

	public ModelOptions {
		if (prefillChunkTokens < 0) {
			throw new IllegalArgumentException("prefill-chunk-tokens " + prefillChunkTokens + " is out of range; expected >= 0 (0 = automatic)");
		}
	}

	public ModelOptions(String device, String dtype) {
		this(device, dtype, 0);
	}

}
