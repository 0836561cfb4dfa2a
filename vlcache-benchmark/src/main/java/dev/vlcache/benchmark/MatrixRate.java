package dev.vlcache.benchmark;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * This machine's float32 matrix-product rate as the engine sees it: libtorch multiplying [512, 4096] by
 * [4096, 4096], the best of several passes. Once several requests decode together, a step's products are no
 * longer limited by reading the weights but by this rate: the compute side of a batched step's limit.
 */
final class MatrixRate {

	private MatrixRate() {
	}

	/** Floating-point operations per second. */
	static double measure(NDManager manager) {
		long m = 512;
		long k = 4096;
		long n = 4096;
		try (NDManager scope = manager.newSubManager()) {
			NDArray a = scope.randomNormal(new Shape(m, k));
			NDArray b = scope.randomNormal(new Shape(k, n));
			double[] rates = new double[6];
			for (int i = 0; i < rates.length + 1; i++) {
				try (NDManager pass = scope.newSubManager()) {
					long start = System.nanoTime();
					NDArray c = a.matMul(b);
					c.attach(pass);
					c.getFloat(0, 0);
					long nanos = System.nanoTime() - start;
					if (i >= 1) {
						rates[i - 1] = 2.0 * m * k * n / (nanos / 1e9);
					}
				}
			}
			return Arrays.stream(rates).max().orElseThrow();
		}
	}

}
