package dev.vlcache.core.runtime;

import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

class LibtorchKernelsTest {

	/**
	 * {@code weights: int8-dynamic}: fbgemm's product of a packed matrix stays within what quantizing the
	 * activations may cost, computed here in double from the int8 values and scales: each input moves by at most
	 * half a quantization step, a step being at most {@code 2 max|row| / 255} (127 with the reduced range). Rows of
	 * magnitudes 1, 1000 and 0.001 in one call keep that bound each, which only the per-row division gives; a zero
	 * row gives zeros.
	 */
	@Test
	void aDynamicInt8ProductStaysWithinItsActivationQuantizationStep() {
		int out = 24;
		int in = 72; // not a multiple of 16
		java.util.SplittableRandom random = new java.util.SplittableRandom(5);
		byte[] w = new byte[out * in];
		float[] scales = new float[out];
		for (int i = 0; i < w.length; i++) {
			w[i] = (byte) (random.nextInt(255) - 127);
		}
		for (int o = 0; o < out; o++) {
			scales[o] = (float) (0.001 + random.nextDouble() * 0.01);
		}
		double[] magnitudes = { 1, 1000, 0.001 };
		float[] x = new float[magnitudes.length * in];
		for (int i = 0; i < x.length; i++) {
			x[i] = (float) (random.nextGaussian() * magnitudes[i / in]);
		}
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			LibtorchKernels kernels = LibtorchKernels.load(manager);
			NDArray weight = manager.create(java.nio.ByteBuffer.wrap(w), new Shape(out, in), DataType.INT8);
			LibtorchKernels.PackedInt8Matrix packed = kernels.packInt8(weight, manager.create(scales));
			assertThat(packed.outputs()).isEqualTo(out);
			assertThat(packed.inputs()).isEqualTo(in);

			float[] several = kernels.dynamicInt8Linear(manager.create(x, new Shape(1, 3, in)), packed).toFloatArray();
			float[] single = kernels.dynamicInt8Linear(manager.create(java.util.Arrays.copyOfRange(x, in, 2 * in),
					new Shape(1, in)), packed).toFloatArray();
			double levels = LibtorchKernels.REDUCED_RANGE ? 127 : 255;
			for (int r = 0; r < magnitudes.length; r++) {
				double peak = 0;
				for (int i = 0; i < in; i++) {
					peak = Math.max(peak, Math.abs(x[r * in + i]));
				}
				for (int o = 0; o < out; o++) {
					double exact = 0;
					double weights = 0;
					for (int i = 0; i < in; i++) {
						exact += (double) x[r * in + i] * w[o * in + i] * scales[o];
						weights += Math.abs(w[o * in + i] * scales[o]);
					}
					double bound = 0.5 * (2 * peak / levels) * weights * 1.01 + 1e-5 * Math.abs(exact);
					assertThat((double) several[r * out + o]).as("row %d output %d", r, o).isCloseTo(exact,
							org.assertj.core.data.Offset.offset(bound));
					if (r == 1) {
						assertThat((double) single[o]).isCloseTo(exact, org.assertj.core.data.Offset.offset(bound));
					}
				}
			}

			assertThat(kernels.dynamicInt8Linear(manager.zeros(new Shape(1, in)), packed).toFloatArray())
				.containsOnly(0f);
			assertThatIllegalArgumentException()
				.isThrownBy(() -> kernels.dynamicInt8Linear(manager.zeros(new Shape(1, in + 1)), packed))
				.withMessageContaining("24 x 72");
		}
	}

	/**
	 * The default float32 weights: a matrix packed for oneDNN multiplies as the exact product does, computed here in
	 * double, within float32 rounding, with and without bias, for one row and for [2, 3, in]; the packed matrix is a
	 * copy (the source can be freed) in the source's manager, and width or dtype mismatches are refused.
	 */
	@Test
	void aPackedFloat32ProductIsTheExactProductWithinFloatRounding() {
		int out = 37;
		int in = 45; // not a multiple of 16
		java.util.SplittableRandom random = new java.util.SplittableRandom(11);
		float[] w = new float[out * in];
		float[] b = new float[out];
		float[] x = new float[6 * in];
		for (float[] a : List.of(w, b, x)) {
			for (int i = 0; i < a.length; i++) {
				a[i] = (float) random.nextGaussian();
			}
		}
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			LibtorchKernels kernels = LibtorchKernels.load(manager);
			assertThat(kernels.packsFloat32()).as("this project's libtorch build has oneDNN").isTrue();
			NDArray weight = manager.create(w, new Shape(out, in));
			LibtorchKernels.PackedFloatMatrix packed = kernels.packFloat32(weight);
			weight.close();
			assertThat(packed.outputs()).isEqualTo(out);
			assertThat(packed.inputs()).isEqualTo(in);
			NDArray bias = manager.create(b);
			float[] batched = kernels.float32PackedLinear(manager.create(x, new Shape(2, 3, in)), packed, bias)
				.toFloatArray();
			NDArray one = manager.create(java.util.Arrays.copyOfRange(x, 4 * in, 5 * in), new Shape(1, in));
			NDArray single = kernels.float32PackedLinear(one, packed, null);
			assertThat(single.getShape()).isEqualTo(new Shape(1, out));
			assertThat(single.getManager()).isSameAs(one.getManager());
			float[] unbiased = single.toFloatArray();
			for (int r = 0; r < 6; r++) {
				for (int o = 0; o < out; o++) {
					double exact = 0;
					double magnitude = 0;
					for (int i = 0; i < in; i++) {
						exact += (double) x[r * in + i] * w[o * in + i];
						magnitude += Math.abs((double) x[r * in + i] * w[o * in + i]);
					}
					org.assertj.core.data.Offset<Double> rounding = org.assertj.core.data.Offset.offset(1e-6 * magnitude
							+ 1e-6);
					assertThat((double) batched[r * out + o]).as("row %d output %d", r, o).isCloseTo(exact + b[o],
							rounding);
					if (r == 4) {
						assertThat((double) unbiased[o]).isCloseTo(exact, rounding);
					}
				}
			}
			assertThatIllegalArgumentException()
				.isThrownBy(() -> kernels.float32PackedLinear(manager.zeros(new Shape(1, in + 1)), packed, null))
				.withMessageContaining("37 x 45");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> kernels.packFloat32(manager.zeros(new Shape(4, 8)).toType(DataType.INT8, false)))
				.withMessageContaining("float32");
		}
	}

	/**
	 * A batch's attention in one call is softmax(q K^T) V per sequence within float32 rounding, on caches of
	 * different lengths read as views of larger storage (as {@code LayerKvCache} hands them out): grouped queries,
	 * and one query per kv head over a short cache and over one long enough to be summed in blocks of 256 entries
	 * (the last block partial), whose float16 cache is summed in float32.
	 */
	@Test
	void batchedAttentionIsSoftmaxAttentionPerSequence() {
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			LibtorchKernels kernels = LibtorchKernels.load(manager);
			assertAttendsLikeSoftmax(manager, kernels, 3, 8, new int[] { 5, 37 }, DataType.FLOAT32, 2e-5);
			assertAttendsLikeSoftmax(manager, kernels, 1, 16, new int[] { 7, 2100 }, DataType.FLOAT32, 2e-5);
			assertAttendsLikeSoftmax(manager, kernels, 1, 16, new int[] { 2100 }, DataType.FLOAT16, 2e-3);

			List<NDArray> queries = List.of(manager.randomNormal(new Shape(2, 3, 8)));
			List<NDArray> keys = List.of(manager.randomNormal(new Shape(2, 4, 8)));
			assertThatIllegalArgumentException().isThrownBy(() -> kernels.attend(queries, keys, List.of()))
				.withMessageContaining("per sequence");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> kernels.int8Linear(queries.get(0), manager.ones(new Shape(4, 8)), manager.ones(new Shape(4))))
				.withMessageContaining("int8 matrix");
		}
	}

	private static void assertAttendsLikeSoftmax(NDManager manager, LibtorchKernels kernels, int group, int headDim,
			int[] lengths, DataType dtype, double tolerance) {
		List<NDArray> queries = new java.util.ArrayList<>();
		List<NDArray> keys = new java.util.ArrayList<>();
		List<NDArray> values = new java.util.ArrayList<>();
		NDList expected = new NDList();
		for (int length : lengths) {
			NDArray q = manager.randomNormal(new Shape(2, group, headDim)).mul(0.3).toType(dtype, false);
			NDArray keyStorage = manager.randomNormal(new Shape(2, length + 13, headDim)).toType(dtype, false);
			NDArray valueStorage = manager.randomNormal(new Shape(2, length + 13, headDim)).toType(dtype, false);
			NDArray k = keyStorage.get(new NDIndex(":, :{}", length));
			NDArray v = valueStorage.get(new NDIndex(":, :{}", length));
			queries.add(q);
			keys.add(k);
			values.add(v);
			NDArray k64 = k.toType(DataType.FLOAT64, true);
			expected.add(q.toType(DataType.FLOAT64, true)
				.matMul(k64.transpose(0, 2, 1))
				.softmax(-1)
				.matMul(v.toType(DataType.FLOAT64, true)));
		}
		NDArray out = kernels.attend(queries, keys, values);
		assertThat(out.getShape()).isEqualTo(new Shape(2L * lengths.length, group, headDim));
		assertThat(out.getDataType()).isEqualTo(dtype);
		assertThat(out.getManager()).isSameAs(queries.get(0).getManager());
		double[] reference = NDArrays.concat(expected, 0).toDoubleArray();
		float[] actual = out.toType(DataType.FLOAT32, false).toFloatArray();
		for (int i = 0; i < reference.length; i++) {
			assertThat((double) actual[i])
				.as("output %d of group %d over %s %s entries", i, group, Arrays.toString(lengths), dtype)
				.isCloseTo(reference[i], within(tolerance));
		}
	}

}
