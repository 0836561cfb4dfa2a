package dev.vlcache.benchmark;

import java.util.Arrays;
import java.util.DoubleSummaryStatistics;
import java.util.Locale;
import java.util.stream.DoubleStream;

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

	/**
	 * A report header's account of the bandwidth: the probe at the start and the range of the cells' own, whose
	 * median sets each cell's {@code what} (its floor, its bytes-read limit).
	 */
	static String describe(double start, DoubleStream cellProbes, String what) {
		DoubleSummaryStatistics probed = cellProbes.summaryStatistics();
		double lowest = probed.getCount() == 0 ? start : probed.getMin();
		double highest = probed.getCount() == 0 ? start : probed.getMax();
		return String.format(Locale.ROOT, "memory bandwidth (libtorch streaming read) %.1f GB/s at the start, "
				+ "%.1f-%.1f GB/s in the probes before each cell's timed runs, whose median sets that cell's %s",
				start / 1e9, lowest / 1e9, highest / 1e9, what);
	}

}
