package dev.vlcache.benchmark;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * This machine's memory bandwidth as the engine sees it: libtorch summing a 512 MiB float32 array (a pure
 * streaming read, as a decoding step is). The best of many passes is taken: it is what the hardware allows, and
 * the other passes only add the noise of neighbours on a shared machine.
 */
final class MemoryBandwidth {

	private MemoryBandwidth() {
	}

	/** Bytes per second. */
	static double measure(NDManager manager) {
		long elements = 128L * 1024 * 1024;
		try (NDManager scope = manager.newSubManager()) {
			NDArray a = scope.ones(new Shape(elements), DataType.FLOAT32);
			double[] rates = new double[15];
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
			return Arrays.stream(rates).max().orElseThrow();
		}
	}

}
