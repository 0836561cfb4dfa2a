package dev.vlcache.core.runtime;

/**
 * What an int8 matrix's products do with their activations.
 */
public enum Int8Activations {

	/**
	 * Weight-only: the activations are rounded to bfloat16 and multiplied by libtorch's
	 * {@code _weight_int8pack_mm} at any row count ({@code weights: int8}).
	 */
	BFLOAT16,

	/**
	 * Quantized too, as they arrive, by fbgemm's dynamically quantized product on matrices repacked for it at load
	 * time ({@link LibtorchKernels#dynamicInt8Linear}), at any row count: on this project's CPU about as fast as
	 * {@link #BFLOAT16} for one row (1.9x on a large LM head), 1.6-2.6x faster at 8 rows and 4.6-6.5x at 512
	 * (docs/benchmarks.md, "Int8 activations: fbgemm"). CPU only: on a GPU the products stay {@link #BFLOAT16}
	 * ({@code weights: int8-dynamic}).
	 */
	DYNAMIC_INT8

}
