package dev.vlcache.benchmark;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * This machine's memory bandwidth as the engine sees it: libtorch summing a 512 MiB float32 array (a pure
 * streaming read, as a decoding step is), median of several passes.
 */
final class MemoryBandwidth {

	private MemoryBandwidth() {
	}

	/** Bytes per second. */
	static double measure(NDManager manager) {
		long elements = 128L * 1024 * 1024;
		try (NDManager scope = manager.newSubManager()) {
			NDArray a = scope.ones(new Shape(elements), DataType.FLOAT32);
			double[] rates = new double[9];
			for (int i = 0; i < rates.length + 2; i++) {
				long start = System.nanoTime();
				float s = a.sum().getFloat();
				long nanos = System.nanoTime() - start;
				if (s != elements) {
					throw new IllegalStateException("bandwidth probe summed " + s);
				}
				if (i >= 2) {
					rates[i - 2] = elements * 4.0 / (nanos / 1e9);
				}
			}
			Arrays.sort(rates);
			return rates[rates.length / 2];
		}
	}

}
