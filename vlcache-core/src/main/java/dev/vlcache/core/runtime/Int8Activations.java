package dev.vlcache.core.runtime;

/**
 * What an int8 matrix's product does with its activations ({@link LibtorchKernels#int8Linear}).
 */
public enum Int8Activations {

	/**
	 * Weight-only: the activations are rounded to bfloat16 and multiplied by libtorch's
	 * {@code _weight_int8pack_mm} at any row count ({@code weights: int8}).
	 */
	BFLOAT16,

	/**
	 * A product of one row (a decoding step of one sequence) quantizes that row to int8 as well, symmetric on its
	 * own scale, and multiplies int8 by int8 into int32 ({@code _int_mm}, oneDNN's VNNI kernel): on this project's
	 * CPU 1.3-1.6x faster per product than {@link #BFLOAT16} for one row of a 4096-wide matrix (about even on
	 * 896-wide ones), but slower for two or more rows, so products of several rows (prefill, batched steps) stay
	 * {@link #BFLOAT16} ({@code weights: int8-dynamic}).
	 */
	DYNAMIC_INT8

}
