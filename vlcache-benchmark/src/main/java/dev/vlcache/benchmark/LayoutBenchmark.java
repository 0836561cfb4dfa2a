package dev.vlcache.benchmark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.vlcache.core.nn.DenseLayer;
import dev.vlcache.core.nn.Ops;
import dev.vlcache.testsupport.CommandLineArguments;

/**
 * What storing the decoder's matrices transposed buys a decoding step: the one-row product (with {@code --rows},
 * a batched step's product) with every matrix of a step, once as {@code torch.nn.functional.linear} on the
 * checkpoint's [out, in] layout and once as {@code x W^T} on an [in, out] copy, interleaved, the median of each
 * matrix summed over the step; and what the engine's choice ({@link DenseLayer} transposes the LM head and
 * matrices of at least {@link DenseLayer#TRANSPOSED_FROM} elements) adds up to. With {@code --dtype float16},
 * weights and activations are half precision, to see whether libtorch's half products are faster per byte.
 *
 * <pre>
 * mvn -q -pl vlcache-benchmark exec:java -Dexec.mainClass=dev.vlcache.benchmark.LayoutBenchmark \
 *     -Dexec.args="--shapes qwen2-0.5b,llava-7b-4-layers --runs 30"
 * </pre>
 */
public final class LayoutBenchmark {

	private LayoutBenchmark() {
	}

	public static void main(String[] args) {
		CommandLineArguments options = CommandLineArguments
			.command("LayoutBenchmark", "Times every matrix product of a decoding step in both layouts.")
			.option("shapes", "a,b", "model shapes (default qwen2-0.5b,llava-7b-4-layers)")
			.option("runs", "N", "timed runs per product (default 30)")
			.option("rows", "N", "rows of the activation: 1 for one request, the batch size for a batched step (default 1)")
			.option("dtype", "T", "float32 or float16: the dtype of weights and activations (default float32)")
			.parseOrExit(args);
		int runs = Integer.parseInt(options.getOrDefault("runs", "30"));
		int rows = Integer.parseInt(options.getOrDefault("rows", "1"));
		DataType dtype = switch (options.getOrDefault("dtype", "float32")) {
			case "float32" -> DataType.FLOAT32;
			case "float16" -> DataType.FLOAT16;
			default -> throw new IllegalArgumentException("--dtype is float32 or float16");
		};
		System.out.println(
				"| shape | matrix [out x in] | per step | linear on [out, in], ms | x W^T on [in, out], ms | speed-up |");
		System.out.println("|---|---|---:|---:|---:|---:|");
		for (String name : options.getOrDefault("shapes", "qwen2-0.5b,llava-7b-4-layers").split(",")) {
			SyntheticCheckpoint shape = shape(name.trim());
			double before = 0;
			double after = 0;
			double chosen = 0;
			for (Map.Entry<List<Long>, Integer> m : matrices(shape).entrySet()) {
				long out = m.getKey().get(0);
				long in = m.getKey().get(1);
				double[] ms = time(out, in, rows, dtype, runs);
				before += ms[0] * m.getValue();
				after += ms[1] * m.getValue();
				chosen += ms[out == shape.vocab() || DenseLayer.storesTransposed(out, in) ? 1 : 0] * m.getValue();
				System.out.printf(Locale.ROOT, "| %s | %d x %d | %d | %.3f | %.3f | %.2fx |%n", shape.name(), out, in,
						m.getValue(), ms[0], ms[1], ms[0] / ms[1]);
			}
			System.out.printf(Locale.ROOT, "| %s | all products of a step | | %.1f | %.1f | %.2fx |%n", shape.name(),
					before, after, before / after);
			System.out.printf(Locale.ROOT,
					"| %s | as the engine stores them (LM head, matrices >= 4Mi elements transposed) | | %.1f | %.1f | %.2fx |%n",
					shape.name(), before, chosen, before / chosen);
		}
	}

	private static SyntheticCheckpoint shape(String name) {
		return SyntheticCheckpoint.SHAPES.stream()
			.filter(shape -> shape.name().equals(name))
			.findFirst()
			.orElseThrow(() -> new IllegalArgumentException("unknown shape '" + name + "'; known: "
					+ SyntheticCheckpoint.SHAPES.stream().map(SyntheticCheckpoint::name).toList()));
	}

	/** Each distinct [out, in] matrix of a decoding step and how often a step multiplies by it. */
	private static Map<List<Long>, Integer> matrices(SyntheticCheckpoint s) {
		long hd = s.hidden() / s.heads();
		Map<List<Long>, Integer> counts = new LinkedHashMap<>();
		// q, k, v, o, gate, up, down
		List<long[]> perLayer = List.of(new long[] { s.heads() * hd, s.hidden() },
				new long[] { s.kvHeads() * hd, s.hidden() }, new long[] { s.kvHeads() * hd, s.hidden() },
				new long[] { s.hidden(), s.heads() * hd }, new long[] { s.intermediate(), s.hidden() },
				new long[] { s.intermediate(), s.hidden() }, new long[] { s.hidden(), s.intermediate() });
		for (long[] m : perLayer) {
			counts.merge(List.of(m[0], m[1]), s.layers(), Integer::sum);
		}
		counts.merge(List.of((long) s.vocab(), (long) s.hidden()), 1, Integer::sum);
		return counts;
	}

	/**
	 * Median milliseconds of one product [rows, in] x [out, in]^T: linear on [out, in], then the transposed copy.
	 */
	private static double[] time(long out, long in, int rows, DataType dtype, int runs) {
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			NDArray weight = manager.randomNormal(new Shape(out, in)).toType(dtype, false);
			DenseLayer transposed = DenseLayer.transposing(weight.duplicate());
			NDArray x = manager.randomNormal(new Shape(rows, in)).toType(dtype, false);
			List<Double> linear = new ArrayList<>();
			List<Double> copy = new ArrayList<>();
			for (int r = 0; r < runs + 3; r++) {
				try (NDManager scope = manager.newSubManager()) {
					NDArray row = x.duplicate();
					row.attach(scope);
					// Alternate which goes first, so that neither always finds the other's data in cache.
					boolean linearFirst = r % 2 == 0;
					double a = linearFirst ? timeLinear(row, weight) : timeTransposed(row, transposed);
					double b = linearFirst ? timeTransposed(row, transposed) : timeLinear(row, weight);
					if (r >= 3) {
						linear.add(linearFirst ? a : b);
						copy.add(linearFirst ? b : a);
					}
				}
			}
			return new double[] { median(linear), median(copy) };
		}
	}

	private static double timeLinear(NDArray row, NDArray weight) {
		long t0 = System.nanoTime();
		Ops.linear(row, weight, null).toType(DataType.FLOAT32, false).toFloatArray();
		return (System.nanoTime() - t0) / 1e6;
	}

	private static double timeTransposed(NDArray row, DenseLayer layer) {
		long t0 = System.nanoTime();
		layer.apply(row).toType(DataType.FLOAT32, false).toFloatArray();
		return (System.nanoTime() - t0) / 1e6;
	}

	private static double median(List<Double> values) {
		double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
		Arrays.sort(v);
		return v[v.length / 2];
	}

}
