package dev.vlcache.core.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vlcache.testsupport.SafetensorsWriter;
import dev.vlcache.core.checkpoint.WeightIndex;
import dev.vlcache.core.checkpoint.WeightLoader;
import dev.vlcache.core.runtime.Int8Activations;
import dev.vlcache.core.runtime.LibtorchKernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.within;

class DenseLayerTest {

	@Test
	void aTransposedWeightComputesWhatLinearComputesAndReleasesTheCheckpointLayout() {
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			manager.getEngine().setRandomSeed(3);
			NDArray weight = manager.randomNormal(new Shape(7, 5));
			NDArray x = manager.randomNormal(new Shape(3, 5));
			float[] expectedWeight = weight.toFloatArray();
			float[] expected = Ops.linear(x, weight, null).toFloatArray();
			DenseLayer layer = DenseLayer.transposing(weight);
			assertThat(weight.isReleased()).isTrue();
			NDArray y = layer.apply(x);
			assertThat(y.getShape()).isEqualTo(new Shape(3, 7));
			assertClose(y.toFloatArray(), expected);
			// A tied head's table: rows of W, whatever the layout.
			NDArray ids = manager.create(new long[] { 6, 0, 6 });
			assertClose(layer.rows(manager, ids).toFloatArray(), weightRows(expectedWeight, 5, 6, 0, 6));
			// One row, as in decoding.
			NDArray row = x.get("0:1");
			assertClose(layer.apply(row).toFloatArray(), Arrays.copyOf(expected, 7));
		}
	}

	@Test
	void aKeptLayoutComputesTheSameAndStaysUsable() {
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			NDArray weight = manager.arange(12f).reshape(4, 3);
			DenseLayer layer = DenseLayer.keepingLayout(weight);
			NDArray x = manager.create(new float[] { 1, 0, 2 }, new Shape(1, 3));
			assertThat(layer.apply(x).toFloatArray()).containsExactly(4, 13, 22, 31);
			assertThat(weight.isReleased()).isFalse();
			assertThat(layer.rows(manager, manager.create(new long[] { 2 })).toFloatArray()).containsExactly(6, 7, 8);
			assertThat(weight.getShape()).isEqualTo(new Shape(4, 3));
			assertThatIllegalArgumentException().isThrownBy(() -> DenseLayer.keepingLayout(manager.ones(new Shape(3))))
				.withMessageContaining("matrix");
		}
	}

	@Test
	void aLargeMatrixIsReadTransposedAndASmallOneAsStored(@TempDir Path dir) throws IOException {
		int side = 2048; // side^2 = TRANSPOSED_FROM: the smallest matrix stored transposed
		SplittableRandom random = new SplittableRandom(5);
		float[] large = new float[side * side];
		for (int i = 0; i < large.length; i++) {
			large[i] = (float) random.nextGaussian() * 0.02f;
		}
		float[] bias = new float[side];
		bias[7] = 1.5f;
		String p = "language_model.model.layers.0.mlp.";
		SafetensorsWriter.write(dir.resolve("model.safetensors"),
				List.of(new SafetensorsWriter.Tensor(p + "up_proj.weight", SafetensorsWriter.DType.F32, new long[] { side, side }, large),
						new SafetensorsWriter.Tensor(p + "up_proj.bias", SafetensorsWriter.DType.F32, new long[] { side }, bias),
						new SafetensorsWriter.Tensor(p + "gate_proj.weight", SafetensorsWriter.DType.F32, new long[] { 4, 3 },
								new float[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 })));
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			WeightLoader loader = new WeightLoader(WeightIndex.open(dir), manager, DataType.FLOAT32);
			String name = "text.layers.0.mlp.up_proj";
			DenseLayer layer = DenseLayer.load(loader, name, side, side, true);
			assertThat(layer.isTransposed()).isTrue();
			assertThat(DenseLayer.storesTransposed(side, side - 1)).isFalse();
			NDArray x = manager.randomNormal(new Shape(2, side));
			float[] expected = Ops.linear(x, loader.load(name + ".weight", side, side), loader.load(name + ".bias", side))
				.toFloatArray();
			assertClose(layer.apply(x).toFloatArray(), expected, 1e-4f);
			assertClose(layer.apply(x.get("1:2")).toFloatArray(), Arrays.copyOfRange(expected, side, 2 * side), 1e-4f);

			DenseLayer small = DenseLayer.load(loader, "text.layers.0.mlp.gate_proj", 4, 3, false);
			assertThat(small.isTransposed()).isFalse();
			assertThat(small.apply(manager.create(new float[] { 1, 0, 2 }, new Shape(1, 3))).toFloatArray())
				.containsExactly(4, 13, 22, 31);
		}
	}

	/**
	 * {@code weights: int8}: each row quantized on its own scale (an outlier row does not coarsen the others, an
	 * all-zero row stays zero), and the kernel's product within what that rounding and bfloat16 activations allow:
	 * per output o, {@code s[o]/2 * sum|x|} from the weights plus three bfloat16 roundings (activations, scale,
	 * result; unit roundoff 2^-8) of {@code sum |x| |w[o]|}. Applying the scales by column, or not at all, breaks it.
	 */
	@ParameterizedTest(name = "rows of {0}")
	@ValueSource(ints = { 320, 300 }) // libtorch's kernel, and the widened matrix for rows that are not 16k long
	void anInt8MatrixHasAScalePerRowAndItsProductStaysWithinItsRounding(int in, @TempDir Path dir) throws IOException {
		int out = 40;
		SplittableRandom random = new SplittableRandom(11);
		float[] w = new float[out * in];
		for (int i = 0; i < w.length; i++) {
			w[i] = (float) random.nextGaussian() * 0.05f;
		}
		w[3 * in + 17] = 4f; // an outlier in row 3
		Arrays.fill(w, 5 * in, 6 * in, 0f); // row 5 all zero
		float[] bias = new float[out];
		bias[5] = 0.25f;
		String p = "language_model.model.layers.0.mlp.";
		SafetensorsWriter.write(dir.resolve("model.safetensors"),
				List.of(new SafetensorsWriter.Tensor(p + "down_proj.weight", SafetensorsWriter.DType.F32, new long[] { out, in }, w),
						new SafetensorsWriter.Tensor(p + "down_proj.bias", SafetensorsWriter.DType.F32, new long[] { out }, bias)));
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			WeightLoader loader = new WeightLoader(WeightIndex.open(dir), manager, DataType.FLOAT32);
			loader.quantizeMatrices(LibtorchKernels.load(manager));
			assertThat(loader.matrixType()).isEqualTo(DataType.INT8);
			DenseLayer layer = DenseLayer.load(loader, "text.layers.0.mlp.down_proj", out, in, true);
			// int8 values, float32 scales and the float32 bias.
			assertThat(loader.loadedBytes()).isEqualTo((long) out * in + 4L * out + 4L * out);

			float[] scales = new float[out];
			for (int o = 0; o < out; o++) {
				for (int i = 0; i < in; i++) {
					scales[o] = Math.max(scales[o], Math.abs(w[o * in + i]) / 127f);
				}
			}
			// The dequantized rows (what an embedding lookup reads) are within half a step of the checkpoint's.
			float[] rows = layer.rows(manager, manager.arange(0L, (long) out)).toFloatArray();
			for (int o = 0; o < out; o++) {
				for (int i = 0; i < in; i++) {
					assertThat(rows[o * in + i]).as("row %d, column %d", o, i)
						.isCloseTo(w[o * in + i], within(scales[o] * 0.5f + 1e-7f));
				}
			}
			// Row 4's step is its own, not the outlier row's 80x coarser one.
			assertThat(scales[3]).isGreaterThan(20 * scales[4]);

			NDArray x = manager.randomNormal(new Shape(3, in));
			float[] xs = x.toFloatArray();
			float[] y = layer.apply(x).toFloatArray();
			float[] one = layer.apply(x.get("1:2")).toFloatArray();
			double u = Math.pow(2, -8);
			for (int r = 0; r < 3; r++) {
				for (int o = 0; o < out; o++) {
					double exact = bias[o];
					double absX = 0;
					double absProducts = 0;
					for (int i = 0; i < in; i++) {
						exact += (double) xs[r * in + i] * w[o * in + i];
						absX += Math.abs(xs[r * in + i]);
						absProducts += Math.abs(xs[r * in + i]) * (Math.abs(w[o * in + i]) + scales[o] / 2);
					}
					double bound = scales[o] / 2 * absX + 3 * u * absProducts + 1e-5;
					assertThat((double) y[r * out + o]).as("row %d, output %d", r, o).isCloseTo(exact, within(bound));
					if (r == 1) {
						assertThat((double) one[o]).as("one row, output %d", o).isCloseTo(exact, within(bound));
					}
				}
				assertThat(y[r * out + 5]).as("the zero row gives its bias").isEqualTo(0.25f);
			}
		}
	}

	/** Fused int8 projections give each part's output bit for bit: every row keeps its own scale. */
	@Test
	void fusedInt8LayersComputeExactlyWhatEachPartComputes(@TempDir Path dir) throws IOException {
		SplittableRandom random = new SplittableRandom(13);
		float[] a = new float[24 * 64];
		float[] b = new float[8 * 64];
		for (int i = 0; i < a.length; i++) {
			a[i] = (float) random.nextGaussian();
		}
		for (int i = 0; i < b.length; i++) {
			b[i] = (float) random.nextGaussian() * 3;
		}
		String p = "language_model.model.layers.0.self_attn.";
		SafetensorsWriter.write(dir.resolve("model.safetensors"),
				List.of(new SafetensorsWriter.Tensor(p + "q_proj.weight", SafetensorsWriter.DType.F32, new long[] { 24, 64 }, a),
						new SafetensorsWriter.Tensor(p + "k_proj.weight", SafetensorsWriter.DType.F32, new long[] { 8, 64 }, b)));
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			WeightLoader loader = new WeightLoader(WeightIndex.open(dir), manager, DataType.FLOAT32);
			loader.quantizeMatrices(LibtorchKernels.load(manager));
			String q = "text.layers.0.self_attn.q_proj";
			String k = "text.layers.0.self_attn.k_proj";
			NDArray x = manager.randomNormal(new Shape(5, 64));
			float[] separateQ = DenseLayer.load(loader, q, 24, 64, false).apply(x).toFloatArray();
			float[] separateK = DenseLayer.load(loader, k, 8, 64, false).apply(x).toFloatArray();
			DenseLayer fused = DenseLayer.loadFusedInt8(loader, List.of(q, k), new long[] { 24, 8 }, 64, false);
			assertThat(fused.outputs()).isEqualTo(32);
			NDArray y = fused.apply(x);
			assertThat(y.get(":, :24").toFloatArray()).containsExactly(separateQ);
			assertThat(y.get(":, 24:").toFloatArray()).containsExactly(separateK);
			WeightLoader plain = new WeightLoader(WeightIndex.open(dir), manager, DataType.FLOAT32);
			assertThatIllegalStateException()
				.isThrownBy(() -> DenseLayer.loadFusedInt8(plain, List.of(q, k), new long[] { 24, 8 }, 64, false))
				.withMessageContaining("does not quantize");
		}
	}

	/**
	 * {@code weights: int8-dynamic}: the loader's choice reaches every layer it quantizes, fused ones included:
	 * their matrices are packed and multiplied by the dynamically quantized kernel at any row count (not the
	 * weight-only one), a packed layer keeps no int8 array unless it is looked up too (an LM head tied to the
	 * embedding table), and a lookup table is not packed.
	 */
	@Test
	void dynamicInt8LayersArePackedAndQuantizeTheirActivations(@TempDir Path dir) throws IOException {
		writeQProjection(dir, 17, 3, 0.5f);
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			LibtorchKernels kernels = LibtorchKernels.load(manager);
			WeightLoader loader = new WeightLoader(WeightIndex.open(dir), manager, DataType.FLOAT32);
			loader.quantizeMatrices(kernels, Int8Activations.DYNAMIC_INT8);
			WeightLoader weightOnly = new WeightLoader(WeightIndex.open(dir), manager, DataType.FLOAT32);
			weightOnly.quantizeMatrices(kernels);
			String q = "text.layers.0.self_attn.q_proj";
			DenseLayer layer = DenseLayer.load(loader, q, 32, 64, true);
			assertThat(layer.isPacked()).isTrue();
			assertThat(layer.isInt8()).isTrue();
			assertThat(layer.outputs()).isEqualTo(32);
			LibtorchKernels.Projection projection = layer.projection();
			assertThat(projection.weight()).isNull();
			LibtorchKernels.PackedInt8Matrix packed = java.util.Objects.requireNonNull(projection.packed());
			NDArray b = java.util.Objects.requireNonNull(projection.bias());
			NDArray row = manager.randomNormal(new Shape(1, 64));
			NDArray rows = manager.randomNormal(new Shape(4, 64));
			assertThat(layer.apply(row).toFloatArray())
				.containsExactly(kernels.dynamicInt8Linear(row, packed).add(b).toFloatArray());
			assertThat(layer.apply(rows).toFloatArray())
				.containsExactly(kernels.dynamicInt8Linear(rows, packed).add(b).toFloatArray());
			DenseLayer bfloat16 = DenseLayer.load(weightOnly, q, 32, 64, true);
			assertThat(bfloat16.isPacked()).isFalse();
			assertThat(layer.apply(rows).toFloatArray()).isNotEqualTo(bfloat16.apply(rows).toFloatArray());
			NDArray token = manager.create(new int[] { 3 });
			assertThatIllegalStateException().isThrownBy(() -> layer.rows(manager, token))
				.withMessageContaining("keeps no rows");

			DenseLayer fused = DenseLayer.loadFusedInt8(loader, List.of(q, q), new long[] { 32, 32 }, 64, true);
			assertThat(fused.isPacked()).isTrue();
			assertThat(fused.apply(row).get(":, :32").toFloatArray()).containsExactly(layer.apply(row).toFloatArray());

			DenseLayer tiedHead = DenseLayer.loadHead(loader, q + ".weight", 32, 64, true);
			DenseLayer head = DenseLayer.loadHead(loader, q + ".weight", 32, 64, false);
			DenseLayer table = DenseLayer.loadTable(loader, q + ".weight", 32, 64);
			assertThat(tiedHead.isPacked()).isTrue();
			assertThat(head.isPacked()).isTrue();
			assertThat(table.isPacked()).isFalse();
			assertThat(tiedHead.rows(manager, token).toFloatArray())
				.containsExactly(table.rows(manager, token).toFloatArray());
			assertThatIllegalStateException().isThrownBy(() -> head.rows(manager, token));
		}
	}

	/**
	 * The default float32 weights on a CPU: a loader asked to pack float32 matrices hands every multiplied layer a
	 * oneDNN-packed matrix instead of an array; its products are the plain layer's within float rounding and exactly
	 * the kernel's own (bias inside the same call), a tied head keeps its rows for lookups and an untied one does
	 * not, a lookup table is not packed, and a loader storing float16 or int8 matrices packs none.
	 */
	@Test
	void float32LayersArePackedForOneDnnWhenTheLoaderAsks(@TempDir Path dir) throws IOException {
		float[] a = writeQProjection(dir, 23, 5, -0.75f);
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			LibtorchKernels kernels = LibtorchKernels.load(manager);
			WeightLoader loader = new WeightLoader(WeightIndex.open(dir), manager, DataType.FLOAT32);
			loader.packFloat32Matrices(kernels);
			assertThat(loader.float32Packer()).isSameAs(kernels);
			WeightLoader plainLoader = new WeightLoader(WeightIndex.open(dir), manager, DataType.FLOAT32);
			String q = "text.layers.0.self_attn.q_proj";
			DenseLayer layer = DenseLayer.load(loader, q, 32, 64, true);
			DenseLayer plain = DenseLayer.load(plainLoader, q, 32, 64, true);
			assertThat(layer.isPacked()).isTrue();
			assertThat(layer.isInt8()).isFalse();
			assertThat(plain.isPacked()).isFalse();
			assertThat(layer.outputs()).isEqualTo(32);
			LibtorchKernels.Projection projection = layer.projection();
			assertThat(projection.weight()).isNull();
			assertThat(projection.packed()).isNull();
			LibtorchKernels.PackedFloatMatrix packed = java.util.Objects.requireNonNull(projection.packedFloat());
			NDArray row = manager.randomNormal(new Shape(1, 64));
			NDArray rows = manager.randomNormal(new Shape(5, 64));
			assertThat(layer.apply(row).toFloatArray())
				.containsExactly(kernels.float32PackedLinear(row, packed, projection.bias()).toFloatArray());
			assertClose(layer.apply(row).toFloatArray(), plain.apply(row).toFloatArray());
			assertClose(layer.apply(rows).toFloatArray(), plain.apply(rows).toFloatArray());
			NDArray token = manager.create(new int[] { 7 });
			assertThatIllegalStateException().isThrownBy(() -> layer.rows(manager, token))
				.withMessageContaining("keeps no rows");

			DenseLayer tiedHead = DenseLayer.loadHead(loader, q + ".weight", 32, 64, true);
			DenseLayer head = DenseLayer.loadHead(loader, q + ".weight", 32, 64, false);
			DenseLayer table = DenseLayer.loadTable(loader, q + ".weight", 32, 64);
			assertThat(tiedHead.isPacked()).isTrue();
			assertThat(head.isPacked()).isTrue();
			assertThat(table.isPacked()).isFalse();
			assertThat(tiedHead.rows(manager, token).toFloatArray()).containsExactly(weightRows(a, 64, 7));
			assertThatIllegalStateException().isThrownBy(() -> head.rows(manager, token));
			assertClose(head.apply(rows).toFloatArray(),
					DenseLayer.loadHead(plainLoader, q + ".weight", 32, 64, false).apply(rows).toFloatArray());

			loader.storeMatricesAs(DataType.FLOAT16);
			assertThat(loader.float32Packer()).isNull();
			assertThat(DenseLayer.load(loader, q, 32, 64, true).isPacked()).isFalse();
			WeightLoader int8 = new WeightLoader(WeightIndex.open(dir), manager, DataType.FLOAT32);
			int8.packFloat32Matrices(kernels);
			int8.quantizeMatrices(kernels);
			assertThat(int8.float32Packer()).isNull();
			assertThat(DenseLayer.load(int8, q, 32, 64, true).isInt8()).isTrue();
		}
	}

	/**
	 * Writes a checkpoint with one q projection, a random [32, 64] weight of {@code seed} and a bias that is zero but
	 * at {@code biasIndex}; returns the weight.
	 */
	private static float[] writeQProjection(Path dir, long seed, int biasIndex, float biasValue) throws IOException {
		SplittableRandom random = new SplittableRandom(seed);
		float[] a = new float[32 * 64];
		float[] bias = new float[32];
		for (int i = 0; i < a.length; i++) {
			a[i] = (float) random.nextGaussian();
		}
		bias[biasIndex] = biasValue;
		String p = "language_model.model.layers.0.self_attn.";
		SafetensorsWriter.write(dir.resolve("model.safetensors"),
				List.of(new SafetensorsWriter.Tensor(p + "q_proj.weight", SafetensorsWriter.DType.F32, new long[] { 32, 64 }, a),
						new SafetensorsWriter.Tensor(p + "q_proj.bias", SafetensorsWriter.DType.F32, new long[] { 32 }, bias)));
		return a;
	}

	private static float[] weightRows(float[] weight, int columns, int... rows) {
		float[] out = new float[rows.length * columns];
		for (int i = 0; i < rows.length; i++) {
			System.arraycopy(weight, rows[i] * columns, out, i * columns, columns);
		}
		return out;
	}

	private static void assertClose(float[] actual, float[] expected) {
		assertClose(actual, expected, 1e-5f);
	}

	private static void assertClose(float[] actual, float[] expected, float tolerance) {
		assertThat(actual).hasSameSizeAs(expected);
		for (int i = 0; i < expected.length; i++) {
			assertThat(actual[i]).isCloseTo(expected[i], within(tolerance));
		}
	}

}
