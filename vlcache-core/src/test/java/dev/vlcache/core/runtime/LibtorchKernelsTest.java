package dev.vlcache.core.runtime;

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

class LibtorchKernelsTest {

	/**
	 * A batch's attention in one call gives what DJL's operations give per sequence, bit for bit, on caches of
	 * different lengths read as views of larger storage (as {@code LayerKvCache} hands them out).
	 */
	/**
	 * {@code weights: int8-dynamic}: a one-row product is exactly its quantized product, computed here in float32
	 * as the kernel states it: step {@code sx = max |x| / 127}, {@code q = round(x / sx)} (half to even), the int32
	 * sum of {@code q * w[o]}, then {@code * sx * s[o]}; an all-zero row gives zeros; products of several rows are
	 * the weight-only ones, bit for bit.
	 */
	@Test
	void aDynamicInt8ProductOfOneRowIsExactlyItsQuantizedProduct() {
		int out = 24;
		int in = 72; // not a multiple of 16: the int8 x int8 kernel has no such limit
		java.util.SplittableRandom random = new java.util.SplittableRandom(5);
		byte[] w = new byte[out * in];
		float[] scales = new float[out];
		for (int i = 0; i < w.length; i++) {
			w[i] = (byte) (random.nextInt(255) - 127);
		}
		for (int o = 0; o < out; o++) {
			scales[o] = (float) (0.001 + random.nextDouble() * 0.01);
		}
		float[] x = new float[in];
		for (int i = 0; i < in; i++) {
			x[i] = (float) random.nextGaussian() * (i == 7 ? 30 : 1); // one outlier sets the step
		}
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			LibtorchKernels kernels = LibtorchKernels.load(manager);
			NDArray weight = manager.create(java.nio.ByteBuffer.wrap(w), new Shape(out, in), DataType.INT8);
			NDArray s = manager.create(scales);
			float max = 0;
			for (float v : x) {
				max = Math.max(max, Math.abs(v));
			}
			float step = max / 127f;
			float[] expected = new float[out];
			for (int o = 0; o < out; o++) {
				int acc = 0;
				for (int i = 0; i < in; i++) {
					acc += (int) Math.rint(x[i] / step) * w[o * in + i];
				}
				expected[o] = (float) acc * step * scales[o];
			}
			NDArray row = manager.create(x, new Shape(1, 1, in));
			NDArray y = kernels.int8Linear(row, weight, s, Int8Activations.DYNAMIC_INT8);
			assertThat(y.getShape()).isEqualTo(new Shape(1, 1, out));
			assertThat(y.toFloatArray()).containsExactly(expected);
			// Not what the weight-only product gives: the activations really are int8.
			assertThat(kernels.int8Linear(row, weight, s).toFloatArray()).isNotEqualTo(expected);

			assertThat(kernels.int8Linear(manager.zeros(new Shape(1, in)), weight, s, Int8Activations.DYNAMIC_INT8)
				.toFloatArray()).containsOnly(0f);

			NDArray rows = manager.randomNormal(new Shape(3, in));
			assertThat(kernels.int8Linear(rows, weight, s, Int8Activations.DYNAMIC_INT8).toFloatArray())
				.containsExactly(kernels.int8Linear(rows, weight, s).toFloatArray());
		}
	}

	@Test
	void batchedAttentionEqualsTheOperationsOneByOne() {
		try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
			LibtorchKernels kernels = LibtorchKernels.load(manager);
			int[] lengths = { 5, 37 };
			List<NDArray> queries = List.of(manager.randomNormal(new Shape(2, 3, 8)), manager.randomNormal(new Shape(2, 3, 8)));
			NDList expected = new NDList();
			List<NDArray> keys = new java.util.ArrayList<>();
			List<NDArray> values = new java.util.ArrayList<>();
			for (int i = 0; i < lengths.length; i++) {
				NDArray keyStorage = manager.randomNormal(new Shape(2, 50, 8));
				NDArray valueStorage = manager.randomNormal(new Shape(2, 50, 8));
				NDArray k = keyStorage.get(new NDIndex(":, :{}", lengths[i]));
				NDArray v = valueStorage.get(new NDIndex(":, :{}", lengths[i]));
				keys.add(k);
				values.add(v);
				expected.add(queries.get(i).matMul(k.transpose(0, 2, 1)).softmax(-1).matMul(v));
			}
			NDArray out = kernels.attend(queries, keys, values);
			assertThat(out.getShape()).isEqualTo(new Shape(4, 3, 8));
			assertThat(out.toFloatArray()).containsExactly(NDArrays.concat(expected, 0).toFloatArray());
			assertThat(out.getManager()).isSameAs(queries.get(0).getManager());

			assertThatIllegalArgumentException().isThrownBy(() -> kernels.attend(queries, keys.subList(0, 1), values))
				.withMessageContaining("per sequence");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> kernels.int8Linear(queries.get(0), manager.ones(new Shape(4, 8)), manager.ones(new Shape(4))))
				.withMessageContaining("int8 matrix");
		}
	}

}
