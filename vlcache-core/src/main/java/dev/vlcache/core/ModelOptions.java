package dev.vlcache.core;

/**
 * How to load and run a model.
 *
 * @param device {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}
 * @param dtype {@code auto}, {@code float32} or {@code float16}
 * @param prefillChunkTokens query rows per prefill chunk, bounding the attention scores held at once; 0 sizes
 * chunks automatically (at most 2048 tokens, and at most 32 MiB of mask per chunk)
 * @param weights how the language model's matrices are stored: {@code float32} (the compute dtype; on a CPU with
 * float32 compute reordered for oneDNN's product at load time), or
 * {@code float16} beside float32 activations, which halves their memory and makes a decoding step's products
 * 1.9-2.9x faster on the CPU (prefill widens each matrix back for its chunk); with float16 compute the matrices
 * are float16 either way; or {@code int8}, a quarter of float32's bytes with one scale per row, multiplied by
 * libtorch's weight-only int8 kernel on bfloat16 activations (made for CPUs; on a GPU each product widens its
 * matrix); or {@code int8-dynamic}, the same matrices, whose products of a single row (decoding one sequence)
 * quantize that activation row to int8 too and multiply int8 by int8: faster decoding, at the accuracy cost of
 * 8-bit activations
 */
public record ModelOptions(String device, String dtype, int prefillChunkTokens, String weights) {

	/** The values {@code weights} takes. */
	private static final java.util.Set<String> WEIGHTS = java.util.Set.of("float32", "float16", "int8", "int8-dynamic");

	public static final ModelOptions DEFAULT = new ModelOptions("auto", "auto", 0, "float32");

	public ModelOptions {
		if (prefillChunkTokens < 0) {
			throw new IllegalArgumentException("prefill-chunk-tokens " + prefillChunkTokens + " is out of range; expected >= 0 (0 = automatic)");
		}
		if (!WEIGHTS.contains(weights)) {
			throw new IllegalArgumentException(
					"weights '" + weights + "' is not valid; expected float32, float16, int8 or int8-dynamic");
		}
	}

	public ModelOptions(String device, String dtype, int prefillChunkTokens) {
		this(device, dtype, prefillChunkTokens, "float32");
	}

	public ModelOptions(String device, String dtype) {
		this(device, dtype, 0);
	}

	/** These options with the matrices stored as {@code weights}. */
	public ModelOptions withWeights(String weights) {
		return new ModelOptions(this.device, this.dtype, this.prefillChunkTokens, weights);
	}

}
